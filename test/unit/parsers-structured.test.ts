import { describe, expect, it } from 'vitest';
import { auto } from '../../parsers/auto.js';
import { json } from '../../parsers/json.js';
import { keyValue } from '../../parsers/key-value.js';
import { logfmt } from '../../parsers/logfmt.js';
import { plain } from '../../parsers/plain.js';
import { cutUtf8, regex } from '../../parsers/regex.js';
import { ParseFailure, type LineParser, type ParserContext, type ParserModule, type ParseResult } from '../../parsers/types.js';

// ---- helpers ---------------------------------------------------------------

const CTX: ParserContext = { timezone: undefined, timeFormat: undefined, now: () => Date.parse('2024-05-01T12:00:00Z') };

/** Creates a parser the way the registry does: options validated by the module's schema first. */
function make<O>(mod: ParserModule<O>, options?: unknown): LineParser {
  const parsed = mod.options ? mod.options.parse(options) : (options as O);
  return mod.create(parsed, CTX);
}

function failure(r: ParseResult): string {
  expect(r).toBeInstanceOf(ParseFailure);
  return (r as ParseFailure).reason;
}

/** Bytes that are not UTF-8, decoded as the tailer does (replacement characters, NULs, control bytes). */
const BINARY = Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x7b, 0x22, 0x80, 0x3d, 0x0b, 0xc3, 0x28, 0x1b, 0x5b, 0x30, 0x6d]).toString('utf8');

const TEN_MB = 10 * 1024 * 1024;

// ---- json --------------------------------------------------------------------

