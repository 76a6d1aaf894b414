import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ParseFailure } from '../../parsers/types.js';
import { expectLinear } from '../support/linear.js';
import type { Fields, LineParser, ParseResult, ParserContext, ParserModule } from '../../parsers/types.js';
import { syslog } from '../../parsers/syslog.js';
import { apache, nginx } from '../../parsers/access-log.js';
import { apacheError, nginxError } from '../../parsers/error-log.js';
import { klog } from '../../parsers/klog.js';

/** 2025-03-15T12:00:00Z: year-less times resolve to 2025 up to Mar 16 12:00, else to 2024. */
const NOW = Date.UTC(2025, 2, 15, 12, 0, 0);
const CORPUS = '/work/shared/corpus/loghub';
const FIXTURES = fileURLToPath(new URL('../../fixtures/parsers/', import.meta.url));

function ctx(opts: { timezone?: string; now?: number } = {}): ParserContext {
  return { timezone: opts.timezone, timeFormat: undefined, now: () => opts.now ?? NOW };
}

function make(mod: ParserModule, opts: { timezone?: string; now?: number } = {}): LineParser {
  return mod.create(undefined, ctx(opts));
}

function ok(r: ParseResult): Fields {
  if (r instanceof ParseFailure) throw new Error(`unexpected ParseFailure: ${r.reason}`);
  return r;
}

function failure(r: ParseResult): ParseFailure {
  expect(r).toBeInstanceOf(ParseFailure);
  return r as ParseFailure;
}

const BINARY = '\u0000\u0001\u0002\ufffd\ufffd\u001b[31m\u0016\u0003\u0001\u0000\u00ca\u0001\u0000\u0000\u00c6\u0003\u0003\ufffd';
const TEN_MB = 10 * 1024 * 1024;

/** Bad input every parser must answer with a ParseFailure, promptly, without throwing. */
function badInputs(mod: ParserModule): void {
  const p = make(mod);
  it('binary bytes → ParseFailure', () => {
    expect(() => p.parse(BINARY)).not.toThrow();
    failure(p.parse(BINARY));
    failure(p.parse(''));
  });
  it('a 10 MB line of garbage → ParseFailure, in linear time', () => {
    for (const piece of ['x', '[', '"', ' ']) {
      failure(p.parse(piece.repeat(TEN_MB)));
      expectLinear((n) => piece.repeat(n), (big) => failure(p.parse(big)), TEN_MB / 8, piece);
    }
  });
}

// ---------------------------------------------------------------------------

