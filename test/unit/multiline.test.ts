import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prng } from '../support/prng.js';
import { MultilineAssembler, type AssembledRecord, type MultilineConfig, type MultilinePreset } from '../../parsers/multiline/assembler.js';
import { MULTILINE_PRESETS, MultilineSpecError, resolveMultiline } from '../../parsers/multiline/presets.js';

// ---- helpers ---------------------------------------------------------------

const DEFAULTS = { maxLines: 500, maxBytes: 1024 * 1024, timeoutMs: 1000 };

function cfg(over: Partial<MultilineConfig>): MultilineConfig {
  return { ...DEFAULTS, ...over };
}

/** Pushes `lines` on one stream (offset = 100 × index, time 0), then flushes everything. */
function run(config: MultilineConfig, lines: string[], preset?: MultilinePreset): AssembledRecord[] {
  const a = new MultilineAssembler(config, preset);
  const key = {};
  const out: AssembledRecord[] = [];
  lines.forEach((l, i) => a.push(key, l, i * 100, 0, out));
  a.flushAll(out);
  return out;
}

const texts = (rs: AssembledRecord[]) => rs.map((r) => r.text);


const TS = /^\d{4}-\d\d-\d\d /;

// ---- generic start / continue ----------------------------------------------

describe('MultilineAssembler: generic rules', () => {
  it('start: a matching line begins an event, the others continue it', () => {
    const got = run(cfg({ start: TS }), [
      '2024-03-05 a',
      '  detail 1',
      'detail 2',
      '2024-03-05 b',
      '2024-03-05 c',
      '',
      'tail',
    ]);
    expect(texts(got)).toEqual(['2024-03-05 a\n  detail 1\ndetail 2', '2024-03-05 b', '2024-03-05 c\n\ntail']);
    expect(got.map((r) => [r.offset, r.lines, r.truncated])).toEqual([
      [0, 3, false],
      [300, 1, false],
      [400, 3, false],
    ]);
    expect(got.every((r) => r.error === undefined)).toBe(true);
  });

  it('start: lines before the first start line form their own event (nothing is dropped)', () => {
    expect(texts(run(cfg({ start: TS }), ['orphan 1', 'orphan 2', '2024-03-05 a', 'x']))).toEqual([
      'orphan 1\norphan 2',
      '2024-03-05 a\nx',
    ]);
  });

  it('start + continue: lines matching neither begin a new event', () => {
    const got = run(cfg({ start: TS, continue: /^\s/ }), ['2024-03-05 a', '  more', 'stray', '  more of stray', '2024-03-05 b']);
    expect(texts(got)).toEqual(['2024-03-05 a\n  more', 'stray\n  more of stray', '2024-03-05 b']);
  });

  it('start wins over continue when a line matches both', () => {
    expect(texts(run(cfg({ start: /^S/, continue: /^S|^ / }), ['S1', ' a', 'S2']))).toEqual(['S1\n a', 'S2']);
  });

  it('continue only: a matching line continues the event before it, any other line begins one', () => {
    const got = run(cfg({ continue: /^\s/ }), ['a', ' b', ' c', 'd', 'e', ' f']);
    expect(texts(got)).toEqual(['a\n b\n c', 'd', 'e\n f']);
  });

  it('global and sticky patterns behave like plain ones (no lastIndex drift)', () => {
    const lines = ['2024-03-05 a', 'x', '2024-03-05 b', 'y', '2024-03-05 c'];
    expect(texts(run(cfg({ start: /^\d{4}-\d\d-\d\d /g }), lines))).toEqual(texts(run(cfg({ start: TS }), lines)));
    expect(texts(run(cfg({ start: /\d{4}-\d\d-\d\d /y }), lines))).toEqual(texts(run(cfg({ start: TS }), lines)));
  });

  it('rejects impossible limits', () => {
    expect(() => new MultilineAssembler(cfg({ start: TS, maxLines: 0 }))).toThrow(RangeError);
    expect(() => new MultilineAssembler(cfg({ start: TS, maxBytes: 0 }))).toThrow(RangeError);
    expect(() => new MultilineAssembler(cfg({ start: TS, timeoutMs: 0 }))).toThrow(RangeError);
  });
});

// ---- limits ----------------------------------------------------------------

