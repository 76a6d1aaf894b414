// Issue 9, "Parsers against real-world logs": expectations written from each
// format's own documentation (RFC 5424 §6.5, RFC 3164 §5.4, the Apache httpd
// and nginx docs, Docker's json-file driver) and from shapes real senders
// write, not from logship's output.
import { describe, expect, it } from 'vitest';
import { dockerDecoder } from '../../parsers/container/docker.js';
import { parserRegistry } from '../../parsers/registry.js';
import { ParseFailure, type Fields, type LineParser, type ParserContext, type ParseResult } from '../../parsers/types.js';

const CTX: ParserContext = { timezone: undefined, timeFormat: undefined, now: () => Date.parse('2026-03-01T12:00:00Z') };

function parser(name: string, options: unknown = {}): LineParser {
  const mod = parserRegistry.get(name)!;
  return mod.create(mod.options ? mod.options.parse(options) : options, CTX);
}

function fields(r: ParseResult): Fields {
  if (r instanceof ParseFailure) throw new Error(`parse failure: ${r.reason}`);
  return r;
}

const iso = (ms: unknown) => new Date(ms as number).toISOString();

describe('syslog: RFC 5424 §6.5 examples', () => {
  const p = parser('syslog');

  it('example 1: no structured data, a BOM before MSG', () => {
    const f = fields(p.parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed for lonvick on /dev/pts/8"));
    expect(f).toMatchObject({
      'log.syslog.facility.code': 4,
      'log.syslog.severity.code': 2,
      'host.hostname': 'mymachine.example.com',
      'process.name': 'su',
      'log.syslog.msgid': 'ID47',
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
    expect(iso(f['@timestamp'])).toBe('2003-10-11T22:14:15.003Z');
    expect(f['process.pid']).toBeUndefined();
  });

  it('example 2: an offset and microseconds, a numeric PROCID', () => {
    const f = fields(p.parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."));
    expect(iso(f['@timestamp'])).toBe('2003-08-24T12:14:15.000Z');
    expect(f).toMatchObject({ 'log.syslog.facility.code': 20, 'log.syslog.severity.code': 5, 'process.pid': 8710, message: "%% It's time to make the do-nuts." });
  });

  it('examples 3 and 4: one and two SD elements, no MSG', () => {
    const sd3 = fields(p.parse('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \ufeffAn application event log entry...'));
    expect(sd3['log.syslog.structured_data']).toEqual({ 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' } });
    expect(sd3.message).toBe('An application event log entry...');
    const sd4 = fields(p.parse('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'));
    expect(sd4['log.syslog.structured_data']).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
      'examplePriority@32473': { class: 'high' },
    });
  });
});

describe('syslog: structured data as real senders write it', () => {
  const p = parser('syslog');
  const sd = (text: string) => fields(p.parse(`<14>1 2024-05-06T07:08:09Z h app - - ${text}`));

  it('a space between = and the quoted value', () => {
    expect(sd('[meta@1 a= "x" b="y"] msg')['log.syslog.structured_data']).toEqual({ 'meta@1': { a: 'x', b: 'y' } });
  });

  it('an empty element, an empty value, several elements', () => {
    const f = sd('[empty][x@1 v=""][y@1 w="1"] msg');
    expect(f['log.syslog.structured_data']).toEqual({ empty: {}, 'x@1': { v: '' }, 'y@1': { w: '1' } });
    expect(f.message).toBe('msg');
  });

  it('escaped \\" and \\] inside a value (RFC 5424 §6.3.3)', () => {
    expect(sd('[m@1 q="say \\"hi\\" [a\\]"] msg')['log.syslog.structured_data']).toEqual({ 'm@1': { q: 'say "hi" [a]' } });
  });

  it('a message that itself begins with [', () => {
    expect(sd('- [INFO] started').message).toBe('[INFO] started');
    expect(sd('[m@1 a="1"] [INFO] started').message).toBe('[INFO] started');
  });
});

describe('syslog: RFC 3164', () => {
  const p = parser('syslog');

  it('§5.4 examples: a TAG with its colon; a line without a TAG', () => {
    expect(fields(p.parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"))).toMatchObject({
      'host.hostname': 'mymachine',
      'process.name': 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
    const bfg = fields(p.parse('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!'));
    expect(bfg).toMatchObject({ 'host.hostname': '10.0.0.99', message: 'Use the BFG!' });
    expect(bfg['process.name']).toBeUndefined();
  });

  it('a TAG followed by a space instead of a colon, the message starting with [: the tag is still the app name', () => {
    expect(fields(p.parse('<30>Oct 11 22:14:15 web-1 nginx [warn] upstream slow'))).toMatchObject({ 'host.hostname': 'web-1', 'process.name': 'nginx', message: '[warn] upstream slow' });
    expect(fields(p.parse('<30>Oct 11 22:14:15 web-1 app[77] [warn] slow'))).toMatchObject({ 'process.name': 'app', 'process.pid': 77, message: '[warn] slow' });
  });

  it('tags with _ - . / and with or without a PID; lines without a PRI', () => {
    for (const [tag, pid] of [['postfix/smtpd', 2431], ['systemd-logind', 612], ['com.apple.xpc.launchd', 1], ['my_daemon', undefined]] as const) {
      const line = `Oct 11 22:14:15 host1 ${tag}${pid === undefined ? '' : `[${pid}]`}: hello`;
      const f = fields(p.parse(line));
      expect(f['process.name'], line).toBe(tag);
      expect(f['process.pid'], line).toBe(pid);
      expect(f.message).toBe('hello');
      expect(f['log.syslog.priority']).toBeUndefined();
    }
  });
});

describe('nginx error log', () => {
  const p = parser('nginx_error');

  it('the trailing context becomes fields; message is the text before it', () => {
    const f = fields(p.parse('2024/01/02 03:04:06 [error] 29#29: *1 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 93.184.216.34, server: localhost, request: "GET /favicon.ico?x=1 HTTP/1.1", upstream: "http://10.0.0.2:8080/favicon.ico", host: "example.com", referrer: "https://example.com/"'));
    expect(f).toMatchObject({
      message: 'open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory)',
      'source.address': '93.184.216.34',
      server: 'localhost',
      'http.request.method': 'GET',
      'url.original': '/favicon.ico?x=1',
      'url.path': '/favicon.ico',
      'http.version': '1.1',
      upstream: 'http://10.0.0.2:8080/favicon.ico',
      'url.domain': 'example.com',
      'http.request.referrer': 'https://example.com/',
      'process.pid': 29,
      connection_id: 1,
    });
  });

  it('limit_req: excess and zone (ngx_http_limit_req_module)', () => {
    const f = fields(p.parse('2024/01/02 03:04:06 [error] 7#7: *12 limiting requests, excess: 0.940 by zone "one", client: 10.1.1.1, server: api, request: "POST /login HTTP/2.0", host: "api"'));
    expect(f).toMatchObject({ message: 'limiting requests, excess: 0.940 by zone "one"', excess: 0.94, zone: 'one', 'source.address': '10.1.1.1', 'http.version': '2.0' });
    expect(fields(p.parse('2024/01/02 03:04:06 [error] 7#7: *13 limiting connections by zone "addr", client: 10.1.1.1, server: api'))).toMatchObject({ zone: 'addr', message: 'limiting connections by zone "addr"' });
  });

  it('messages with commas stay whole; only the known trailing keys are split off', () => {
    expect(fields(p.parse('2024/01/02 03:04:06 [notice] 1#1: signal 15 (SIGTERM) received from 9, exiting')).message).toBe('signal 15 (SIGTERM) received from 9, exiting');
    expect(fields(p.parse('2024/01/02 03:04:06 [warn] 1#1: *3 a, b: c, d, client: 1.2.3.4, server: s')).message).toBe('a, b: c, d');
    expect(fields(p.parse('2024/01/02 03:04:06 [error] 1#1: *3 no live upstreams while connecting to upstream, client: ::1, server: s, request: "GET /a, b HTTP/1.1", host: "h"'))).toMatchObject({ message: 'no live upstreams while connecting to upstream', 'url.original': '/a, b' });
  });
});

describe('Apache error log', () => {
  const p = parser('apache_error');

  it('2.4 default form (httpd docs, logs.html): module:level, pid:tid, client without a port', () => {
    const f = fields(p.parse('[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico'));
    expect(iso(f['@timestamp'])).toBe('2011-09-09T10:42:29.902Z');
    expect(f).toMatchObject({ module: 'core', 'log.level': 'error', 'process.pid': 35708, 'process.thread.id': 4328636416, 'source.address': '72.15.99.187', message: 'File does not exist: /usr/local/apache2/htdocs/favicon.ico' });
  });

  it('2.2 form (httpd 2.2 docs)', () => {
    expect(fields(p.parse('[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test'))).toMatchObject({
      'log.level': 'error',
      'source.address': '127.0.0.1',
      message: 'client denied by server configuration: /export/home/live/ap/htdocs/test',
    });
  });

  it('the common-log timestamp form, without tid, with a client port and an AH code', () => {
    const f = fields(p.parse('[10/Oct/2000:13:55:36 -0700] [ssl:warn] [pid 4711] [client 192.0.2.7:51234] AH01909: server certificate does not include an ID which matches the server name'));
    expect(iso(f['@timestamp'])).toBe('2000-10-10T20:55:36.000Z');
    expect(f).toMatchObject({ module: 'ssl', 'log.level': 'warn', 'process.pid': 4711, 'source.address': '192.0.2.7', 'source.port': 51234, 'error.code': 'AH01909' });
    expect(f['process.thread.id']).toBeUndefined();
  });

  it('an (errno)Text: prefix before the AH code', () => {
    const f = fields(p.parse('[Wed Oct 11 14:32:52.123456 2000] [proxy:error] [pid 1234:tid 5678] (111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (*) failed'));
    expect(f).toMatchObject({ errno: 111, 'error.code': 'AH00957', message: '(111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (*) failed' });
  });
});

describe('docker json-file (Docker docs: {"log":"…\\n","stream":"stdout","time":"…"})', () => {
  it('the documented line decodes', () => {
    expect(dockerDecoder.decode('{"log":"Log line is here\\n","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z"}')).toEqual({
      stream: 'stdout',
      time: Date.UTC(2019, 0, 1, 11, 11, 11, 111),
      text: 'Log line is here',
      partial: false,
    });
  });

  it('a missing, non-string, empty or unreadable time is not a json-file line', () => {
    for (const time of [undefined, 42, null, '', 'yesterday']) {
      const line = JSON.stringify({ log: 'x\n', stream: 'stdout', ...(time === undefined ? {} : { time }) });
      expect(dockerDecoder.decode(line), line).toBeInstanceOf(ParseFailure);
    }
  });
});

describe('klog', () => {
  const p = parser('klog');

  it('the header Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg', () => {
    expect(fields(p.parse('I0102 15:04:05.123456    1234 file.go:123] message'))).toMatchObject({ 'log.level': 'info', 'process.thread.id': 1234, 'log.origin.file.name': 'file.go', 'log.origin.file.line': 123, message: 'message' });
  });

  it('a thread id that is not a number is a parse failure', () => {
    for (const line of ['I0102 15:04:05.123456 main file.go:1] x', 'I0102 15:04:05.123456 12a file.go:1] x', 'I0102 15:04:05.123456 file.go:1] x']) {
      expect(p.parse(line), line).toBeInstanceOf(ParseFailure);
    }
  });
});

describe('key_value: malformed pairs keep the well-formed ones', () => {
  const p = parser('key_value');

  it('=value with an empty key, a dangling key=, an unpaired quote', () => {
    expect(p.parse('a=1 =orphan b=2')).toEqual({ a: '1', b: '2' });
    expect(p.parse('a=1 b= c=3')).toEqual({ a: '1', b: '', c: '3' });
    expect(p.parse('a=1 b="unclosed c=3')).toEqual({ a: '1' }); // the quote runs to the end: c=3 is inside it
    expect(p.parse('a="x"junk b=2')).toEqual({ b: '2' });
  });

  it('a record with no well-formed pair is still a failure', () => {
    expect(p.parse('=x')).toBeInstanceOf(ParseFailure);
    expect(p.parse('"open')).toBeInstanceOf(ParseFailure);
  });
});