describe('json', () => {
  const p = make(json);

  it('returns the object with its own keys, nested objects and arrays kept', () => {
    const line =
      '{"time":"2024-05-01T12:00:00.123Z","level":"info","msg":"order placed","order":{"id":42,"items":[{"sku":"A-1","qty":2}]},"ok":true,"discount":null}';
    expect(p.parse(line)).toEqual({
      time: '2024-05-01T12:00:00.123Z',
      level: 'info',
      msg: 'order placed',
      order: { id: 42, items: [{ sku: 'A-1', qty: 2 }] },
      ok: true,
      discount: null,
    });
  });

  it('strips a UTF-8 BOM at the start', () => {
    expect(p.parse('\uFEFF{"level":30,"msg":"hi"}')).toEqual({ level: 30, msg: 'hi' });
  });

  it('accepts surrounding whitespace and a trailing CR', () => {
    expect(p.parse('  {"a":"b"}\r')).toEqual({ a: 'b' });
  });

  it('keeps a "__proto__" key as an own field', () => {
    const r = p.parse('{"__proto__":{"x":1},"a":1}') as Record<string, unknown>;
    expect(Object.keys(r)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
  });

  it('fails a JSON value that is not an object', () => {
    expect(failure(p.parse('[1,2,3]'))).toBe('JSON value is an array, not an object');
    expect(failure(p.parse('"just a string"'))).toBe('JSON value is a string, not an object');
    expect(failure(p.parse('42'))).toBe('JSON value is a number, not an object');
    expect(failure(p.parse('null'))).toBe('JSON value is null, not an object');
  });

  it('fails malformed JSON with the reason and its position', () => {
    expect(failure(p.parse('{"level":"info","msg":"truncated'))).toBe('invalid JSON: unterminated string at position 22');
    expect(failure(p.parse('{"a":1,}'))).toBe("invalid JSON: expected a double-quoted property name, found '}' at position 7");
    expect(failure(p.parse('{"a" 1}'))).toBe("invalid JSON: expected ':' after property name, found '1' at position 5");
    expect(failure(p.parse('{"a":1 "b":2}'))).toBe("invalid JSON: expected ',' or '}', found '\"' at position 7");
    expect(failure(p.parse('{"a":tru}'))).toBe("invalid JSON: unexpected '}' at position 8");
    expect(failure(p.parse('{"a":1} trailing'))).toBe("invalid JSON: unexpected 't' after the JSON value at position 8");
    expect(failure(p.parse('INFO not json at all'))).toBe("invalid JSON: unexpected 'I' at position 0");
    expect(failure(p.parse(''))).toBe('invalid JSON: unexpected end of input at position 0');
    expect(failure(p.parse('{"a":"tab\there"}'))).toBe('invalid JSON: control character in string at position 9');
  });

  it('counts the position in the record, BOM included', () => {
    expect(failure(p.parse('\uFEFF{"a":}'))).toBe("invalid JSON: unexpected '}' at position 6");
  });

  it('fails binary bytes with a printable reason', () => {
    const reason = failure(p.parse(BINARY));
    expect(reason).toBe("invalid JSON: unexpected '\\u0000' at position 0");
  });

  it('fails deep nesting without overflowing the stack', () => {
    expect(failure(p.parse('['.repeat(1_000_000)))).toBe('invalid JSON: unexpected end of input at position 1000000');
  });

  it('parses a 10 MB line, and fails a truncated one with a short reason', () => {
    const big = 'x'.repeat(TEN_MB);
    expect(p.parse(`{"msg":"${big}"}`)).toEqual({ msg: big });
    const reason = failure(p.parse(`{"msg":"${big}`));
    expect(reason).toBe('invalid JSON: unterminated string at position 7');
  });
});

// ---- logfmt --------------------------------------------------------------------

describe('logfmt', () => {
  const p = make(logfmt);

  it('parses pairs, quoted values with escapes, and bare keys', () => {
    const line = 'ts=2024-05-01T12:00:00Z level=warn msg="disk \\"data\\" almost full" path=/var/lib used_pct=91.5 retry';
    expect(p.parse(line)).toEqual({
      ts: '2024-05-01T12:00:00Z',
      level: 'warn',
      msg: 'disk "data" almost full',
      path: '/var/lib',
      used_pct: '91.5',
      retry: true,
    });
  });

  it('keeps values as strings, the empty value, `=` inside a bare value, and the last of a repeated key', () => {
    expect(p.parse('n=42 ok=true empty= q=a=b n=43')).toEqual({ n: '43', ok: 'true', empty: '', q: 'a=b' });
  });

  it('decodes JSON escapes and keeps unknown ones as written', () => {
    expect(p.parse('m="line1\\nline2\\t\\u00e9 C:\\temp\\x"')).toEqual({ m: 'line1\nline2\t\u00e9 C:\temp\\x' });
  });

  it('treats tabs, CR and newlines as separators (multi-line records)', () => {
    expect(p.parse('a=1\tb=2\r\nc="x y"')).toEqual({ a: '1', b: '2', c: 'x y' });
  });

  it('fails an unterminated quote with its column', () => {
    expect(failure(p.parse('level=info msg="never closed'))).toBe('unterminated quote at column 16');
    expect(failure(p.parse('msg="ends with an escaped quote\\"'))).toBe('unterminated quote at column 5');
    expect(failure(p.parse('msg="ends with a backslash\\'))).toBe('unterminated quote at column 5');
  });

  it('fails other malformed input', () => {
    expect(failure(p.parse('=value'))).toBe("missing key before '=' at column 1");
    expect(failure(p.parse('a=1 "quoted key"=2'))).toBe('unexpected \'"\' in key at column 5');
    expect(failure(p.parse('a="x"y b=1'))).toBe('expected whitespace after the closing quote at column 6');
    expect(failure(p.parse('   '))).toBe('empty record');
  });

  it('binary bytes: a failure with a reason, not a throw', () => {
    // NUL, SOH, two U+FFFD, `{`, then a `"` inside what would be the key
    expect(failure(p.parse(BINARY))).toBe('unexpected \'"\' in key at column 6');
    expect(p.parse('k=\u0000\u0001\ufffd')).toEqual({ k: '\u0000\u0001\ufffd' });
  });

  it('returns on a 10 MB line: a huge value, and an unterminated quote at its start', () => {
    const big = 'y'.repeat(TEN_MB);
    expect(p.parse(`level=info msg="${big}" n=1`)).toEqual({ level: 'info', msg: big, n: '1' });
    expect(failure(p.parse(`level=info msg="${big}`))).toBe('unterminated quote at column 16');
  });
});

// ---- key_value -------------------------------------------------------------------

describe('key_value', () => {
  it('defaults: space and =, double and single quotes', () => {
    const p = make(keyValue, undefined);
    expect(p.parse(`user=alice action="log in" reason='bad password' attempts=3 locked`)).toEqual({
      user: 'alice',
      action: 'log in',
      reason: 'bad password',
      attempts: '3',
      locked: true,
    });
  });

  it('custom separators with trim', () => {
    const p = make(keyValue, { field_split: ';', value_split: ':', trim: true });
    expect(p.parse(' host : db-1 ; status: "up; degraded" ;; latency ms: 12 ;note:')).toEqual({
      host: 'db-1',
      status: 'up; degraded',
      'latency ms': '12',
      note: '',
    });
  });

  it('multi-character separators, no trim', () => {
    const p = make(keyValue, { field_split: ', ', value_split: ': ' });
    expect(p.parse('a: 1, b: x: y, c:  two spaces, flag')).toEqual({ a: '1', b: 'x: y', c: ' two spaces', flag: true });
  });

  it('escapes inside quotes: the quote character and the backslash', () => {
    const p = make(keyValue, { quotes: ["'"] });
    expect(p.parse(String.raw`msg='it\'s \\ fine \n' other="a`)).toEqual({ msg: "it's \\ fine \\n", other: '"a' });
  });

  it('quoted keys', () => {
    const p = make(keyValue);
    expect(p.parse('"user name"=bob \'x y\'')).toEqual({ 'user name': 'bob', 'x y': true });
  });

  it('rejects bad options at config time', () => {
    expect(() => make(keyValue, { field_split: '=', value_split: '=' })).toThrow(/must differ from field_split/);
    expect(() => make(keyValue, { quotes: ['""'] })).toThrow(/a quote is one character/);
    expect(() => make(keyValue, { field_split: '' })).toThrow();
    expect(() => make(keyValue, { field_splt: ',' })).toThrow(); // strict: a typo is an error
  });

  it('fails unterminated quotes and other malformed input', () => {
    const p = make(keyValue);
    // Issue 9: a malformed pair no longer costs the record its well-formed pairs; only a record without any fails.
    expect(p.parse(`a=1 b='open`)).toEqual({ a: '1' });
    expect(failure(p.parse(`b='open`))).toBe('unterminated quote at column 3');
    expect(failure(p.parse('a="x"y'))).toBe('unexpected character after the closing quote at column 6');
    expect(failure(p.parse('=x'))).toBe("missing key before '=' at column 1");
    expect(failure(p.parse('   '))).toBe('empty record');
  });

  it('binary bytes and a 10 MB line return', () => {
    const p = make(keyValue);
    expect(p.parse(BINARY)).not.toBeInstanceOf(ParseFailure);
    const big = 'z'.repeat(TEN_MB);
    expect(p.parse(`k=${big} j=1`)).toEqual({ k: big, j: '1' });
    expect(failure(p.parse(`k="${big}`))).toBe('unterminated quote at column 3');
    // many bare keys in one huge record: still one linear pass
    const keys = p.parse('k '.repeat(1_000_000));
    expect(keys).toEqual({ k: true });
  });
});

// ---- regex ---------------------------------------------------------------------

describe('regex', () => {
  const APACHE_ERROR =
    '^\\[(?<time>[^\\]]+)\\] \\[(?<level>\\w+)\\](?: \\[client (?<source__address>[^\\]]+)\\])? (?<message>.*)$';

  it('named groups become fields; an unmatched optional group is omitted', () => {
    const p = make(regex, { pattern: APACHE_ERROR });
    expect(p.parse('[Sun Dec 04 04:47:44 2005] [error] [client 10.0.0.7] Directory index forbidden by rule: /var/www/html/')).toEqual({
      time: 'Sun Dec 04 04:47:44 2005',
      level: 'error',
      'source.address': '10.0.0.7',
      message: 'Directory index forbidden by rule: /var/www/html/',
    });
    expect(p.parse('[Sun Dec 04 04:47:44 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10')).toEqual({
      time: 'Sun Dec 04 04:47:44 2005',
      level: 'notice',
      message: 'jk2_init() Found child 6725 in scoreboard slot 10',
    });
  });

  it('`__` in a group name is a dot', () => {
    const p = make(regex, { pattern: '^(?<http__request__method>[A-Z]+) (?<url__path>\\S+) (?<http__response__status_code>\\d{3})$' });
    expect(p.parse('GET /api/v1/orders 200')).toEqual({
      'http.request.method': 'GET',
      'url.path': '/api/v1/orders',
      'http.response.status_code': '200',
    });
  });

  it('flags apply, and `g` does not make matching stateful', () => {
    const p = make(regex, { pattern: '(?<level>warn|error)', flags: 'gi' });
    expect(p.parse('disk WARN 91%')).toEqual({ level: 'WARN' });
    expect(p.parse('disk WARN 91%')).toEqual({ level: 'WARN' });
    expect(p.parse('ERROR x')).toEqual({ level: 'ERROR' });
  });

  it('no match → ParseFailure("no match")', () => {
    const p = make(regex, { pattern: APACHE_ERROR });
    expect(failure(p.parse('not an apache error line'))).toBe('no match');
    expect(failure(p.parse(BINARY))).toBe('no match');
  });

  it('an invalid pattern, or one without a named group, throws at config time naming the pattern', () => {
    const issue = regex.options!.safeParse({ pattern: '^(?<ts>\\S+' }).error?.issues[0];
    expect(issue?.path).toEqual(['pattern']);
    expect(issue?.message).toBe(
      'regex parser: invalid pattern "^(?<ts>\\\\S+": Invalid regular expression: /^(?<ts>\\S+/: Unterminated group',
    );
    expect(() => regex.create({ pattern: '([a-z', max_input_bytes: 100 }, CTX)).toThrow(/regex parser: invalid pattern "\(\[a-z"/);
    expect(() => regex.create({ pattern: '(?<a>x)', flags: 'q', max_input_bytes: 100 }, CTX)).toThrow(/flags "q"/);
    expect(() => make(regex, { pattern: '^(\\S+) (?<=x)' })).toThrow(/has no named group/);
    expect(() => make(regex, { pattern: '(?<a>x)', max_input_bytes: 0 })).toThrow();
    expect(() => make(regex, {})).toThrow();
  });

  it('cuts the record to max_input_bytes UTF-8 bytes at a character boundary before matching', () => {
    const p = make(regex, { pattern: '^(?<all>.*)$', flags: 's', max_input_bytes: 8 });
    // a(1) é(2) €(3) = 6 bytes; 😀 (4) would make 10
    expect(p.parse('aé€😀tail')).toEqual({ all: 'aé€' });
    expect(p.parse('short')).toEqual({ all: 'short' });
    expect(cutUtf8('abc', 3)).toBe('abc');
    expect(cutUtf8('ab😀', 5)).toBe('ab');
    expect(cutUtf8('ab😀', 6)).toBe('ab😀');
    expect(cutUtf8('\ud800x'.repeat(3), 4)).toBe('\ud800x'); // a lone surrogate counts 3 (U+FFFD)
  });

  it('a 10 MB line returns (the regex sees 16 KiB)', () => {
    const p = make(regex, { pattern: '^(?<level>\\w+) (?<message>.*)$' });
    const r = p.parse(`INFO ${'m'.repeat(TEN_MB)}`) as Record<string, string>;
    expect(r.level).toBe('INFO');
    expect(r.message!.length).toBe(16_384 - 5);
  });

  it('catastrophic backtracking `^(a+)+$` on a long aaaa…b line returns, thanks to the input bound', () => {
    const p = make(regex, { pattern: '^(?<run>a+)+$' });
    const r = p.parse(`${'a'.repeat(100_000)}b`) as Record<string, string>;
    // cut to 16 KiB of `a`s, which match at once
    expect(r.run!.length).toBe(16_384);
  });

  it('and on a short aaaa…b line (within the bound) it returns through V8\'s linear fallback', () => {
    const p = make(regex, { pattern: '^(?<run>a+)+$' });
    // 2^48 steps for a backtracking engine: without the fallback this never returns
    // (the test times out); with it, it is linear. A liveness check, not a timing one.
    expect(failure(p.parse(`${'a'.repeat(48)}b`))).toBe('no match');
  });
});

// ---- plain -------------------------------------------------------------------------

describe('plain', () => {
  it('the record is the message, whatever it holds', () => {
    const p = make(plain);
    expect(p.parse('Started GET "/" for 127.0.0.1')).toEqual({ message: 'Started GET "/" for 127.0.0.1' });
    expect(p.parse('')).toEqual({ message: '' });
    expect(p.parse(BINARY)).toEqual({ message: BINARY });
    expect(p.parse('line 1\n  line 2')).toEqual({ message: 'line 1\n  line 2' });
  });
});

// ---- auto ----------------------------------------------------------------------------

describe('auto', () => {
  const p = make(auto);

  it('json when the record starts with `{`', () => {
    expect(p.parse('{"level":"info","msg":"ready","port":8080}')).toEqual({ level: 'info', msg: 'ready', port: 8080 });
    expect(p.parse('\uFEFF  {"a":{"b":1}}')).toEqual({ a: { b: 1 } });
  });

  it('falls through from broken json to plain (or logfmt)', () => {
    expect(p.parse('{"level":"info","msg":"trunc')).toEqual({ message: '{"level":"info","msg":"trunc' });
    expect(p.parse('{ this is a template }')).toEqual({ message: '{ this is a template }' });
    expect(p.parse('[1,2]')).toEqual({ message: '[1,2]' });
  });

  it('logfmt when at least two key=value pairs with identifier keys lead the record', () => {
    expect(p.parse('level=info msg="user logged in" user.id=42 admin')).toEqual({
      level: 'info',
      msg: 'user logged in',
      'user.id': '42',
      admin: true,
    });
    expect(p.parse('  t=2024-05-01 request-id=abc')).toEqual({ t: '2024-05-01', 'request-id': 'abc' });
  });

  it('plain otherwise', () => {
    expect(p.parse('user=bob logged in')).toEqual({ message: 'user=bob logged in' });
    expect(p.parse('2024-05-01 12:00:00 INFO a=1 b=2')).toEqual({ message: '2024-05-01 12:00:00 INFO a=1 b=2' });
    expect(p.parse('1a=1 b=2')).toEqual({ message: '1a=1 b=2' });
    expect(p.parse('a="x" =2')).toEqual({ message: 'a="x" =2' });
    expect(p.parse('')).toEqual({ message: '' });
  });

  it('logfmt that fails later (an unterminated quote) is plain', () => {
    expect(p.parse('level=error msg="oops')).toEqual({ message: 'level=error msg="oops' });
  });

  it('never a parse failure: binary bytes, BOM-only, a 10 MB line', () => {
    expect(p.parse(BINARY)).toEqual({ message: BINARY });
    expect(p.parse('\uFEFF')).toEqual({ message: '\uFEFF' });
    const big = `{"msg":"${'q'.repeat(TEN_MB)}`;
    expect(p.parse(big)).toEqual({ message: big });
    const bigLogfmt = `a=1 b="${'q'.repeat(TEN_MB)}`;
    expect(p.parse(bigLogfmt)).toEqual({ message: bigLogfmt });
  });
});