describe('MultilineAssembler: maxLines / maxBytes cut and tag, never drop', () => {
  it('maxLines: the event is cut every maxLines lines; every piece is tagged, the next event is not', () => {
    const lines = ['2024-03-05 a', ...Array.from({ length: 7 }, (_, i) => `  ${i}`), '2024-03-05 b'];
    const got = run(cfg({ start: TS, maxLines: 3 }), lines);
    expect(got.map((r) => [r.text, r.offset, r.lines, r.truncated])).toEqual([
      ['2024-03-05 a\n  0\n  1', 0, 3, true],
      ['  2\n  3\n  4', 300, 3, true],
      ['  5\n  6', 600, 2, true],
      ['2024-03-05 b', 800, 1, false],
    ]);
  });

  it('maxLines: an event of exactly maxLines lines is not tagged', () => {
    const got = run(cfg({ start: TS, maxLines: 3 }), ['2024-03-05 a', ' 1', ' 2', '2024-03-05 b']);
    expect(got.map((r) => [r.lines, r.truncated])).toEqual([
      [3, false],
      [1, false],
    ]);
  });

  it('maxBytes counts UTF-8 bytes of the joined text, separators included', () => {
    // 'start é' = 8 bytes, ' éé' = 5 bytes: joined 8 + 1 + 5 = 14 bytes (11 UTF-16 units).
    const lines = ['start é', ' éé', 'start x'];
    const start = /^start/;
    expect(run(cfg({ start, maxBytes: 14 }), lines).map((r) => [r.text, r.truncated])).toEqual([
      ['start é\n éé', false],
      ['start x', false],
    ]);
    expect(run(cfg({ start, maxBytes: 13 }), lines).map((r) => [r.text, r.truncated])).toEqual([
      ['start é', true],
      [' éé', true],
      ['start x', false],
    ]);
  });

  it('maxBytes: 4-byte characters (surrogate pairs) are counted as 4 bytes', () => {
    const lines = ['S 😀😀', ' 😀', 'S'];
    // 'S 😀😀' = 10 bytes, ' 😀' = 5 bytes: joined 16.
    expect(run(cfg({ start: /^S/, maxBytes: 16 }), lines).map((r) => r.lines)).toEqual([2, 1]);
    expect(run(cfg({ start: /^S/, maxBytes: 15 }), lines).map((r) => r.lines)).toEqual([1, 1, 1]);
  });

  it('maxBytes: a single line longer than maxBytes is kept whole (lines are never split)', () => {
    const big = 'S' + 'x'.repeat(100);
    const got = run(cfg({ start: /^S/, maxBytes: 10 }), [big, 'S short', ' t']);
    expect(got.map((r) => [r.text.length, r.truncated])).toEqual([
      [101, false],
      [10, false], // 'S short\n t': exactly 10 bytes
    ]);
    const cut = run(cfg({ start: /^S/, maxBytes: 10 }), ['S', big.slice(1), ' tail']);
    expect(cut.map((r) => [r.text, r.truncated])).toEqual([
      ['S', true],
      [big.slice(1), true],
      [' tail', true],
    ]);
  });

  it('a cut inside a trace keeps the preset state: the rest stays one tagged event', () => {
    const { config, preset } = resolveMultiline({ preset: 'java', max_lines: 3 });
    const lines = [
      'java.lang.IllegalStateException: boom',
      '\tat a.B.c(B.java:1)',
      '\tat a.B.d(B.java:2)',
      '\tat a.B.e(B.java:3)',
      'Caused by: java.io.IOException: io',
      '\tat a.B.f(B.java:4)',
      '2024-03-05 next',
    ];
    const got = run(config, lines, preset);
    expect(got.map((r) => [r.lines, r.truncated])).toEqual([
      [3, true],
      [3, true],
      [1, false],
    ]);
    expect(got[0]!.error?.type).toBe('java.lang.IllegalStateException');
    // The second piece starts with frames; its stack_trace is its own text.
    expect(got[1]!.error).toEqual({ stack_trace: lines.slice(3, 6).join('\n') });
  });
});

// ---- time, streams, flushing, checkpoints ----------------------------------