describe('syslog RFC 5424', () => {
  const p = make(syslog);

  it('parses the RFC example with structured data and a BOM before MSG', () => {
    const line =
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 ' +
      '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...';
    expect(ok(p.parse(line))).toEqual({
      'log.syslog.priority': 165,
      'log.syslog.facility.code': 20,
      'log.syslog.facility.name': 'local4',
      'log.syslog.severity.code': 5,
      'log.syslog.severity.name': 'notice',
      'log.level': 'info',
      'log.syslog.version': '1',
      '@timestamp': Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      'host.hostname': 'mymachine.example.com',
      'process.name': 'evntslog',
      'log.syslog.msgid': 'ID47',
      'log.syslog.structured_data': { 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' } },
      message: 'An application event log entry...',
    });
  });

  it('unescapes \\" \\\\ \\] in values, keeps other backslashes, reads several SD elements and repeated params', () => {
    const line =
      '<13>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - ' +
      '[a@1 q="say \\"hi\\"" b="back\\\\slash" c="x\\]y" d="keep\\n" e="" f="]"][origin ip="192.0.2.1" ip="192.0.2.129"][meta@2] %% It\'s time';
    expect(ok(p.parse(line))).toEqual({
      'log.syslog.priority': 13,
      'log.syslog.facility.code': 1,
      'log.syslog.facility.name': 'user',
      'log.syslog.severity.code': 5,
      'log.syslog.severity.name': 'notice',
      'log.level': 'info',
      'log.syslog.version': '1',
      '@timestamp': Date.UTC(2003, 7, 24, 12, 14, 15, 0),
      'host.hostname': '192.0.2.1',
      'process.name': 'myproc',
      'process.pid': 8710,
      'log.syslog.structured_data': {
        'a@1': { q: 'say "hi"', b: 'back\\slash', c: 'x]y', d: 'keep\\n', e: '', f: ']' },
        origin: { ip: ['192.0.2.1', '192.0.2.129'] },
        'meta@2': {},
      },
      message: "%% It's time",
    });
  });

  it('takes NILVALUEs for every header field and an absent MSG', () => {
    expect(ok(p.parse('<34>1 - - - - - -'))).toEqual({
      'log.syslog.priority': 34,
      'log.syslog.facility.code': 4,
      'log.syslog.facility.name': 'auth',
      'log.syslog.severity.code': 2,
      'log.syslog.severity.name': 'crit',
      'log.level': ok(p.parse('<34>Oct 11 22:14:15 h a: m'))['log.level'],
      'log.syslog.version': '1',
      message: '',
    });
  });

  it('keeps a non-numeric PROCID as log.syslog.procid, and a timestamp without offset in ctx.timezone', () => {
    const r = ok(make(syslog, { timezone: 'Europe/Berlin' }).parse('<190>1 2024-07-01T10:00:00 web nginx worker-3 ACCESS - GET /'));
    expect(r['log.syslog.procid']).toBe('worker-3');
    expect(r['process.pid']).toBeUndefined();
    expect(r['@timestamp']).toBe(Date.UTC(2024, 6, 1, 8, 0, 0));
    expect(r['log.level']).toBe('info');
    expect(r['log.syslog.severity.name']).toBe('info');
    expect(r['log.syslog.facility.name']).toBe('local7');
    expect(r['message']).toBe('GET /');
  });

  it('maps every severity to a normalised level', () => {
    const levels = [0, 1, 2, 3, 4, 5, 6, 7].map((sev) => ok(p.parse(`<${8 + sev}>1 - h a - - - m`))['log.level']);
    expect(levels.slice(3)).toEqual(['error', 'warn', 'info', 'info', 'debug']);
    for (const l of levels.slice(0, 3)) expect(['fatal', 'error']).toContain(l);
  });

  it('fails on a broken structured-data block, without throwing or hanging', () => {
    const head = '<165>1 2003-10-11T22:14:15.003Z host app - - ';
    for (const sd of [
      '[exampleSDID@32473 iut="3 eventSource="Application"] msg', // quote closed too early
      '[exampleSDID@32473 iut="3"', // unterminated element
      '[id a="unterminated value] msg',
      '[id a=3] msg', // value not quoted
      '[ a="1"] msg', // empty SD-ID
      '[id a="1"]x msg', // no space after SD
      '[id =1] msg',
      'garbage msg',
      `[id a="${'\\'.repeat(TEN_MB)}`, // 10 MB of escapes, unterminated
      `[id ${'a="1" '.repeat(TEN_MB / 6)}`, // 10 MB of params, unterminated
    ]) {
      failure(p.parse(head + sd));
    }
    // The unterminated 10 MB shapes above, at 1× and 8× their length.
    for (const make of [(n: number) => `[id a="${'\\'.repeat(n)}`, (n: number) => `[id ${'a="1" '.repeat(n / 6)}`]) {
      expectLinear(make, (sd) => failure(p.parse(head + sd)), TEN_MB / 8);
    }
  });

  it('fails on a bad header', () => {
    failure(p.parse('<165>1 2003-13-11T22:14:15Z host app - - - msg')); // month 13
    failure(p.parse('<165>1 yesterday host app - - - msg'));
    failure(p.parse('<165>1 - host app'));
    failure(p.parse('<999>1 - - - - - -'));
    failure(p.parse('<abc>Oct 11 22:14:15 host app: x'));
  });

  it('parses a 10 MB message, in linear time', () => {
    expect(ok(p.parse(`<14>1 - h a - - - ${'a'.repeat(TEN_MB)}`))['message']).toHaveLength(TEN_MB);
    expectLinear((n) => `<14>1 - h a - - - ${'a'.repeat(n)}`, (line) => ok(p.parse(line)), TEN_MB / 8);
  });
});

describe('syslog RFC 3164', () => {
  const p = make(syslog);

  it('parses the RFC example with PRI and no year (year inferred from now)', () => {
    expect(ok(p.parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"))).toEqual({
      'log.syslog.priority': 34,
      'log.syslog.facility.code': 4,
      'log.syslog.facility.name': 'auth',
      'log.syslog.severity.code': 2,
      'log.syslog.severity.name': 'crit',
      'log.level': ok(p.parse('<34>1 - - - - - -'))['log.level'],
      '@timestamp': Date.UTC(2024, 9, 11, 22, 14, 15), // Oct 11 2025 would be in the future
      'host.hostname': 'mymachine',
      'process.name': 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
  });

  it('parses a line without PRI: TAG[PID], no log.level', () => {
    expect(ok(p.parse('Mar  1 09:08:07 web-1 sshd[4242]: Accepted publickey for deploy from 10.0.0.5 port 50022 ssh2'))).toEqual({
      '@timestamp': Date.UTC(2025, 2, 1, 9, 8, 7),
      'host.hostname': 'web-1',
      'process.name': 'sshd',
      'process.pid': 4242,
      message: 'Accepted publickey for deploy from 10.0.0.5 port 50022 ssh2',
    });
  });

  it('keeps free text without a TAG as the message', () => {
    expect(ok(p.parse('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!'))).toMatchObject({
      'log.syslog.severity.name': 'notice',
      'log.level': 'info',
      '@timestamp': Date.UTC(2025, 1, 5, 17, 32, 18),
      'host.hostname': '10.0.0.99',
      message: 'Use the BFG!',
    });
    const r = ok(p.parse('Jun 19 04:09:11 combo syslogd 1.4.1: restart.'));
    expect(r['process.name']).toBeUndefined();
    expect(r['message']).toBe('syslogd 1.4.1: restart.');
  });

  it('reads a leading year, a year after the day, ISO timestamps and fractions', () => {
    expect(ok(p.parse('<34>2024 Oct 11 22:14:15 mymachine su[123]: msg'))).toMatchObject({
      '@timestamp': Date.UTC(2024, 9, 11, 22, 14, 15),
      'host.hostname': 'mymachine',
      'process.name': 'su',
      'process.pid': 123,
      message: 'msg',
    });
    expect(ok(p.parse('Oct 11 2026 22:14:15 router: link up'))['@timestamp']).toBe(Date.UTC(2026, 9, 11, 22, 14, 15));
    expect(ok(p.parse('<30>2024-10-11T22:14:15.123456+02:00 host app[9]: msg'))).toMatchObject({
      '@timestamp': Date.UTC(2024, 9, 11, 20, 14, 15, 123),
      'log.level': 'info',
      'host.hostname': 'host',
      'process.name': 'app',
      'process.pid': 9,
      message: 'msg',
    });
    expect(ok(p.parse('2024-10-11T22:14:15Z host app: msg'))['@timestamp']).toBe(Date.UTC(2024, 9, 11, 22, 14, 15));
    expect(ok(p.parse('Oct  1 22:14:15.250 host app: msg'))['@timestamp']).toBe(Date.UTC(2024, 9, 1, 22, 14, 15, 250));
  });

  it('handles a missing HOSTNAME (local /dev/log senders)', () => {
    expect(ok(p.parse('<86>Oct 11 22:14:15 su[123]: pam_unix(su:session): session opened'))).toMatchObject({
      'process.name': 'su',
      'process.pid': 123,
      message: 'pam_unix(su:session): session opened',
    });
    expect(ok(p.parse('<86>Oct 11 22:14:15 su[123]: x'))['host.hostname']).toBeUndefined();
  });

  it('reads time without offset in ctx.timezone', () => {
    const r = ok(make(syslog, { timezone: 'Europe/Berlin' }).parse('Oct 11 22:14:15 host app: msg'));
    expect(r['@timestamp']).toBe(Date.UTC(2024, 9, 11, 20, 14, 15)); // CEST, +02:00
    const r2 = ok(make(syslog, { timezone: 'America/New_York' }).parse('Jan  3 08:00:00 host app: msg'));
    expect(r2['@timestamp']).toBe(Date.UTC(2025, 0, 3, 13, 0, 0)); // EST, -05:00
  });

  it('infers the year across New Year from an injected now', () => {
    const newYear = make(syslog, { now: Date.UTC(2025, 0, 1, 0, 30) });
    expect(ok(newYear.parse('Dec 31 23:59:59 h a: m'))['@timestamp']).toBe(Date.UTC(2024, 11, 31, 23, 59, 59));
    expect(ok(newYear.parse('Jan  1 00:10:00 h a: m'))['@timestamp']).toBe(Date.UTC(2025, 0, 1, 0, 10));
    expect(ok(newYear.parse('Jan  1 20:00:00 h a: m'))['@timestamp']).toBe(Date.UTC(2025, 0, 1, 20, 0)); // < a day ahead
    expect(ok(newYear.parse('Jan  2 01:00:00 h a: m'))['@timestamp']).toBe(Date.UTC(2024, 0, 2, 1, 0)); // > a day ahead
    const newYearsEve = make(syslog, { now: Date.UTC(2024, 11, 31, 23, 30) });
    // a sender whose clock is a little ahead has already seen the new year
    expect(ok(newYearsEve.parse('Jan  1 00:20:00 h a: m'))['@timestamp']).toBe(Date.UTC(2025, 0, 1, 0, 20));
    expect(ok(newYearsEve.parse('Dec 31 23:29:00 h a: m'))['@timestamp']).toBe(Date.UTC(2024, 11, 31, 23, 29));
    // Feb 29 goes back to the last leap year
    expect(ok(p.parse('Feb 29 12:00:00 h a: m'))['@timestamp']).toBe(Date.UTC(2024, 1, 29, 12));
    expect(ok(make(syslog, { now: Date.UTC(2027, 5, 1) }).parse('Feb 29 12:00:00 h a: m'))['@timestamp']).toBe(Date.UTC(2024, 1, 29, 12));
  });

  it('fails on lines that are not syslog', () => {
    failure(p.parse('hello world'));
    failure(p.parse('Foo 11 22:14:15 host app: msg'));
    failure(p.parse('Oct 32 22:14:15 host app: msg'));
    failure(p.parse('Oct 11 25:14:15 host app: msg'));
    failure(p.parse('Oct 11 22:14:15host app: msg'));
    failure(p.parse('Feb 30 22:14:15 host app: msg'));
  });

  it('keeps the content of a PRI line without a timestamp as its message (RFC 3164 §4.3.3)', () => {
    expect(ok(p.parse('<13>something happened'))).toMatchObject({ 'log.syslog.priority': 13, message: 'something happened' });
  });

  badInputs(syslog);
});

describe('syslog on the loghub corpus (RFC 3164 without PRI and year)', () => {
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  for (const file of ['Linux_2k.log', 'OpenSSH_2k.log']) {
    it(`parses every line of ${file} with the line's own time`, () => {
      const p = make(syslog);
      const lines = readFileSync(`${CORPUS}/${file}`, 'utf8').split('\n').filter((l) => l !== '');
      expect(lines.length).toBe(2000);
      let tagged = 0;
      for (const line of lines) {
        const r = p.parse(line);
        if (r instanceof ParseFailure) throw new Error(`${file}: ${r.reason}: ${line}`);
        const ts = r['@timestamp'];
        expect(typeof ts).toBe('number');
        const d = new Date(ts as number);
        const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) /.exec(line)!;
        expect([MONTHS[d.getUTCMonth()], d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]).toEqual([
          m[1], Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]),
        ]);
        expect(ts as number).toBeLessThanOrEqual(NOW + 86_400_000);
        expect(ts as number).toBeGreaterThan(NOW - 366 * 86_400_000);
        expect(r['log.level']).toBeUndefined(); // no PRI: the line carries no severity
        expect(typeof r['host.hostname']).toBe('string');
        expect(typeof r['message']).toBe('string');
        if (r['process.name'] !== undefined) tagged++;
      }
      expect(tagged).toBeGreaterThan(1950);
    });
  }

  it('reads the corpus TAG forms', () => {
    const p = make(syslog);
    expect(ok(p.parse('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0'))).toMatchObject({
      'host.hostname': 'combo',
      'process.name': 'sshd(pam_unix)',
      'process.pid': 19939,
      message: 'authentication failure; logname= uid=0',
    });
    expect(ok(p.parse('Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2'))).toMatchObject({
      'host.hostname': 'combo',
      message: '-- root[2421]: ROOT LOGIN ON tty2',
    });
  });
});

