import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { criDecoder, CriDecoder } from '../../parsers/container/cri.js';
import { dockerDecoder, DockerDecoder } from '../../parsers/container/docker.js';
import { cutUtf8, PartialJoiner, type JoinedLine } from '../../parsers/container/partial-joiner.js';
import { Rfc3339Cache } from '../../parsers/container/time.js';
import type { ContainerDecoder, ContainerLine } from '../../parsers/container/types.js';
import { parseTime } from '../../parsers/timestamp.js';
import { ParseFailure } from '../../parsers/types.js';
import { prng } from '../support/prng.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/parsers/', import.meta.url));
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 123);

// ---- helpers ---------------------------------------------------------------

function ok(r: ContainerLine | ParseFailure): ContainerLine {
  if (r instanceof ParseFailure) throw new Error(`unexpected ParseFailure: ${r.reason}`);
  return r;
}

function failure(r: ContainerLine | ParseFailure): ParseFailure {
  expect(r).toBeInstanceOf(ParseFailure);
  return r as ParseFailure;
}


const int = (r: () => number, n: number) => Math.floor(r() * n);

/** Characters of 1, 2, 3 and 4 UTF-8 bytes (the last a surrogate pair), spaces, quotes, backslashes, controls. */
const ALPHABET = ['a', 'Z', '0', ' ', ' ', '"', '\\', '{', '}', ':', '\t', '\u0001', 'é', 'ß', 'Ж', '—', '€', '支', '🙁', '𝄞', '<', '&'];

function randomMessage(r: () => number, maxLen: number): string {
  const n = int(r, maxLen + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[int(r, ALPHABET.length)];
  return s;
}

/** Splits at random code-point boundaries into 1..maxPieces pieces (empty pieces allowed). */
function randomSplit(r: () => number, s: string, maxPieces: number): string[] {
  const points = Array.from(s); // code points: a surrogate pair is never split
  const k = 1 + int(r, maxPieces);
  const cuts = new Set<number>();
  for (let i = 1; i < k; i++) cuts.add(int(r, points.length + 1));
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(points.slice(prev, c).join(''));
    prev = c;
  }
  out.push(points.slice(prev).join(''));
  return out;
}

function criLine(time: string, stream: string, tag: string, text: string): string {
  return `${time} ${stream} ${tag} ${text}`;
}

