// Issue 3, "Bad input", end to end through `logship parse` (`node dist/cli.js
// parse`, spawned): binary bytes, a 10 MB line, a BOM, an unterminated logfmt
// quote, broken syslog structured data, malformed JSON, empty input and bad
// flags. Every record that cannot be read becomes an event tagged
// `parse_failure` whose `message` is the raw line; nothing crashes or hangs.
//
// A hang shows up as the spawn's own bound (SPAWN_TIMEOUT_MS: the child is
// killed and `code` is null); there are no timing assertions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const READ_TIME = '2026-03-01T12:00:00Z';
const READ_TS = '2026-03-01T12:00:00.000Z';
const ECS = { version: '8.11.0' };
const MiB = 1024 * 1024;
/** logship parse's max_line_bytes. */
const MAX_LINE = MiB;
const TEN_MB = 10 * MiB;
const SPAWN_TIMEOUT_MS = 60_000;

let dir: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js does not exist: run `npm run build` first (npm test does)');
  dir = mkdtempSync(path.join(os.tmpdir(), 'logship-parse-bad-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
}

/**
 * `logship parse --read-time READ_TIME ARGS FILE` (a --read-time in ARGS wins: parseArgs keeps the last). `input` is a Buffer fed on
 * stdin (FILE `-`), or `{ file }` content written to a temp file passed as FILE.
 */
function parse(args: string[], input: Buffer | { file: Buffer }): Result {
  let fileArg = '-';
  let stdin: Buffer | undefined;
  if (Buffer.isBuffer(input)) stdin = input;
  else {
    fileArg = path.join(dir, `in-${Math.random().toString(36).slice(2)}.log`);
    writeFileSync(fileArg, input.file);
  }
  const r = spawnSync(process.execPath, [CLI, 'parse', '--read-time', READ_TIME, ...args, fileArg], {
    cwd: dir,
    input: stdin ?? Buffer.alloc(0),
    encoding: 'utf8',
    maxBuffer: 256 * MiB,
    timeout: SPAWN_TIMEOUT_MS,
  });
  const stdout = r.stdout ?? '';
  const events = stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.status, signal: r.signal, stdout, stderr: r.stderr ?? '', events };
}

/** The event logship makes of a line it cannot parse (no time of its own: the read time). */
function failureEvent(message: string, offset: number, tags: string[] = ['parse_failure']): Record<string, unknown> {
  return { '@timestamp': READ_TS, message, error: { message: expect.any(String) }, tags, ecs: ECS, log: { offset } };
}

function stderrLines(stderr: string): string[] {
  return stderr === '' ? [] : stderr.replace(/\n$/, '').split('\n');
}