// ---------------------------------------------------------------------------

describe('access logs (nginx, apache)', () => {
  const n = make(nginx);
  const a = make(apache);

  it('parses combined', () => {
    const line =
      '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1&y=2 HTTP/1.0" 200 2326 ' +
      '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
    const expected = {
      'source.address': '127.0.0.1',
      'user.name': 'frank',
      '@timestamp': Date.UTC(2000, 9, 10, 20, 55, 36),
      'http.request.method': 'GET',
      'url.original': '/apache_pb.gif?x=1&y=2',
      'url.path': '/apache_pb.gif',
      'url.query': 'x=1&y=2',
      'http.version': '1.0',
      'http.response.status_code': 200,
      'http.response.body.bytes': 2326,
      'http.request.referrer': 'http://www.example.com/start.html',
      'user_agent.original': 'Mozilla/4.08 [en] (Win98; I ;Nav)',
      message: line,
    };
    expect(ok(n.parse(line))).toEqual(expected);
    expect(ok(a.parse(line))).toEqual(expected);
  });

  it('parses common, `-` bytes, an IPv6 address and a positive offset', () => {
    const line = '2001:db8::8a2e:370:7334 - - [02/Jan/2024:03:04:05 +0530] "POST /api/v1/items HTTP/1.1" 204 -';
    expect(ok(a.parse(line))).toEqual({
      'source.address': '2001:db8::8a2e:370:7334',
      '@timestamp': Date.UTC(2024, 0, 1, 21, 34, 5),
      'http.request.method': 'POST',
      'url.original': '/api/v1/items',
      'url.path': '/api/v1/items',
      'http.version': '1.1',
      'http.response.status_code': 204,
      message: line,
    });
  });

  it('keeps the raw request of a TLS probe sent to a plain-HTTP port (nginx logs it with 400)', () => {
    const line = '192.0.2.7 - - [02/Jan/2024:03:04:05 +0000] "\\x16\\x03\\x01\\x00\\xCA\\x01\\x00\\x00\\xC6\\x03\\x03" 400 157 "-" "-"';
    expect(ok(n.parse(line))).toEqual({
      'source.address': '192.0.2.7',
      '@timestamp': Date.UTC(2024, 0, 2, 3, 4, 5),
      'url.original': '\\x16\\x03\\x01\\x00\\xCA\\x01\\x00\\x00\\xC6\\x03\\x03',
      'http.response.status_code': 400,
      'http.response.body.bytes': 157,
      message: line,
    });
    const empty = ok(n.parse('192.0.2.7 - - [02/Jan/2024:03:04:05 +0000] "-" 400 0 "-" "-"'));
    expect(empty['url.original']).toBeUndefined();
    expect(empty['http.response.status_code']).toBe(400);
    const spaced = ok(n.parse('192.0.2.7 - - [02/Jan/2024:03:04:05 +0000] "GET /a b c" 400 0 "-" "-"'));
    expect(spaced['url.original']).toBe('GET /a b c');
    expect(spaced['http.request.method']).toBeUndefined();
  });

  it('keeps escaped quotes as logged and nginx trailing fields under `extra`', () => {
    const line =
      '10.1.2.3 - - [02/Jan/2024:03:04:05 +0000] "GET /search?q=%22x%22 HTTP/2.0" 200 512 "-" ' +
      '"curl/8.5.0 \\"quoted\\"" "203.0.113.9, 10.0.0.1" rt=0.003';
    expect(ok(n.parse(line))).toMatchObject({
      'url.path': '/search',
      'url.query': 'q=%22x%22',
      'http.version': '2.0',
      'user_agent.original': 'curl/8.5.0 \\"quoted\\"',
      extra: '"203.0.113.9, 10.0.0.1" rt=0.003',
    });
    expect(ok(n.parse(line))['http.request.referrer']).toBeUndefined();
  });

  it('reads absolute-form targets, CONNECT and Apache ident', () => {
    expect(ok(a.parse('1.2.3.4 ident42 bob [02/Jan/2024:03:04:05 +0000] "GET http://example.com/p/q?z=1 HTTP/1.1" 200 1'))).toMatchObject({
      ident: 'ident42',
      'user.name': 'bob',
      'url.original': 'http://example.com/p/q?z=1',
      'url.path': '/p/q',
      'url.query': 'z=1',
    });
    const c = ok(a.parse('1.2.3.4 - - [02/Jan/2024:03:04:05 +0000] "CONNECT example.com:443 HTTP/1.1" 200 0'));
    expect(c['http.request.method']).toBe('CONNECT');
    expect(c['url.original']).toBe('example.com:443');
    expect(c['url.path']).toBeUndefined();
  });

  it('fails on lines that are not access logs', () => {
    failure(n.parse('hello world'));
    failure(n.parse('1.2.3.4 - - [10/Oct/2000:13:55:36] "GET / HTTP/1.1" 200 1')); // no offset
    failure(n.parse('1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1'));
    failure(n.parse('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1 200 1')); // unterminated request
    failure(n.parse('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" OK 1'));
    failure(n.parse('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 lots'));
  });

  it('parses a 10 MB URL, in linear time', () => {
    const line = (size: number): string => `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /${'a'.repeat(size)} HTTP/1.1" 414 0 "-" "-"`;
    expect(ok(n.parse(line(TEN_MB)))['url.path']).toHaveLength(TEN_MB + 1);
    expectLinear(line, (l) => ok(n.parse(l)), TEN_MB / 8);
  });

  badInputs(nginx);
  badInputs(apache);
});