describe('MultilineAssembler: per-stream timeout and flushing', () => {
  const A = { name: 'stdout' };
  const B = { name: 'stderr' };

  it('flushIdle flushes only the stream idle for >= timeoutMs, while the other keeps receiving lines', () => {
    const a = new MultilineAssembler(cfg({ start: TS, timeoutMs: 1000 }));
    const out: AssembledRecord[] = [];
    a.push(A, '2024-03-05 a', 0, 0, out);
    a.push(A, '  a detail', 10, 100, out);
    a.push(B, '2024-03-05 b', 20, 100, out);
    a.push(B, '  b 1', 30, 600, out);
    a.flushIdle(1099, out);
    expect(out).toEqual([]);
    expect(a.nextDeadline()).toBe(1100);
    a.push(B, '  b 2', 40, 1050, out);
    a.flushIdle(1100, out);
    expect(out.map((r) => [r.stream, r.text])).toEqual([[A, '2024-03-05 a\n  a detail']]);
    expect(a.pendingStreams).toBe(1);
    expect(a.nextDeadline()).toBe(2050);
    out.length = 0;
    a.push(B, '  b 3', 50, 2000, out);
    a.flushIdle(2999, out);
    expect(out).toEqual([]);
    a.flushIdle(3000, out);
    expect(out.map((r) => [r.stream, r.text, r.offset, r.lines])).toEqual([[B, '2024-03-05 b\n  b 1\n  b 2\n  b 3', 20, 4]]);
    expect(a.pendingStreams).toBe(0);
    expect(a.nextDeadline()).toBeUndefined();
  });

  it('a line arriving after the timeout (before any flushIdle) does not join the stale event', () => {
    const a = new MultilineAssembler(cfg({ start: TS, timeoutMs: 1000 }));
    const out: AssembledRecord[] = [];
    a.push(A, '2024-03-05 a', 0, 0, out);
    a.push(A, '  late', 10, 1000, out);
    expect(texts(out)).toEqual(['2024-03-05 a']);
    a.flushAll(out);
    expect(texts(out)).toEqual(['2024-03-05 a', '  late']);
  });

  it('a preset starts fresh after a timeout flush', () => {
    const { config, preset } = resolveMultiline({ preset: 'python', timeout: 500 });
    const a = new MultilineAssembler(config, preset);
    const out: AssembledRecord[] = [];
    a.push(A, 'Traceback (most recent call last):', 0, 0, out);
    a.push(A, '  File "x.py", line 1, in <module>', 10, 0, out);
    a.flushIdle(500, out);
    a.push(A, 'ValueError: late', 20, 600, out); // not the end of a traceback any more: a plain line
    a.flushAll(out);
    expect(out.map((r) => [r.text, r.error?.type])).toEqual([
      ['Traceback (most recent call last):\n  File "x.py", line 1, in <module>', undefined],
      ['ValueError: late', undefined],
    ]);
  });

  it('flushStream flushes one stream; flushAll flushes the rest; nothing pending is lost', () => {
    const a = new MultilineAssembler(cfg({ start: TS }));
    const out: AssembledRecord[] = [];
    a.push(A, '2024-03-05 a', 0, 0, out);
    a.push(B, '2024-03-05 b', 5, 0, out);
    a.push(A, '  a2', 10, 0, out);
    a.push(B, '  b2', 15, 0, out);
    a.flushStream(A, out);
    a.flushStream({}, out); // unknown stream: nothing
    expect(texts(out)).toEqual(['2024-03-05 a\n  a2']);
    a.flushAll(out);
    expect(texts(out)).toEqual(['2024-03-05 a\n  a2', '2024-03-05 b\n  b2']);
    a.flushAll(out);
    expect(out).toHaveLength(2);
  });

  it('pendingOffset: the first-line offset of the event pending per stream', () => {
    const fileA1 = { file: 'a', stream: 'stdout' };
    const fileA2 = { file: 'a', stream: 'stderr' };
    const fileB = { file: 'b', stream: 'stdout' };
    const a = new MultilineAssembler(cfg({ start: TS }));
    const out: AssembledRecord[] = [];
    expect(a.pendingOffset(fileA1)).toBeUndefined();
    a.push(fileA1, '2024-03-05 x', 100, 0, out);
    a.push(fileA2, '2024-03-05 y', 150, 0, out);
    a.push(fileB, '2024-03-05 z', 5, 0, out);
    a.push(fileA1, '  x2', 200, 0, out);
    expect([a.pendingOffset(fileA1), a.pendingOffset(fileA2), a.pendingOffset(fileB)]).toEqual([100, 150, 5]);
    a.push(fileA1, '2024-03-05 x3', 300, 0, out); // emits x; x3 pending from 300
    expect(a.pendingOffset(fileA1)).toBe(300);
    a.flushStream(fileA2, out);
    expect(a.pendingOffset(fileA2)).toBeUndefined();
    a.flushAll(out);
    expect([a.pendingOffset(fileA1), a.pendingOffset(fileB)]).toEqual([undefined, undefined]);
  });

  it('pendingOffset follows a cut: the emitted piece no longer holds the checkpoint back', () => {
    const a = new MultilineAssembler(cfg({ start: TS, maxLines: 2 }));
    const out: AssembledRecord[] = [];
    a.push(A, '2024-03-05 a', 0, 0, out);
    a.push(A, ' 1', 10, 0, out);
    a.push(A, ' 2', 20, 0, out);
    expect(out.map((r) => r.offset)).toEqual([0]);
    expect(a.pendingOffset(A)).toBe(20);
  });
});