/** mulberry32: deterministic bytes for the binary input. */
function seededBytes(n: number, seed: number): Buffer {
  let a = seed >>> 0;
  const buf = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    buf[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return buf;
}

describe('logship parse: binary bytes', () => {
  // Hand-written lines first (NUL, each kind of invalid UTF-8), then random
  // ones. Every line starts with a byte that can begin neither JSON nor
  // syslog, and no line holds \n or \r: the expected split is exact.
  const handMade: Buffer[] = [
    Buffer.from([0x61, 0x00, 0x62, 0xff, 0xfe, 0x63]), // a NUL b, two invalid bytes, c
    Buffer.from([0x00, 0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d]), // NUL then {"a":1}
    Buffer.from([0xe2, 0x82]), // a truncated 3-byte sequence: one U+FFFD
    Buffer.from([0xc0, 0xaf, 0x78]), // an overlong '/': two U+FFFD, then x
    Buffer.from([0xed, 0xa0, 0x80, 0x79]), // an encoded lone surrogate: three U+FFFD, then y
    Buffer.from([0xf0, 0x9f, 0x98, 0x3c, 0x33, 0x34, 0x3e]), // truncated emoji, then <34>
    Buffer.from([0x80, 0xe2, 0x82, 0xac, 0x80]), // continuation, a valid €, continuation
  ];
  const handMessages = ['a\u0000b\uFFFD\uFFFDc', '\u0000{"a":1}', '\uFFFD', '\uFFFD\uFFFDx', '\uFFFD\uFFFD\uFFFDy', '\uFFFD<34>', '\uFFFD€\uFFFD'];
  const random: Buffer[] = [];
  for (let i = 0; i < 60; i++) {
    const bytes = seededBytes(20 + ((i * 37) % 180), 1000 + i).map((b) => (b === 0x0a || b === 0x0d ? 0x00 : b));
    bytes[0] = i % 2 === 0 ? 0xff : 0x00;
    random.push(Buffer.from(bytes));
  }
  const lines = [...handMade, ...random];
  const content = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
  const offsets: number[] = [];
  for (let i = 0, off = 0; i < lines.length; off += lines[i]!.length + 1, i++) offsets.push(off);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const expected = lines.map((l, i) => failureEvent(i < handMessages.length ? handMessages[i]! : decoder.decode(l), offsets[i]!));

  it('the hand-made lines decode as WHATWG UTF-8 does (the fixture itself)', () => {
    expect(handMade.map((l) => decoder.decode(l))).toEqual(handMessages);
    // No random line holds a newline or a CR: the expected split is exact.
    expect(random.every((l) => !l.includes(0x0a) && !l.includes(0x0d))).toBe(true);
  });

  for (const format of ['json', 'syslog']) {
    it(`--format ${format}: every line is a parse_failure event whose message is the line (U+FFFD for invalid bytes), exit 0`, () => {
      const r = parse(['--format', format], { file: content });
      expect(r.code).toBe(0);
      expect(r.events).toHaveLength(lines.length);
      expect(r.events).toEqual(expected);
      // The output is plain NDJSON: NUL is escaped, never raw, and each event is one line.
      expect(r.stdout).not.toContain('\u0000');
      expect(r.stdout).toContain('"message":"a\\u0000b\uFFFD\uFFFDc"');
      // The first 20 failures are reported one per line, then the total.
      const err = stderrLines(r.stderr);
      expect(err).toHaveLength(21);
      expect(err[0]).toBe(format === 'json' ? 'logship: parse_failure at byte 0: invalid JSON: unexpected \'a\' at position 0' : 'logship: parse_failure at byte 0: syslog: no RFC 3164 timestamp or <PRI>');
      expect(err[20]).toBe(`logship: ${lines.length} parse failures in all`);
    });
  }

  it('--format syslog on stdin: the same events as from a file', () => {
    const r = parse(['--format', 'syslog'], content);
    expect(r.code).toBe(0);
    expect(r.events).toEqual(expected);
  });
});

describe('logship parse: a 10 MB line', () => {
  const xs = 'x'.repeat(TEN_MB);
  const headX = 'x'.repeat(MAX_LINE);

  it('--format json on 10 MB of x, then a good line: one truncated parse_failure event (the first 1 MiB), then the good line at its true offset', () => {
    const r = parse(['--format', 'json'], { file: Buffer.from(`${xs}\n{"msg":"after","level":"error"}\n`) });
    expect(r.code).toBe(0);
    expect(r.events).toHaveLength(2);
    expect(r.events[0]).toEqual(failureEvent(headX, 0, ['truncated', 'parse_failure']));
    expect(r.events[1]).toEqual({ '@timestamp': READ_TS, ecs: ECS, message: 'after', log: { level: 'error', offset: TEN_MB + 1 } });
    expect(stderrLines(r.stderr)).toEqual(["logship: parse_failure at byte 0: invalid JSON: unexpected 'x' at position 0"]);
  });

  it('--format json on a valid 10 MB JSON object: cut at 1 MiB, so it is a truncated parse_failure keeping the head', () => {
    const r = parse(['--format', 'json'], { file: Buffer.from(`{"msg":"${'y'.repeat(TEN_MB)}"}\n`) });
    expect(r.code).toBe(0);
    expect(r.events).toEqual([failureEvent(`{"msg":"${'y'.repeat(MAX_LINE - 8)}`, 0, ['truncated', 'parse_failure'])]);
    expect(stderrLines(r.stderr)).toEqual(['logship: parse_failure at byte 0: invalid JSON: unterminated string at position 7']);
  });

  it('--format logfmt on 10 MB of x: one event, truncated (a bare key is a flag: `x…x` = true)', () => {
    const r = parse(['--format', 'logfmt'], { file: Buffer.from(`${xs}\n`) });
    expect(r.code).toBe(0);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toEqual({ '@timestamp': READ_TS, ecs: ECS, attributes: { [headX]: true }, tags: ['truncated'], log: { offset: 0 } });
    expect(r.stderr).toBe('');
  });

  it('--format logfmt, a 10 MB unquoted value: parsed from the first 1 MiB, tagged truncated', () => {
    const r = parse(['--format', 'logfmt'], { file: Buffer.from(`level=warn msg=${xs} user=bob\n`) });
    expect(r.code).toBe(0);
    expect(r.events).toEqual([{ '@timestamp': READ_TS, ecs: ECS, message: 'x'.repeat(MAX_LINE - 15), log: { level: 'warn', offset: 0 }, tags: ['truncated'] }]);
    expect(r.stderr).toBe('');
  });

  it('--format logfmt, a 10 MB quoted value: the cut leaves the quote open, so a truncated parse_failure with the raw head', () => {
    const r = parse(['--format', 'logfmt'], { file: Buffer.from(`level=warn msg="${xs}" user=bob\n`) });
    expect(r.code).toBe(0);
    expect(r.events).toEqual([failureEvent(`level=warn msg="${'x'.repeat(MAX_LINE - 16)}`, 0, ['truncated', 'parse_failure'])]);
    expect(stderrLines(r.stderr)).toEqual(['logship: parse_failure at byte 0: unterminated quote at column 16']);
  });

  it("--format regex --pattern '^(?<a>(x+)+)y$' on 10 MB of x: returns, one truncated parse_failure event (no match)", () => {
    const r = parse(['--format', 'regex', '--pattern', '^(?<a>(x+)+)y$'], { file: Buffer.from(`${xs}\n`) });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.events).toEqual([failureEvent(headX, 0, ['truncated', 'parse_failure'])]);
    expect(stderrLines(r.stderr)).toEqual(['logship: parse_failure at byte 0: no match']);
  });

  it('the 1 MiB cut never splits a UTF-8 character (a 10 MB line of 2-byte é, odd start)', () => {
    const r = parse(['--format', 'plain'], { file: Buffer.from(`a${'é'.repeat(TEN_MB / 2)}\n`) });
    expect(r.code).toBe(0);
    // 1 + 2k <= 1 MiB bytes: the head holds 524,287 é, not half of the next one.
    expect(r.events).toEqual([{ '@timestamp': READ_TS, ecs: ECS, message: `a${'é'.repeat(MAX_LINE / 2 - 1)}`, tags: ['truncated'], log: { offset: 0 } }]);
  });

  it('a 10 MB last line without a trailing newline is tagged truncated too', () => {
    const r = parse(['--format', 'plain'], { file: Buffer.from(xs) });
    expect(r.code).toBe(0);
    expect(r.events).toEqual([{ '@timestamp': READ_TS, ecs: ECS, message: headX, tags: ['truncated'], log: { offset: 0 } }]);
  });
});