// ---------------------------------------------------------------------------

describe('nginx_error', () => {
  const p = make(nginxError);

  it('parses a line with its client context', () => {
    const line =
      '2024/01/02 03:04:05 [error] 1234#5678: *99 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), ' +
      'client: 1.2.3.4, server: example.com, request: "GET /favicon.ico?v=2 HTTP/1.1", host: "example.com", referrer: "https://example.com/"';
    expect(ok(p.parse(line))).toEqual({
      '@timestamp': Date.UTC(2024, 0, 2, 3, 4, 5),
      'log.level': 'error',
      'process.pid': 1234,
      'process.thread.id': 5678,
      connection_id: 99,
      message: 'open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory)', // issue 9: the context is fields, not message
      'source.address': '1.2.3.4',
      server: 'example.com',
      'http.request.method': 'GET',
      'url.original': '/favicon.ico?v=2',
      'url.path': '/favicon.ico',
      'url.query': 'v=2',
      'http.version': '1.1',
      'url.domain': 'example.com',
      'http.request.referrer': 'https://example.com/',
    });
  });

  it('parses upstream errors, lines without connection id, and reads ctx.timezone', () => {
    const up = ok(
      p.parse(
        '2024/01/02 03:04:05 [warn] 7#7: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, ' +
          'client: 2001:db8::1, server: _, request: "POST /api HTTP/1.1", upstream: "http://10.0.0.2:8080/api", host: "a.example"',
      ),
    );
    expect(up).toMatchObject({ 'log.level': 'warn', 'source.address': '2001:db8::1', upstream: 'http://10.0.0.2:8080/api', 'url.path': '/api' });
    const tz = make(nginxError, { timezone: 'America/New_York' });
    expect(ok(tz.parse('2024/07/04 12:00:00 [notice] 1#1: using the "epoll" event method'))).toEqual({
      '@timestamp': Date.UTC(2024, 6, 4, 16, 0, 0),
      'log.level': 'info',
      'process.pid': 1,
      'process.thread.id': 1,
      message: 'using the "epoll" event method',
    });
    expect(ok(p.parse('2024/01/02 03:04:05 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)'))['log.level']).toBe('fatal');
  });

  it('keeps a client context that does not parse in the message only', () => {
    const r = ok(p.parse('2024/01/02 03:04:05 [error] 1#1: *5 something, client: 1.2.3.4, bogus: x'));
    expect(r['source.address']).toBeUndefined();
    expect(r['message']).toBe('something, client: 1.2.3.4, bogus: x');
  });

  it('stays linear on hostile context', () => {
    const line = (size: number): string => `2024/01/02 03:04:05 [error] 1#1: *5 x${', client: "'.repeat(size / 11)}`;
    ok(p.parse(line(TEN_MB)));
    expectLinear(line, (l) => ok(p.parse(l)), TEN_MB / 8);
  });

  it('fails on lines that are not nginx error lines', () => {
    failure(p.parse('2024-01-02 03:04:05 [error] 1#1: x'));
    failure(p.parse('2024/13/02 03:04:05 [error] 1#1: x'));
    failure(p.parse('2024/01/02 03:04:05 error 1#1: x'));
  });

  badInputs(nginxError);
});