// ---- resolveMultiline ------------------------------------------------------

describe('resolveMultiline', () => {
  it('applies the defaults and compiles patterns', () => {
    const r = resolveMultiline({ start: '^\\d{4}-' });
    expect(r.preset).toBeUndefined();
    expect(r.config).toEqual({ maxLines: 500, maxBytes: 1048576, timeoutMs: 1000, start: /^\d{4}-/ });
    expect(r.config.start!.test('2024-03-05')).toBe(true);
  });

  it('takes a preset, sizes and durations as numbers or strings', () => {
    const r = resolveMultiline({ preset: 'java', continue: '^\\s', max_lines: 50, max_bytes: '64KiB', timeout: '2s' });
    expect(r.preset?.name).toBe('java');
    expect(r.config).toEqual({ maxLines: 50, maxBytes: 65536, timeoutMs: 2000, continue: /^\s/ });
    expect(resolveMultiline({ preset: 'go', max_bytes: 4096, timeout: 250 }).config).toMatchObject({ maxBytes: 4096, timeoutMs: 250 });
  });

  it('names the bad pattern', () => {
    expect(() => resolveMultiline({ start: '^(foo' })).toThrow(MultilineSpecError);
    expect(() => resolveMultiline({ start: '^(foo' })).toThrow('start: invalid regular expression "^(foo": Unterminated group');
    expect(() => resolveMultiline({ start: '^x', continue: '[a-' })).toThrow(/^continue: invalid regular expression "\[a-"/);
    try {
      resolveMultiline({ continue: '(' });
    } catch (err) {
      expect((err as MultilineSpecError).key).toBe('continue');
    }
  });

  it('rejects an unknown preset, an empty spec and bad limits', () => {
    expect(() => resolveMultiline({ preset: 'cobol' })).toThrow(
      'preset: unknown preset "cobol" (known: java, python, go, ruby, node, dotnet, php)',
    );
    expect(() => resolveMultiline({})).toThrow(/^preset: set a preset/);
    expect(() => resolveMultiline({ start: '' })).toThrow(/^start: expected a regular expression/);
    expect(() => resolveMultiline({ start: 'x', max_lines: 0 })).toThrow(/^max_lines: /);
    expect(() => resolveMultiline({ start: 'x', max_lines: 1.5 })).toThrow(/^max_lines: /);
    expect(() => resolveMultiline({ start: 'x', max_bytes: 'lots' })).toThrow(/^max_bytes: /);
    expect(() => resolveMultiline({ start: 'x', max_bytes: 0 })).toThrow(/^max_bytes: /);
    expect(() => resolveMultiline({ start: 'x', timeout: 0 })).toThrow(/^timeout: /);
    expect(() => resolveMultiline({ start: 'x', timeout: '2 fortnights' })).toThrow(/^timeout: /);
  });

  it('with a preset, start forces a start and continue forces a continuation; the preset decides the rest', () => {
    const lines = ['12:00 ERROR failed', 'com.example.BarException: nope', '\tat a.B.c(B.java:1)', '>> note', '12:01 INFO ok'];
    const plain = resolveMultiline({ preset: 'java' });
    expect(run(plain.config, lines, plain.preset).map((r) => r.lines)).toEqual([1, 2, 1, 1]);
    const forced = resolveMultiline({ preset: 'java', start: '^com\\.example\\.', continue: '^>>' });
    const got = run(forced.config, lines, forced.preset);
    expect(got.map((r) => r.lines)).toEqual([1, 3, 1]);
    expect(got[1]!.error?.type).toBe('com.example.BarException');
  });

  it('MULTILINE_PRESETS names every preset', () => {
    for (const name of MULTILINE_PRESETS) expect(resolveMultiline({ preset: name }).preset?.name).toBe(name);
  });
});

// ---- properties ------------------------------------------------------------