describe('logship parse: JSON with a BOM', () => {
  const line = '{"msg":"hello","level":"warn","time":"2026-02-28T10:00:00+01:00","user":"bob"}';
  // A BOM at the start of the file, and one at the start of a later line (files concatenated).
  const content = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${line}\n`), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"msg":"second"}\n')]);
  const second = 3 + Buffer.byteLength(line) + 1;
  const expected = [
    { '@timestamp': '2026-02-28T09:00:00.000Z', ecs: ECS, message: 'hello', log: { level: 'warn', offset: 0 }, attributes: { user: 'bob' } },
    { '@timestamp': READ_TS, ecs: ECS, message: 'second', log: { offset: second } },
  ];

  for (const format of ['json', 'auto']) {
    it(`--format ${format}: the BOM is skipped and the object parses`, () => {
      const r = parse(['--format', format], { file: content });
      expect(r.code).toBe(0);
      expect(r.events).toEqual(expected);
      expect(r.stderr).toBe('');
    });
  }
});

describe('logship parse: logfmt with an unterminated quote', () => {
  it('a parse_failure event with the raw line; the next line is not affected', () => {
    const bad = 'level=info msg="unterminated value user=bob';
    const r = parse(['--format', 'logfmt'], Buffer.from(`${bad}\nlevel=warn msg="ok" user=carol\n`));
    expect(r.code).toBe(0);
    expect(r.events).toEqual([
      failureEvent(bad, 0),
      { '@timestamp': READ_TS, ecs: ECS, message: 'ok', log: { level: 'warn', offset: bad.length + 1 }, attributes: { user: 'carol' } },
    ]);
    expect(stderrLines(r.stderr)).toEqual(['logship: parse_failure at byte 0: unterminated quote at column 16']);
  });

  it('a quote left open by a trailing backslash is unterminated too', () => {
    const bad = 'level=info msg="ends in a backslash\\';
    const r = parse(['--format', 'logfmt'], Buffer.from(`${bad}\n`));
    expect(r.code).toBe(0);
    expect(r.events).toEqual([failureEvent(bad, 0)]);
  });
});

describe('logship parse: syslog with a broken structured-data block', () => {
  const head = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47';
  // Positions in the reasons are 0-based UTF-16 indexes into the line.
  const broken: [string, string][] = [
    [`${head} [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011" An application event`, 'syslog: invalid PARAM-NAME in structured data at 140'],
    [`${head} [exampleSDID@32473 iut="3" eventSource="Application`, 'syslog: unterminated PARAM-VALUE in structured data'],
    [`${head} [exampleSDID@32473 iut="3"`, 'syslog: unterminated structured data'],
    [`${head} [exampleSDID@32473 iut=3] An application event`, 'syslog: PARAM-VALUE must be quoted at 93'],
    [`${head} [] An application event`, 'syslog: empty SD-ID at 70'],
    [`${head} [a b="c"]x`, 'syslog: expected a space after structured data at 79'],
  ];
  const good = `${head} [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry`;

  it('each broken block is a parse_failure event with the raw line; a good line after them parses', () => {
    const input = [...broken.map(([l]) => l), good].join('\n') + '\n';
    const r = parse(['--format', 'syslog'], Buffer.from(input));
    expect(r.code).toBe(0);
    let offset = 0;
    const offsets = [...broken.map(([l]) => l), good].map((l) => {
      const o = offset;
      offset += Buffer.byteLength(l) + 1;
      return o;
    });
    expect(r.events.slice(0, broken.length)).toEqual(broken.map(([l], i) => failureEvent(l, offsets[i]!)));
    expect(stderrLines(r.stderr)).toEqual(broken.map(([, reason], i) => `logship: parse_failure at byte ${offsets[i]}: ${reason}`));
    expect(r.events[broken.length]).toEqual({
      '@timestamp': '2003-10-11T22:14:15.003Z',
      ecs: ECS,
      message: 'An application event log entry',
      log: {
        syslog: {
          priority: 165,
          facility: { code: 20, name: 'local4' },
          severity: { code: 5, name: 'notice' },
          version: '1',
          msgid: 'ID47',
          structured_data: { 'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' } },
        },
        level: 'info',
        offset: offsets[broken.length],
      },
      host: { hostname: 'mymachine.example.com' },
      process: { name: 'evntslog' },
    });
  });
});