describe('apache_error', () => {
  const p = make(apacheError);

  it('parses the 2.4 format', () => {
    const line =
      '[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] AH00124: Request exceeded the limit of 10 internal redirects';
    expect(ok(p.parse(line))).toEqual({
      '@timestamp': Date.UTC(2000, 9, 11, 14, 32, 52, 123),
      module: 'core',
      'log.level': 'error',
      'process.pid': 1234,
      'process.thread.id': 5678,
      'source.address': '1.2.3.4',
      'source.port': 5678,
      'error.code': 'AH00124',
      message: 'AH00124: Request exceeded the limit of 10 internal redirects',
    });
  });

  it('parses 2.4 variants: IPv6 client, APR error, referer, empty module, trace levels', () => {
    const r = ok(
      p.parse(
        '[Thu Jan 04 10:00:00.000001 2024] [proxy_fcgi:error] [pid 42:tid 139] (70007)The timeout specified has expired: ' +
          '[client 2001:db8::1:50000] AH01075: Error dispatching request to :, referer: https://example.com/x',
      ),
    );
    expect(r).toMatchObject({
      module: 'proxy_fcgi',
      'source.address': '2001:db8::1',
      'source.port': 50000,
      'error.code': 'AH01075',
      'http.request.referrer': 'https://example.com/x',
      message: '(70007)The timeout specified has expired: AH01075: Error dispatching request to :, referer: https://example.com/x',
    });
    const php = ok(p.parse('[Thu Jan 04 10:00:00.5 2024] [:error] [pid 42] [client 10.0.0.1:1234] PHP Warning:  foo'));
    expect(php).toMatchObject({ 'process.pid': 42, 'source.address': '10.0.0.1', message: 'PHP Warning:  foo', '@timestamp': Date.UTC(2024, 0, 4, 10, 0, 0, 500) });
    expect(php['module']).toBeUndefined();
    expect(ok(p.parse('[Thu Jan 04 10:00:00.5 2024] [core:trace5] [pid 1] x'))['log.level']).toBe('trace');
    expect(
      ok(p.parse('[Mon Feb 05 11:12:16.000000 2024] [authz_core:debug] [pid 78:tid 140] mod_authz_core.c(820): [client 10.0.0.2:4321] AH01626: granted')),
    ).toMatchObject({ 'log.level': 'debug', 'source.address': '10.0.0.2', message: 'mod_authz_core.c(820): AH01626: granted', 'error.code': 'AH01626' });
  });

  it('parses the 2.2 format and reads ctx.timezone', () => {
    const line = '[Wed Oct 11 14:32:52 2000] [error] [client 1.2.3.4] File does not exist: /var/www/favicon.ico';
    expect(ok(make(apacheError, { timezone: 'Europe/Berlin' }).parse(line))).toEqual({
      '@timestamp': Date.UTC(2000, 9, 11, 12, 32, 52),
      'log.level': 'error',
      'source.address': '1.2.3.4',
      message: 'File does not exist: /var/www/favicon.ico',
    });
    expect(ok(p.parse('[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties'))).toEqual({
      '@timestamp': Date.UTC(2005, 11, 4, 4, 47, 44),
      'log.level': 'info',
      message: 'workerEnv.init() ok /etc/httpd/conf/workers2.properties',
    });
  });

  it('fails on lines that are not Apache error lines', () => {
    failure(p.parse('[Wed Oct 11 14:32:52 2000] no level here'));
    failure(p.parse('[Wed Oct 11 14:32:52 2000] [this is not a level] x'));
    failure(p.parse('[Wed Foo 11 14:32:52 2000] [error] x'));
    failure(p.parse('[Wed Oct 11 14:32:52] [error] x'));
  });

  it('parses every line of the loghub Apache corpus with its time and level', () => {
    const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const lines = readFileSync(`${CORPUS}/Apache_2k.log`, 'utf8').split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(2000);
    const levels = new Map<unknown, number>();
    for (const line of lines) {
      const r = p.parse(line);
      if (r instanceof ParseFailure) throw new Error(`Apache_2k.log: ${r.reason}: ${line}`);
      const m = /^\[\w{3} (\w{3}) (\d\d) (\d\d):(\d\d):(\d\d) (\d{4})\] \[(\w+)\] /.exec(line)!;
      const d = new Date(r['@timestamp'] as number);
      expect([d.getUTCFullYear(), MONTHS[d.getUTCMonth()], d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]).toEqual([
        Number(m[6]), m[1], Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]),
      ]);
      expect(r['log.level']).toBe(m[7] === 'error' ? 'error' : 'info');
      levels.set(r['log.level'], (levels.get(r['log.level']) ?? 0) + 1);
      expect((r['message'] as string).length).toBeGreaterThan(0);
    }
    expect(levels).toEqual(new Map([['info', 1405], ['error', 595]]));
  });

  badInputs(apacheError);
});