/** Event-sized pieces to draw streams from: the fixtures' lines, cut into runs at random by the generator. */
const FIXTURE_LINES: string[] = ['java', 'python', 'go', 'ruby', 'node', 'dotnet', 'php'].flatMap((n) => {
  const raw = readFileSync(new URL(`../../fixtures/multiline/${n}.log`, import.meta.url), 'utf8');
  return raw.split('\n').slice(0, -1);
});
const PLAIN = ['2024-03-05 12:00:00 INFO ok', '2024-03-05 12:00:01 ERROR bad', '  indented', '', 'héllo wörld ✓', 'x'];

function randomLines(rand: () => number, n: number): string[] {
  const out: string[] = [];
  while (out.length < n) {
    if (rand() < 0.6) {
      const from = Math.floor(rand() * FIXTURE_LINES.length);
      const len = 1 + Math.floor(rand() * 12);
      out.push(...FIXTURE_LINES.slice(from, from + len));
    } else {
      out.push(PLAIN[Math.floor(rand() * PLAIN.length)]!);
    }
  }
  return out.slice(0, n);
}

interface Mode {
  name: string;
  make(rand: () => number): { config: MultilineConfig; preset?: MultilinePreset };
}

const MODES: Mode[] = [
  { name: 'start', make: () => ({ config: cfg({ start: TS }) }) },
  { name: 'start+continue', make: () => ({ config: cfg({ start: TS, continue: /^\s/ }) }) },
  { name: 'continue', make: () => ({ config: cfg({ continue: /^\s/ }) }) },
  ...MULTILINE_PRESETS.map((name) => ({ name, make: () => resolveMultiline({ preset: name }) })),
];

/** Random small limits now and then, so cuts happen under interleaving too. */
function withRandomLimits(rand: () => number, r: { config: MultilineConfig; preset?: MultilinePreset }) {
  const config = { ...r.config };
  if (rand() < 0.3) config.maxLines = 1 + Math.floor(rand() * 6);
  if (rand() < 0.3) config.maxBytes = 1 + Math.floor(rand() * 300);
  return { config, preset: r.preset };
}

type Line = { stream: object; text: string; offset: number; now: number };

function strip(r: AssembledRecord) {
  const { stream: _stream, ...rest } = r;
  return rest;
}