describe('logship parse: malformed JSON', () => {
  const cases: [string, string][] = [
    ['{"a":1,', 'invalid JSON: unexpected end of input at position 7'],
    ['{"a":}', "invalid JSON: unexpected '}' at position 5"],
    ["{'a':1}", "invalid JSON: expected a double-quoted property name, found ''' at position 1"],
    ['{"a":1}}', "invalid JSON: unexpected '}' after the JSON value at position 7"],
    ['{"a":"tab\there"}', 'invalid JSON: control character in string at position 9'],
    ['not json at all', "invalid JSON: unexpected 'o' at position 1"], // read as the literal null
    ['[1,2,3]', 'JSON value is an array, not an object'],
    ['"just a string"', 'JSON value is a string, not an object'],
    ['null', 'JSON value is null, not an object'],
  ];

  it('every malformed or non-object line is a parse_failure event with the raw line, its reason on stderr', () => {
    const r = parse(['--format', 'json'], Buffer.from(cases.map(([l]) => `${l}\n`).join('')));
    expect(r.code).toBe(0);
    let offset = 0;
    const offsets = cases.map(([l]) => {
      const o = offset;
      offset += Buffer.byteLength(l) + 1;
      return o;
    });
    expect(r.events).toEqual(cases.map(([l], i) => failureEvent(l, offsets[i]!)));
    expect(stderrLines(r.stderr)).toEqual(cases.map(([, reason], i) => `logship: parse_failure at byte ${offsets[i]}: ${reason}`));
  });

  it('a deeply nested line (100,000 open brackets) is a parse_failure, not a stack overflow', () => {
    const deep = `{"a":${'['.repeat(100_000)}`;
    const r = parse(['--format', 'json'], Buffer.from(`${deep}\n`));
    expect(r.code).toBe(0);
    expect(r.events).toEqual([failureEvent(deep, 0)]);
    expect(stderrLines(r.stderr)).toEqual([`logship: parse_failure at byte 0: invalid JSON: unexpected end of input at position ${deep.length}`]);
  });
});