// ---------------------------------------------------------------------------

describe('klog', () => {
  const p = make(klog);

  it('parses the header and a plain message', () => {
    expect(ok(p.parse('I0102 15:04:05.123456    1234 file.go:123] message with: colons] and brackets'))).toEqual({
      '@timestamp': Date.UTC(2025, 0, 2, 15, 4, 5, 123),
      'log.level': 'info',
      'process.thread.id': 1234,
      'log.origin.file.name': 'file.go',
      'log.origin.file.line': 123,
      message: 'message with: colons] and brackets',
    });
    expect(ok(p.parse('W1231 23:59:59.999999       7 reflector.go:424] watch ended'))).toMatchObject({
      '@timestamp': Date.UTC(2024, 11, 31, 23, 59, 59, 999),
      'log.level': 'warn',
      'process.thread.id': 7,
    });
    expect(ok(p.parse('E0315 11:00:00.000000 1 x.go:1] boom'))['log.level']).toBe('error');
    expect(ok(p.parse('F0315 11:00:00.000000 1 x.go:1] boom'))['log.level']).toBe('fatal');
  });

  it('parses structured klog: quoted message and key=value pairs as plain keys', () => {
    const line =
      'I0102 15:04:05.123456    1234 controller.go:42] "Pod status updated" pod="kube-system/coredns-5d78c9869d-abcde" ' +
      'attempt=2 ready=true ratio=0.5 err="context \\"deadline\\" exceeded\\n" node=worker-1';
    expect(ok(p.parse(line))).toEqual({
      '@timestamp': Date.UTC(2025, 0, 2, 15, 4, 5, 123),
      'log.level': 'info',
      'process.thread.id': 1234,
      'log.origin.file.name': 'controller.go',
      'log.origin.file.line': 42,
      message: 'Pod status updated',
      pod: 'kube-system/coredns-5d78c9869d-abcde',
      attempt: 2,
      ready: true,
      ratio: 0.5,
      err: 'context "deadline" exceeded\n',
      node: 'worker-1',
    });
  });

  it('reads klog multi-line values, and keeps text that is not all pairs as a plain message', () => {
    const r = ok(p.parse('I0102 15:04:05.000000 1 a.go:1] "Config" data=<\n\tline 1\n\tline 2\n > n=1'));
    expect(r).toMatchObject({ message: 'Config', data: 'line 1\nline 2', n: 1 });
    expect(ok(p.parse('I0102 15:04:05.000000 1 a.go:1] "PLEG" event=&{ID:5a3c Type:ContainerStarted} raw={"a":1} n=2'))).toMatchObject({
      message: 'PLEG',
      event: '&{ID:5a3c Type:ContainerStarted}',
      raw: '{"a":1}',
      n: 2,
    });
    const plain = ok(p.parse('I0102 15:04:05.000000 1 a.go:1] "quoted" then free text'));
    expect(plain['message']).toBe('"quoted" then free text');
    expect(plain['then']).toBeUndefined();
    const spoof = ok(p.parse('I0102 15:04:05.000000 1 a.go:1] "m" message="x" __proto__="y"'));
    expect(spoof['message']).toBe('m');
    expect(Object.getOwnPropertyDescriptor(spoof, '__proto__')?.value).toBe('y');
    expect(Object.getPrototypeOf(spoof)).toBe(Object.prototype);
  });

  it('infers the year across New Year and reads ctx.timezone', () => {
    const q = make(klog, { now: Date.UTC(2025, 0, 1, 0, 5), timezone: 'Europe/Berlin' });
    // 01:04 in Berlin on Jan 1 is 00:04 UTC: already 2025
    expect(ok(q.parse('I0101 01:04:00.000000 1 a.go:1] x'))['@timestamp']).toBe(Date.UTC(2025, 0, 1, 0, 4));
    expect(ok(q.parse('I1231 23:00:00.000000 1 a.go:1] x'))['@timestamp']).toBe(Date.UTC(2024, 11, 31, 22, 0));
  });

  it('fails on lines that are not klog', () => {
    failure(p.parse('X0102 15:04:05.123456 1 file.go:1] x'));
    failure(p.parse('I1302 15:04:05.123456 1 file.go:1] x'));
    failure(p.parse('I0102 15:04:05.123456 file.go:1] x'));
    failure(p.parse('I0102 15:04:05.123456 1 file.go] x'));
    failure(p.parse('Info something'));
  });

  badInputs(klog);
});

// ---------------------------------------------------------------------------

describe('fixtures/parsers sample inputs', () => {
  const cases: [string, ParserModule][] = [
    ['syslog', syslog],
    ['nginx', nginx],
    ['apache', apache],
    ['nginx_error', nginxError],
    ['apache_error', apacheError],
    ['klog', klog],
  ];
  for (const [dir, mod] of cases) {
    it(`${dir}: good lines parse, the lines marked bad fail`, () => {
      const lines = readFileSync(`${FIXTURES}${dir}/input.log`, 'utf8').split('\n').filter((l) => l !== '');
      const p = make(mod);
      let bad = 0;
      for (const line of lines) {
        const r = p.parse(line);
        const expectBad = line.includes('BAD') || !/^[\x20-\x7e\u00a0-\uffff]/.test(line);
        if (expectBad) {
          bad++;
          expect(r, line).toBeInstanceOf(ParseFailure);
        } else {
          if (r instanceof ParseFailure) throw new Error(`${dir}: ${r.reason}: ${line}`);
          expect(typeof r['@timestamp'], line).toBe('number');
        }
      }
      expect(bad).toBeGreaterThanOrEqual(2);
      expect(lines.length - bad).toBeGreaterThanOrEqual(5);
    });
  }
});