describe('MultilineAssembler: properties', () => {
  for (const mode of MODES) {
    it(`${mode.name}: a random interleaving of two streams never changes either stream's events (200 runs)`, () => {
      for (let seed = 1; seed <= 200; seed++) {
        const rand = prng(seed * 7919 + mode.name.length);
        const { config, preset } = withRandomLimits(rand, mode.make(rand));
        const A = { s: 'stdout' };
        const B = { s: 'stderr' };
        const linesA = randomLines(rand, 1 + Math.floor(rand() * 60));
        const linesB = randomLines(rand, 1 + Math.floor(rand() * 60));
        // Interleave as one CRI file would: offsets (and times) follow the interleaved order.
        const merged: Line[] = [];
        let i = 0;
        let j = 0;
        let offset = 0;
        let now = 0;
        while (i < linesA.length || j < linesB.length) {
          const takeA = j >= linesB.length || (i < linesA.length && rand() < 0.5);
          const text = takeA ? linesA[i++]! : linesB[j++]!;
          merged.push({ stream: takeA ? A : B, text, offset, now });
          offset += Buffer.byteLength(text) + 64;
          now += Math.floor(rand() * 40); // far below the timeout: no idle flush inside a run
        }
        const together = new MultilineAssembler(config, preset);
        const out: AssembledRecord[] = [];
        for (const l of merged) together.push(l.stream, l.text, l.offset, l.now, out);
        together.flushAll(out);

        for (const key of [A, B]) {
          const alone = new MultilineAssembler(config, preset);
          const ref: AssembledRecord[] = [];
          for (const l of merged) if (l.stream === key) alone.push(key, l.text, l.offset, l.now, ref);
          alone.flushAll(ref);
          const mine = out.filter((r) => r.stream === key);
          expect(mine.map(strip), `seed ${seed}`).toEqual(ref.map(strip));
          // And nothing is lost, duplicated or reordered.
          const sent = merged.filter((l) => l.stream === key);
          expect(mine.map((r) => r.text).join('\n'), `seed ${seed}`).toBe(sent.map((l) => l.text).join('\n'));
        }
      }
    });
  }

  it('events respect the limits, start at distinct lines, and put every line back in order (200 runs)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = prng(seed);
      const mode = MODES[Math.floor(rand() * MODES.length)]!;
      const { config, preset } = withRandomLimits(rand, mode.make(rand));
      const lines = randomLines(rand, 1 + Math.floor(rand() * 120));
      const out = run(config, lines, preset);
      const label = `seed ${seed} (${mode.name})`;
      expect(out.map((r) => r.text).join('\n'), label).toBe(lines.join('\n'));
      expect(out.reduce((n, r) => n + r.lines, 0), label).toBe(lines.length);
      let next = 0;
      for (const r of out) {
        expect(r.offset, label).toBe(next * 100); // the offset of its first line
        expect(r.text.split('\n').length, label).toBe(r.lines);
        next += r.lines;
        expect(r.lines, label).toBeLessThanOrEqual(config.maxLines);
        if (r.lines > 1) expect(Buffer.byteLength(r.text), label).toBeLessThanOrEqual(config.maxBytes);
      }
      expect(new Set(out.map((r) => r.offset)).size, label).toBe(out.length);
    }
  });

  it('random idle flushes and timeouts never lose, duplicate or reorder a line (200 runs)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = prng(seed + 1_000_000);
      const mode = MODES[Math.floor(rand() * MODES.length)]!;
      const { config, preset } = mode.make(rand);
      const a = new MultilineAssembler(config, preset);
      const keys = [{ k: 1 }, { k: 2 }, { k: 3 }];
      const sent = new Map<object, string[]>(keys.map((k) => [k, []]));
      const out: AssembledRecord[] = [];
      let now = 0;
      for (const text of randomLines(rand, 150)) {
        const key = keys[Math.floor(rand() * keys.length)]!;
        now += Math.floor(rand() * 700);
        a.push(key, text, now, now, out);
        sent.get(key)!.push(text);
        if (rand() < 0.2) a.flushIdle(now + Math.floor(rand() * 1500), out);
        if (rand() < 0.02) a.flushStream(key, out);
      }
      a.flushAll(out);
      for (const key of keys) {
        const mine = out.filter((r) => r.stream === key);
        expect(mine.map((r) => r.text).join('\n'), `seed ${seed}`).toBe(sent.get(key)!.join('\n'));
      }
    }
  });

  it('identical consecutive traces stay as many events, even interleaved with another stream (200 runs)', () => {
    const traces: Record<string, string[]> = {
      java: ['java.lang.IllegalStateException: boom', '\tat a.B.c(B.java:1)', 'Caused by: java.io.IOException: io', '\t... 1 more'],
      python: ['Traceback (most recent call last):', '  File "x.py", line 1, in <module>', '    f()', 'ValueError: bad'],
      go: ['panic: boom', '', 'goroutine 1 [running]:', 'main.main()', '\t/app/main.go:5 +0x1d'],
      ruby: ["x.rb:1:in 'f': boom (RuntimeError)", "\tfrom x.rb:3:in '<main>'"],
      node: ['Error: boom', '    at f (/app/a.js:1:7)', '    at Object.<anonymous> (/app/a.js:3:1)'],
      dotnet: ['System.Exception: boom', '   at P.Main() in /src/P.cs:line 3'],
      php: ['PHP Fatal error:  Uncaught Exception: boom in /app/a.php:3', 'Stack trace:', '#0 {main}', '  thrown in /app/a.php on line 3'],
    };
    for (let seed = 1; seed <= 200; seed++) {
      const rand = prng(seed + 2_000_000);
      const name = MULTILINE_PRESETS[Math.floor(rand() * MULTILINE_PRESETS.length)]!;
      const { config, preset } = resolveMultiline({ preset: name });
      const t = traces[name]!;
      const n = 2 + Math.floor(rand() * 4);
      const a = new MultilineAssembler(config, preset);
      const main = {};
      const other = {};
      const out: AssembledRecord[] = [];
      let offset = 0;
      for (let k = 0; k < n; k++) {
        for (const line of t) {
          if (rand() < 0.3) a.push(other, PLAIN[Math.floor(rand() * PLAIN.length)]!, offset++, 0, out);
          a.push(main, line, offset++, 0, out);
        }
      }
      a.flushAll(out);
      const mine = out.filter((r) => r.stream === main);
      expect(mine.map((r) => r.text), `seed ${seed} (${name})`).toEqual(Array.from({ length: n }, () => t.join('\n')));
      expect(mine.every((r) => r.error?.stack_trace !== undefined), `seed ${seed} (${name})`).toBe(true);
    }
  });
});