/** Go's json-file encoding of one `log` piece: `<`, `>`, `&` as \u escapes. */
function dockerLine(log: string, stream: string, time: string): string {
  return JSON.stringify({ log, stream, time }).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---- CRI --------------------------------------------------------------------

describe('cri decoder', () => {
  it('decodes a full line', () => {
    expect(ok(criDecoder.decode('2024-01-02T03:04:05.123456789Z stdout F message text'))).toEqual({
      stream: 'stdout',
      time: T0,
      text: 'message text',
      partial: false,
    });
  });

  it('decodes stderr, P, and extra tag flags', () => {
    expect(ok(criDecoder.decode('2024-01-02T03:04:05.123456789Z stderr P part one'))).toEqual({
      stream: 'stderr',
      time: T0,
      text: 'part one',
      partial: true,
    });
    expect(ok(criDecoder.decode('2024-01-02T03:04:05.123456789Z stdout F:x x')).partial).toBe(false);
    expect(ok(criDecoder.decode('2024-01-02T03:04:05.123456789Z stdout P:foo:bar x')).partial).toBe(true);
  });

  it('keeps the message as is: leading/trailing spaces, more spaces, JSON, tabs', () => {
    expect(ok(criDecoder.decode('2024-01-02T03:04:05Z stdout F   indented  ')).text).toBe('  indented  ');
    const json = '{"level":"info","msg":"a b c","n":1}';
    expect(ok(criDecoder.decode(`2024-01-02T03:04:05Z stdout F ${json}`)).text).toBe(json);
    expect(ok(criDecoder.decode('2024-01-02T03:04:05Z stderr F \tat Foo.bar(Foo.java:1)')).text).toBe('\tat Foo.bar(Foo.java:1)');
  });

  it('empty message: with and without the third space', () => {
    expect(ok(criDecoder.decode('2024-01-02T03:04:05.123456789Z stdout F '))).toEqual({ stream: 'stdout', time: T0, text: '', partial: false });
    expect(ok(criDecoder.decode('2024-01-02T03:04:05.123456789Z stdout F'))).toEqual({ stream: 'stdout', time: T0, text: '', partial: false });
    expect(ok(criDecoder.decode('2024-01-02T03:04:05.123456789Z stdout P ')).partial).toBe(true);
  });

  it('reads times: RFC3339Nano with trimmed zeros, offsets, no fraction', () => {
    const t = (s: string) => ok(criDecoder.decode(`${s} stdout F x`)).time;
    expect(t('2024-01-02T03:04:05Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(t('2024-01-02T03:04:05.1Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 100));
    expect(t('2024-01-02T03:04:05.12Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 120));
    expect(t('2024-01-02T03:04:05.999999999Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 999));
    expect(t('2024-01-02T03:04:05.123456789+00:00')).toBe(T0);
    expect(t('2024-01-02T05:04:05.123456789+02:00')).toBe(T0);
    expect(t('2024-01-01T22:34:05.123456789-04:30')).toBe(T0);
    // Same second, another zone: the cache must not answer for it.
    expect(t('2024-01-02T03:04:05.123456789Z')).toBe(T0);
    expect(t('2024-01-02T03:04:05.123456789+01:00')).toBe(T0 - 3_600_000);
  });

  it('malformed lines are ParseFailures with a reason', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['nospacesatall', /no time field/],
      [' stdout F x', /no time field/],
      ['2024-01-02T03:04:05Z', /no time field/],
      ['2024-01-02T03:04:05Z stdout', /no stream field/],
      ['2024-01-02T03:04:05Z stdin F x', /bad stream "stdin"/],
      ['2024-01-02T03:04:05Z STDOUT F x', /bad stream/],
      ['2024-01-02T03:04:05Z  stdout F x', /bad stream ""/],
      ['2024-01-02T03:04:05Z stdout X x', /bad tag "X"/],
      ['2024-01-02T03:04:05Z stdout FX x', /bad tag "FX"/],
      ['2024-01-02T03:04:05Z stdout f x', /bad tag/],
      ['2024-01-02T03:04:05Z stdout  x', /bad tag ""/],
      ['yesterday stdout F x', /bad time "yesterday"/],
      ['1704164645 stdout F x', /bad time/],
      ['2024-13-02T03:04:05Z stdout F x', /bad time/],
      ['2024-01-02T03:04:05.Z stdout F x', /bad time/],
      ['2024-01-02T03:04:05.123Zjunk stdout F x', /bad time/],
      ['2024-01-02 03:04:05 stdout F x', /bad stream/],
      ['I0102 15:04:05.123456    1234 file.go:123] message', /bad stream/],
    ];
    for (const [line, reason] of cases) {
      const f = failure(criDecoder.decode(line));
      expect(f.reason, line).toMatch(reason);
      expect(f.reason).toMatch(/^not a CRI log line/);
    }
  });

  it('a long bad field is quoted short', () => {
    const f = failure(criDecoder.decode(`2024-01-02T03:04:05Z ${'x'.repeat(10_000)} F y`));
    expect(f.reason.length).toBeLessThan(150);
  });

  it('binary garbage and a 10 MB line do not throw', () => {
    failure(criDecoder.decode('\u0000\u0001\ufffd \ufffd\u001b[31m \u0016'));
    const big = ok(criDecoder.decode(`2024-01-02T03:04:05Z stdout F ${'y'.repeat(10 * 1024 * 1024)}`));
    expect(big.text.length).toBe(10 * 1024 * 1024);
  });
});

// ---- docker -----------------------------------------------------------------

describe('docker decoder', () => {
  const TIME = '2024-01-02T03:04:05.123456789Z';

  it('a line with its trailing newline is full, the newline stripped', () => {
    expect(ok(dockerDecoder.decode(dockerLine('hello world\n', 'stdout', TIME)))).toEqual({
      stream: 'stdout',
      time: T0,
      text: 'hello world',
      partial: false,
    });
    expect(ok(dockerDecoder.decode(dockerLine('crlf\r\n', 'stderr', TIME)))).toEqual({ stream: 'stderr', time: T0, text: 'crlf', partial: false });
    expect(ok(dockerDecoder.decode(dockerLine('\n', 'stdout', TIME)))).toEqual({ stream: 'stdout', time: T0, text: '', partial: false });
    expect(ok(dockerDecoder.decode(dockerLine('\r\n', 'stdout', TIME))).text).toBe('');
    // Only the last terminator: an inner \r stays.
    expect(ok(dockerDecoder.decode(dockerLine('a\rb\n', 'stdout', TIME))).text).toBe('a\rb');
  });

  it('a line without the trailing newline is partial, kept as is', () => {
    expect(ok(dockerDecoder.decode(dockerLine('first 16 KiB', 'stdout', TIME)))).toEqual({
      stream: 'stdout',
      time: T0,
      text: 'first 16 KiB',
      partial: true,
    });
    expect(ok(dockerDecoder.decode(dockerLine('ends with cr\r', 'stdout', TIME)))).toMatchObject({ text: 'ends with cr\r', partial: true });
  });

  it('unicode escapes, Go-escaped <>&, raw UTF-8, astral characters', () => {
    const raw = '{"log":"\\u003cb\\u003e \\u0026 caf\\u00e9 \\ud83d\\ude41 支付 \\"q\\" \\\\ \\t\\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}';
    expect(ok(dockerDecoder.decode(raw)).text).toBe('<b> & café 🙁 支付 "q" \\ \t');
    const payload = '{"level":"error","msg":"charge failed: <card_declined>","amount":{"value":42.5}}';
    const d = ok(dockerDecoder.decode(dockerLine(`${payload}\n`, 'stdout', TIME)));
    expect(d.text).toBe(payload);
    expect(JSON.parse(d.text)).toEqual({ level: 'error', msg: 'charge failed: <card_declined>', amount: { value: 42.5 } });
  });

  it('stream absent, other keys; time required (issue 9: a line without a readable time is not a json-file line)', () => {
    expect(ok(dockerDecoder.decode('{"log":"x\\n","time":"2024-01-02T03:04:05Z"}'))).toEqual({ stream: 'stdout', time: Date.UTC(2024, 0, 2, 3, 4, 5), text: 'x', partial: false });
    expect(ok(dockerDecoder.decode('{"log":"x\\n","stream":"stderr","time":"2024-01-02T03:04:05Z","attrs":{"tag":"app"}}')).stream).toBe('stderr');
    for (const [line, reason] of [
      ['{"log":"x\\n"}', /no "time" key/],
      ['{"log":"x\\n","time":42}', /"time" is not a string/],
      ['{"log":"x\\n","time":""}', /"time" is not an RFC 3339 time/],
      ['{"log":"x\\n","stream":"stderr","time":"not a time","attrs":{"tag":"app"}}', /"time" is not an RFC 3339 time/],
    ] as const) expect(failure(dockerDecoder.decode(line)).reason, line).toMatch(reason);
    expect(ok(dockerDecoder.decode('{"time":"2024-01-02T03:04:05.5Z","stream":"stdout","log":"x\\n"}')).time).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 500));
    expect(ok(dockerDecoder.decode('\ufeff{"log":"bom\\n","time":"2024-01-02T03:04:05Z"}')).text).toBe('bom');
  });

  it('malformed JSON, not an object, missing or non-string log, bad stream → ParseFailure', () => {
    const cases: [string, RegExp][] = [
      ['', /invalid JSON/],
      ['{"log":"x\\n"', /invalid JSON/],
      ['{"log":"x\\n",}', /invalid JSON/],
      ['{log:"x"}', /invalid JSON/],
      ['2024-01-02T03:04:05Z stdout F x', /invalid JSON/],
      ['"just a string"', /not an object/],
      ['[{"log":"x"}]', /not an object/],
      ['null', /not an object/],
      ['{"stream":"stdout","time":"2024-01-02T03:04:05Z"}', /no "log" key/],
      ['{"log":42}', /"log" is not a string/],
      ['{"log":null}', /"log" is not a string/],
      ['{"log":"x\\n","stream":"stdin"}', /bad stream "stdin"/],
      ['{"log":"x\\n","stream":1}', /bad stream 1/],
    ];
    for (const [line, reason] of cases) {
      const f = failure(dockerDecoder.decode(line));
      expect(f.reason, line).toMatch(reason);
      expect(f.reason).toMatch(/^not a docker json-file line: /);
    }
  });

  it('16 KiB splits are joined back', () => {
    const message = JSON.stringify({ msg: 'big', data: 'x'.repeat(40_000), note: 'größe 🙁' });
    const bytes = Buffer.from(`${message}\n`);
    // docker splits the raw bytes every 16 KiB; our pieces here stay on character boundaries
    const pieces: string[] = [];
    for (let i = 0; i < bytes.length; ) {
      let j = Math.min(i + 16 * 1024, bytes.length);
      while (j < bytes.length && (bytes[j]! & 0xc0) === 0x80) j--;
      pieces.push(bytes.subarray(i, j).toString());
      i = j;
    }
    expect(pieces.length).toBe(3);
    const joiner = new PartialJoiner(1024 * 1024);
    const key = {};
    const out: JoinedLine[] = [];
    let offset = 1000;
    const offsets: number[] = [];
    for (const p of pieces) {
      const line = dockerLine(p, 'stdout', TIME);
      offsets.push(offset);
      joiner.push(key, ok(dockerDecoder.decode(line)), offset, out);
      offset += Buffer.byteLength(line) + 1;
    }
    expect(out).toEqual([{ key, stream: 'stdout', time: T0, text: message, offset: 1000, truncated: false }]);
  });
});

// ---- time cache ---------------------------------------------------------------

describe('Rfc3339Cache', () => {
  it('agrees with parseTime on random RFC 3339 times (seeded)', () => {
    const r = prng(7);
    const cache = new Rfc3339Cache();
    const zones = ['Z', 'z', '+00:00', '+02:00', '-05:30', '+14:00', '-12:00'];
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    let prev = '';
    for (let i = 0; i < 5000; i++) {
      // Runs of the same second (the cached case) mixed with jumps.
      let base = prev;
      if (base === '' || r() < 0.2) {
        base = `${1970 + int(r, 100)}-${pad(1 + int(r, 12))}-${pad(1 + int(r, 28))}T${pad(int(r, 24))}:${pad(int(r, 60))}:${pad(int(r, 60))}`;
        prev = base;
      }
      const digits = int(r, 10);
      const frac = digits === 0 ? '' : `.${Array.from({ length: digits }, () => int(r, 10)).join('')}`;
      const s = `${base}${frac}${zones[int(r, zones.length)]}`;
      expect(cache.parse(s), s).toBe(parseTime(s));
    }
  });

  it('rejects what is not RFC 3339', () => {
    const cache = new Rfc3339Cache();
    for (const s of ['', '1704164645', '1704164645123', 'Jan  2 03:04:05', '2024-01-02', '2024-01-02T03:04', '2024-01-02T03:04:05.', '2024-01-02T03:04:05.1Zx']) {
      expect(cache.parse(s), s).toBeUndefined();
    }
    expect(cache.parse('2024-01-02T03:04:05')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
  });
});

// ---- joiner -----------------------------------------------------------------

const piece = (text: string, partial: boolean, stream: 'stdout' | 'stderr' = 'stdout', time: number | undefined = T0): ContainerLine => ({
  stream,
  time,
  text,
  partial,
});

/** The earliest first-piece offset the joiner holds among `keys` (a file's streams): what its checkpoint must not pass. */
function earliest(j: PartialJoiner, keys: object[]): number | undefined {
  const held = keys.map((k) => j.pendingOffset(k)).filter((o): o is number => o !== undefined);
  return held.length === 0 ? undefined : Math.min(...held);
}

describe('PartialJoiner', () => {
  it('a full piece with nothing pending is emitted at once', () => {
    const j = new PartialJoiner(1024);
    const key = {};
    const out: JoinedLine[] = [];
    j.push(key, piece('hello', false), 7, out);
    expect(out).toEqual([{ key, stream: 'stdout', time: T0, text: 'hello', offset: 7, truncated: false }]);
    expect(earliest(j, [key])).toBeUndefined();
  });

  it('CRI P+P+F reassembly: offset and time of the first piece', () => {
    const j = new PartialJoiner(1024);
    const key = {};
    const out: JoinedLine[] = [];
    const lines = [
      '2024-01-02T03:04:05.123456789Z stdout P {"msg":"he',
      '2024-01-02T03:04:06.000000000Z stdout P llo wor',
      '2024-01-02T03:04:07.000000000Z stdout F ld"}',
    ];
    let offset = 100;
    for (const l of lines) {
      j.push(key, ok(criDecoder.decode(l)), offset, out);
      if (out.length === 0) expect(earliest(j, [key])).toBe(100);
      offset += l.length + 1;
    }
    expect(out).toEqual([{ key, stream: 'stdout', time: T0, text: '{"msg":"hello world"}', offset: 100, truncated: false }]);
    expect(earliest(j, [key])).toBeUndefined();
    expect(j.has(key)).toBe(false);
  });

  it('empty P and F pieces', () => {
    const j = new PartialJoiner(1024);
    const key = {};
    const out: JoinedLine[] = [];
    j.push(key, piece('', true), 0, out);
    j.push(key, piece('abc', true), 10, out);
    j.push(key, piece('', false), 20, out);
    j.push(key, piece('', false), 30, out);
    expect(out.map((l) => [l.text, l.offset])).toEqual([
      ['abc', 0],
      ['', 30],
    ]);
  });

  it('interleaved stdout/stderr partials never mix', () => {
    const j = new PartialJoiner(1024);
    const out_ = {};
    const err_ = {};
    const keyOf = (s: string) => (s === 'stdout' ? out_ : err_);
    const lines = [
      '2024-01-02T03:04:05.1Z stdout P out-a1 ',
      '2024-01-02T03:04:05.2Z stderr P err-a1 ',
      '2024-01-02T03:04:05.3Z stderr F err-a2',
      '2024-01-02T03:04:05.4Z stdout P out-a2 ',
      '2024-01-02T03:04:05.5Z stderr F err-b',
      '2024-01-02T03:04:05.6Z stdout F out-a3',
    ];
    const out: JoinedLine[] = [];
    const starts: (number | undefined)[] = [];
    lines.forEach((l, i) => {
      const p = ok(criDecoder.decode(l));
      j.push(keyOf(p.stream), p, i * 100, out);
      starts.push(earliest(j, [out_, err_]));
    });
    expect(out.map((l) => [l.stream, l.text, l.offset, l.time])).toEqual([
      ['stderr', 'err-a1 err-a2', 100, Date.UTC(2024, 0, 2, 3, 4, 5, 200)],
      ['stderr', 'err-b', 400, Date.UTC(2024, 0, 2, 3, 4, 5, 500)],
      ['stdout', 'out-a1 out-a2 out-a3', 0, Date.UTC(2024, 0, 2, 3, 4, 5, 100)],
    ]);
    expect(out.every((l) => l.key === keyOf(l.stream))).toBe(true);
    // The checkpoint is held at the stdout line's first piece until it completes.
    expect(starts).toEqual([0, 0, 0, 0, 0, undefined]);
  });

  it('pendingOffset per key: the earliest among a file\'s keys holds its checkpoint; undefined when none', () => {
    const j = new PartialJoiner(1024);
    const a = { file: 'a' };
    const b = { file: 'a' };
    const c = { file: 'c' };
    const out: JoinedLine[] = [];
    j.push(c, piece('c', true), 5, out);
    j.push(b, piece('b', true), 300, out);
    j.push(a, piece('a', true), 200, out);
    j.push(a, piece('a', true), 400, out);
    const inA = [a, b];
    expect(earliest(j, inA)).toBe(200);
    expect(earliest(j, [c])).toBe(5);
    expect(earliest(j, [])).toBeUndefined();
    j.push(a, piece('!', false), 500, out);
    expect(earliest(j, inA)).toBe(300);
    j.flushKey(b, out);
    expect(earliest(j, inA)).toBeUndefined();
    expect(earliest(j, [a, b, c])).toBe(5);
    expect(out.map((l) => [l.text, l.offset])).toEqual([
      ['aa!', 200],
      ['b', 300],
    ]);
  });

  it('flushKey emits one pending line as it is; the next piece starts a new line', () => {
    const j = new PartialJoiner(1024);
    const key = {};
    const out: JoinedLine[] = [];
    j.flushKey(key, out);
    expect(out).toEqual([]);
    j.push(key, piece('waiting ', true), 0, out);
    j.push(key, piece('for more', true), 10, out);
    j.flushKey(key, out);
    expect(out).toEqual([{ key, stream: 'stdout', time: T0, text: 'waiting for more', offset: 0, truncated: false }]);
    j.push(key, piece('rest', false), 20, out);
    expect(out[1]).toMatchObject({ text: 'rest', offset: 20 });
  });

  it('flushAll emits every pending line in offset order and leaves nothing', () => {
    const j = new PartialJoiner(1024);
    const k1 = {};
    const k2 = {};
    const k3 = {};
    const out: JoinedLine[] = [];
    j.push(k2, piece('two', true, 'stderr'), 50, out);
    j.push(k1, piece('one', true), 10, out);
    j.push(k3, piece('three', false), 60, out); // full: emitted at once
    j.push(k1, piece(' more', true), 70, out);
    expect(out.length).toBe(1);
    out.length = 0;
    j.flushAll(out);
    expect(out).toEqual([
      { key: k1, stream: 'stdout', time: T0, text: 'one more', offset: 10, truncated: false },
      { key: k2, stream: 'stderr', time: T0, text: 'two', offset: 50, truncated: false },
    ]);
    expect(earliest(j, [k1, k2, k3])).toBeUndefined();
    out.length = 0;
    j.flushAll(out);
    expect(out).toEqual([]);
  });

  it('maxBytes: a joined line is cut there, truncated, the rest skipped up to its final piece', () => {
    const j = new PartialJoiner(10);
    const key = {};
    const out: JoinedLine[] = [];
    j.push(key, piece('abcdef', true), 0, out);
    j.push(key, piece('ghijkl', true), 10, out); // crosses the cap: cut at 10 bytes
    expect(out).toEqual([]);
    expect(earliest(j, [key])).toBe(0); // held until its final piece
    j.push(key, piece('mnop', true), 20, out);
    j.push(key, piece('qrs', false), 30, out);
    expect(out).toEqual([{ key, stream: 'stdout', time: T0, text: 'abcdefghij', offset: 0, truncated: true }]);
    // The next line is whole again.
    j.push(key, piece('next', false), 40, out);
    expect(out[1]).toEqual({ key, stream: 'stdout', time: T0, text: 'next', offset: 40, truncated: false });
    // Exactly maxBytes is not truncated.
    j.push(key, piece('12345', true), 50, out);
    j.push(key, piece('67890', false), 60, out);
    expect(out[2]).toMatchObject({ text: '1234567890', truncated: false });
  });

  it('maxBytes counts UTF-8 bytes and never cuts a character', () => {
    const j = new PartialJoiner(10);
    const key = {};
    const out: JoinedLine[] = [];
    j.push(key, piece('ab🙁', true), 0, out); // 6 bytes
    j.push(key, piece('éé🙁', false), 10, out); // +4 fits (10), the 🙁 does not
    expect(out[0]).toMatchObject({ text: 'ab🙁éé', truncated: true });
    // A single full piece over the cap is cut too.
    j.push(key, piece('ééééééé', false), 20, out); // 14 bytes
    expect(out[1]).toMatchObject({ text: 'ééééé', truncated: true, offset: 20 });
    j.push(key, piece('支支支支', false), 30, out); // 12 bytes → 3 chars (9 bytes)
    expect(out[2]).toMatchObject({ text: '支支支', truncated: true });
    // 10 one-byte chars stay whole.
    j.push(key, piece('0123456789', false), 40, out);
    expect(out[3]).toMatchObject({ text: '0123456789', truncated: false });
  });

  it('flushAll emits a truncated pending line with its flag', () => {
    const j = new PartialJoiner(4);
    const key = {};
    const out: JoinedLine[] = [];
    j.push(key, piece('abcdef', true), 0, out);
    j.flushAll(out);
    expect(out).toEqual([{ key, stream: 'stdout', time: T0, text: 'abcd', offset: 0, truncated: true }]);
  });

  it('rejects a cap that is not positive; Infinity means none', () => {
    expect(() => new PartialJoiner(0)).toThrow(RangeError);
    expect(() => new PartialJoiner(Number.NaN)).toThrow(RangeError);
    const j = new PartialJoiner(Number.POSITIVE_INFINITY);
    const out: JoinedLine[] = [];
    const key = {};
    j.push(key, piece('x'.repeat(100_000), true), 0, out);
    j.push(key, piece('y', false), 1, out);
    expect(out[0]!.text.length).toBe(100_001);
    expect(out[0]!.truncated).toBe(false);
  });
});

describe('cutUtf8', () => {
  it('the longest prefix that fits, on character boundaries', () => {
    expect(cutUtf8('hello', 10)).toBe('hello');
    expect(cutUtf8('hello', 3)).toBe('hel');
    expect(cutUtf8('héllo', 2)).toBe('h');
    expect(cutUtf8('héllo', 3)).toBe('hé');
    expect(cutUtf8('🙁🙁', 7)).toBe('🙁');
    expect(cutUtf8('🙁', 3)).toBe('');
    expect(cutUtf8('a\ud800b', 4)).toBe('a\ud800'); // a lone surrogate is 3 bytes (U+FFFD)
    expect(cutUtf8('', 0)).toBe('');
  });

  it('agrees with Buffer.byteLength on random text (seeded)', () => {
    const r = prng(3);
    for (let i = 0; i < 500; i++) {
      const s = randomMessage(r, 60);
      const max = int(r, 100);
      const cut = cutUtf8(s, max);
      const bytes = Buffer.byteLength(cut);
      expect(bytes).toBeLessThanOrEqual(max);
      expect(s.startsWith(cut)).toBe(true);
      if (cut.length < s.length) {
        const next = String.fromCodePoint(s.codePointAt(cut.length)!);
        expect(bytes + Buffer.byteLength(next)).toBeGreaterThan(max);
      }
    }
  });
});

// ---- property: random splits, interleaved streams ----------------------------

interface Expected {
  text: string;
  offset: number;
  time: number;
}

/**
 * Builds a container log with `count` messages per stream, each split at random
 * into pieces, the two streams interleaved at random (each keeping its order).
 * Returns the raw lines, their offsets and what each stream must join back to.
 */
function randomLog(
  r: () => number,
  format: 'cri' | 'docker',
  maxLen: number,
): { lines: string[]; offsets: number[]; expected: Record<'stdout' | 'stderr', Expected[]> } {
  const queues: Record<'stdout' | 'stderr', { line: string; ms: number; first: boolean; msg: Expected }[]> = { stdout: [], stderr: [] };
  const expected: Record<'stdout' | 'stderr', Expected[]> = { stdout: [], stderr: [] };
  let ms = Date.UTC(2024, 4, 14, 9, 21, 7);
  for (const stream of ['stdout', 'stderr'] as const) {
    const count = int(r, 6);
    for (let m = 0; m < count; m++) {
      const text = randomMessage(r, maxLen);
      const pieces = format === 'docker' && text === '' ? [''] : randomSplit(r, text, 6);
      const msg: Expected = { text, offset: -1, time: -1 };
      expected[stream].push(msg);
      pieces.forEach((p, i) => {
        const last = i === pieces.length - 1;
        if (format === 'docker' && !last && p === '') return; // docker never writes an empty partial
        ms += int(r, 3);
        const iso = new Date(ms).toISOString().replace('Z', `${int(r, 10)}${int(r, 10)}${int(r, 10)}Z`);
        const line = format === 'cri' ? criLine(iso, stream, last ? (r() < 0.2 ? 'F:x' : 'F') : 'P', p) : dockerLine(last ? `${p}\n` : p, stream, iso);
        queues[stream].push({ line, ms, first: false, msg });
      });
    }
  }
  // Mark the first piece of each message.
  for (const s of ['stdout', 'stderr'] as const) {
    let prev: Expected | undefined;
    for (const q of queues[s]) {
      q.first = q.msg !== prev;
      prev = q.msg;
    }
  }
  const lines: string[] = [];
  const offsets: number[] = [];
  let offset = int(r, 1000);
  let i = 0;
  let k = 0;
  while (i < queues.stdout.length || k < queues.stderr.length) {
    const takeOut = k >= queues.stderr.length || (i < queues.stdout.length && r() < 0.5);
    const q = takeOut ? queues.stdout[i++]! : queues.stderr[k++]!;
    if (q.first) {
      q.msg.offset = offset;
      q.msg.time = q.ms;
    }
    lines.push(q.line);
    offsets.push(offset);
    offset += Buffer.byteLength(q.line) + 1;
  }
  return { lines, offsets, expected };
}

function runLog(decoder: ContainerDecoder, lines: string[], offsets: number[], maxBytes: number): JoinedLine[] {
  const joiner = new PartialJoiner(maxBytes);
  const keys = { stdout: { s: 'stdout' }, stderr: { s: 'stderr' } };
  const out: JoinedLine[] = [];
  lines.forEach((line, i) => {
    const p = ok(decoder.decode(line));
    joiner.push(keys[p.stream], p, offsets[i]!, out);
    // The checkpoint never passes a pending piece.
    const start = earliest(joiner, [keys.stdout, keys.stderr]);
    if (start !== undefined) expect(start).toBeLessThanOrEqual(offsets[i]!);
    for (const l of out) expect(l.key).toBe(keys[l.stream]);
  });
  expect(earliest(joiner, [keys.stdout, keys.stderr])).toBeUndefined();
  return out;
}

describe('property: random splits interleaved across two streams join back per stream', () => {
  for (const format of ['cri', 'docker'] as const) {
    it(`${format}: 200 seeded iterations`, () => {
      for (let iter = 0; iter < 200; iter++) {
        const seed = 0x5eed + iter;
        const r = prng(seed);
        const { lines, offsets, expected } = randomLog(r, format, 400);
        const decoder = format === 'cri' ? new CriDecoder() : new DockerDecoder();
        const out = runLog(decoder, lines, offsets, Number.POSITIVE_INFINITY);
        for (const stream of ['stdout', 'stderr'] as const) {
          const got = out.filter((l) => l.stream === stream).map((l) => ({ text: l.text, offset: l.offset, time: l.time }));
          expect(got, `seed ${seed} ${stream}`).toEqual(expected[stream]);
          expect(out.filter((l) => l.stream === stream).every((l) => !l.truncated)).toBe(true);
        }
      }
    });

    it(`${format}: with a small cap, every line is its original cut at maxBytes (seeded)`, () => {
      for (let iter = 0; iter < 200; iter++) {
        const seed = 0xc0ffee + iter;
        const r = prng(seed);
        const { lines, offsets, expected } = randomLog(r, format, 120);
        const maxBytes = 1 + int(r, 200);
        const decoder = format === 'cri' ? criDecoder : dockerDecoder;
        const out = runLog(decoder, lines, offsets, maxBytes);
        for (const stream of ['stdout', 'stderr'] as const) {
          const got = out.filter((l) => l.stream === stream).map((l) => ({ text: l.text, offset: l.offset, truncated: l.truncated }));
          const want = expected[stream].map((e) => ({
            text: cutUtf8(e.text, maxBytes),
            offset: e.offset,
            truncated: Buffer.byteLength(e.text) > maxBytes,
          }));
          expect(got, `seed ${seed} ${stream} max ${maxBytes}`).toEqual(want);
        }
      }
    });
  }
});

// ---- fixtures -----------------------------------------------------------------

describe('fixtures', () => {
  /** The fixture's lines decoded and joined; `undecodable` are the lines the fixture holds on purpose (parse failures). */
  function joinFixture(name: string, decoder: ContainerDecoder, undecodable: string[] = []): JoinedLine[] {
    const raw = readFileSync(`${FIXTURES}${name}/input.log`, 'utf8');
    const lines = raw.split('\n');
    expect(lines.pop()).toBe('');
    const joiner = new PartialJoiner(1024 * 1024);
    const keys = { stdout: {}, stderr: {} };
    const out: JoinedLine[] = [];
    const failed: string[] = [];
    let offset = 0;
    for (const line of lines) {
      const decoded = decoder.decode(line);
      if (decoded instanceof ParseFailure) {
        failed.push(line);
        offset += Buffer.byteLength(line) + 1;
        continue;
      }
      const p = ok(decoded);
      expect(p.time).toBeTypeOf('number');
      joiner.push(keys[p.stream], p, offset, out);
      offset += Buffer.byteLength(line) + 1;
    }
    expect([joiner.pendingOffset(keys.stdout), joiner.pendingOffset(keys.stderr)]).toEqual([undefined, undefined]);
    expect(failed).toEqual(undecodable);
    return out;
  }

  it('cri/input.log: every line decodes; the 40 KB JSON line split in three joins back', () => {
    const out = joinFixture('cri', criDecoder);
    const big = out.find((l) => l.text.includes('cart snapshot'))!;
    expect(JSON.parse(big.text).items.length).toBe(620);
    expect(Buffer.byteLength(big.text)).toBeGreaterThan(32 * 1024);
    expect(out.filter((l) => l.stream === 'stderr').map((l) => l.text)).toContain('progress: 10% 50% 100% done');
    expect(out.map((l) => l.text)).toContain('');
    expect(out.map((l) => l.text)).toContain('  indented text with trailing spaces  ');
    expect(out.every((l) => !l.truncated)).toBe(true);
  });

  it('docker/input.log: every line but the one without a time decodes; the 40 KB JSON line split in three joins back', () => {
    const out = joinFixture('docker', dockerDecoder, ['{"log":"no time key\\n","stream":"stdout"}']);
    const big = out.find((l) => l.text.includes('cart snapshot'))!;
    expect(JSON.parse(big.text).items.length).toBe(620);
    expect(out.map((l) => l.text)).toContain('Windows-style line');
    expect(out.some((l) => l.text.includes('<card_declined>'))).toBe(true);
  });
});