describe('logship parse: empty input', () => {
  for (const format of ['json', 'logfmt', 'syslog', 'plain']) {
    it(`--format ${format}: no events, nothing on stderr, exit 0 (file and stdin)`, () => {
      for (const input of [{ file: Buffer.alloc(0) }, Buffer.alloc(0)]) {
        const r = parse(['--format', format], input);
        expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
      }
    });
  }

  it('--multiline java on empty input: no events, exit 0', () => {
    const r = parse(['--format', 'plain', '--multiline', 'java'], Buffer.alloc(0));
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('logship parse: invalid flags', () => {
  // Contract (DESIGN §4): a usage error is exit 2, one line on stderr naming the flag, nothing on stdout.
  const cases: [string, string[], RegExp][] = [
    ['--format nope', ['--format', 'nope'], /^logship: --format: unknown parser "nope" \(one of json, logfmt, .*\)$/],
    ["--multiline-start '('", ['--format', 'plain', '--multiline-start', '('], /^logship: --multiline-start: start: invalid regular expression "\(": .+$/],
    ['--timezone Mars/Base', ['--format', 'json', '--timezone', 'Mars/Base'], /^logship: --timezone: unknown time zone "Mars\/Base" .+$/],
    ['--multiline nope', ['--format', 'plain', '--multiline', 'nope'], /^logship: --multiline: preset: unknown preset "nope" \(known: java, .*\)$/],
    ["--time-format '%Q'", ['--format', 'json', '--time-format', '%Q'], /^logship: --time-format: time_format "%Q": unknown specifier %Q .+$/],
    ['--read-time yesterday', ['--format', 'json', '--read-time', 'yesterday'], /^logship: --read-time: expected an ISO 8601 time, got "yesterday" .+$/],
  ];

  for (const [name, args, message] of cases) {
    it(`${name}: exit 2 with one line naming the flag`, () => {
      const r = parse(args, { file: Buffer.from('{"msg":"never read"}\n') });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const err = stderrLines(r.stderr);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(message);
    });
  }

  it("--format regex --pattern '(': the one line names --pattern", () => {
    const r = parse(['--format', 'regex', '--pattern', '('], Buffer.alloc(0));
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^logship: --pattern: /);
  });
  it('--format regex without --pattern: the one line says --pattern is needed', () => {
    const r = parse(['--format', 'regex'], Buffer.alloc(0));
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('--pattern');
  });
});
