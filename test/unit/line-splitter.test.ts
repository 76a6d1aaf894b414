import { describe, expect, it } from 'vitest';
import { LINE_PARTIAL, LINE_TRUNCATED } from '../../parsers/line-flags.js';
import { newLineBatch, pushLine, type LineBatch } from '../../src/tail/line-batch.js';
import { LineSplitter } from '../../src/tail/line-splitter.js';

// ---- helpers ---------------------------------------------------------------

interface Out {
  text: string;
  offset: number;
  flags: number;
}

const SOURCE = { path: '/var/log/test.log', key: 'k' };

function rows(batch: LineBatch): Out[] {
  return batch.texts.map((text, i) => ({ text, offset: batch.offsets[i]!, flags: batch.flags?.[i] ?? 0 }));
}

/** A fresh splitter plus a `feed` that pushes one chunk at the next file position. */
function splitter(maxLineBytes: number, startOffset = 0) {
  const s = new LineSplitter(maxLineBytes, startOffset);
  let pos = startOffset;
  const all: Out[] = [];
  return {
    s,
    all,
    /** Pushes `chunk` at the current position; returns the lines this push emitted. */
    feed(chunk: Buffer | string): Out[] {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      const batch = newLineBatch(SOURCE);
      s.push(buf, buf.length, pos, batch);
      pos += buf.length;
      const got = rows(batch);
      all.push(...got);
      return got;
    },
    flush(): Out[] {
      const batch = newLineBatch(SOURCE);
      s.flushPartial(batch, pos);
      const got = rows(batch);
      all.push(...got);
      return got;
    },
    get pos() {
      return pos;
    },
  };
}

const line = (text: string, offset: number, flags = 0): Out => ({ text, offset, flags });
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const cat = (...parts: (Buffer | string)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));

/** Every way of cutting `buf` into two pushes. */
function allTwoWaySplits(buf: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let cut = 0; cut <= buf.length; cut++) out.push([buf.subarray(0, cut), buf.subarray(cut)]);
  return out;
}

function runChunks(chunks: Buffer[], maxLineBytes: number, startOffset = 0): { lines: Out[]; resume: number; partial: Out[]; afterFlush: number } {
  const sp = splitter(maxLineBytes, startOffset);
  for (const c of chunks) sp.feed(c);
  const lines = [...sp.all];
  const resume = sp.s.resumeOffset;
  const partial = sp.flush();
  return { lines, resume, partial, afterFlush: sp.s.resumeOffset };
}

// ---- lines and offsets -----------------------------------------------------

describe('LineSplitter: lines and byte offsets', () => {
  it('splits on \\n and reports the byte offset of each line start', () => {
    const sp = splitter(100);
    expect(sp.feed('alpha\nbeta\n\ngamma\n')).toEqual([line('alpha', 0), line('beta', 6), line('', 11), line('gamma', 12)]);
    expect(sp.s.resumeOffset).toBe(18);
    expect(sp.s.hasPartial).toBe(false);
  });

  it('offsets are bytes, not UTF-16 code units (multi-byte characters before a line)', () => {
    const sp = splitter(100);
    // "é" 2 bytes, "€" 3 bytes, "😀" 4 bytes (2 UTF-16 units)
    expect(sp.feed('é\n€\n😀\nx\n')).toEqual([line('é', 0), line('€', 3), line('😀', 7), line('x', 12)]);
    expect(sp.s.resumeOffset).toBe(14);
  });

  it('starts counting at the start offset it was given (resume from a checkpoint)', () => {
    const base = 5_000_000_000; // beyond 32 bits
    const sp = splitter(100, base);
    expect(sp.s.resumeOffset).toBe(base);
    expect(sp.feed('one\ntwo\nthr')).toEqual([line('one', base), line('two', base + 4)]);
    expect(sp.s.resumeOffset).toBe(base + 8);
    expect(sp.feed('ee\n')).toEqual([line('three', base + 8)]);
    expect(sp.s.resumeOffset).toBe(base + 14);
  });

  it('reads only buf[0, len): bytes past len (a reused read buffer) are ignored, even newlines', () => {
    const s = new LineSplitter(100, 0);
    const buf = Buffer.from('ab\ncd\nSTALE\nSTALE\n');
    const b1 = newLineBatch(SOURCE);
    s.push(buf, 5, 0, b1); // "ab\ncd"
    expect(rows(b1)).toEqual([line('ab', 0)]);
    expect(s.resumeOffset).toBe(3);
    const buf2 = Buffer.from('e\nZZZZ\n');
    const b2 = newLineBatch(SOURCE);
    s.push(buf2, 2, 5, b2); // "e\n"
    expect(rows(b2)).toEqual([line('cde', 3)]);
    expect(s.resumeOffset).toBe(7);
  });

  it('a line split across chunk boundaries, at every possible cut', () => {
    const data = Buffer.from('first line\nsecond line\nthird\n');
    for (const chunks of allTwoWaySplits(data)) {
      const r = runChunks(chunks, 100);
      expect(r.lines).toEqual([line('first line', 0), line('second line', 11), line('third', 23)]);
      expect(r.resume).toBe(29);
      expect(r.partial).toEqual([]);
    }
  });

  it('a line spread over many one-byte chunks', () => {
    const data = Buffer.from('hello world\nbye\n');
    const r = runChunks([...data].map((b) => Buffer.from([b])), 100);
    expect(r.lines).toEqual([line('hello world', 0), line('bye', 12)]);
    expect(r.resume).toBe(16);
  });

  it('an empty push changes nothing', () => {
    const sp = splitter(100);
    expect(sp.feed('')).toEqual([]);
    expect(sp.s.hasPartial).toBe(false);
    expect(sp.feed('ab')).toEqual([]);
    expect(sp.feed('')).toEqual([]);
    expect(sp.feed('\n')).toEqual([line('ab', 0)]);
    expect(sp.s.resumeOffset).toBe(3);
  });

  it('only line flags set in a batch produce a flags array (column stays null otherwise)', () => {
    const s = new LineSplitter(4, 0);
    const b = newLineBatch(SOURCE);
    s.push(Buffer.from('ab\ncd\n'), 6, 0, b);
    expect(b.flags).toBeNull();
    const b2 = newLineBatch(SOURCE);
    s.push(Buffer.from('ok\ntoolong\nfine\n'), 16, 6, b2);
    expect(b2.flags).toEqual([0, LINE_TRUNCATED, 0]);
    // pushLine back-fills zeros for earlier lines
    const b3 = newLineBatch(SOURCE);
    pushLine(b3, 'a', 0, 0);
    pushLine(b3, 'b', 2, 0);
    pushLine(b3, 'c', 4, LINE_PARTIAL);
    expect(b3.flags).toEqual([0, 0, LINE_PARTIAL]);
  });
});

// ---- CRLF ------------------------------------------------------------------

describe('LineSplitter: CRLF', () => {
  it('strips one trailing \\r; offsets still count it', () => {
    const sp = splitter(100);
    expect(sp.feed('a\r\nbb\r\n\r\nc\n')).toEqual([line('a', 0), line('bb', 3), line('', 7), line('c', 9)]);
    expect(sp.s.resumeOffset).toBe(11);
  });

  it('keeps a \\r that is not right before the newline, and strips only one of two', () => {
    const sp = splitter(100);
    expect(sp.feed('a\rb\nc\r\r\n\rd\n')).toEqual([line('a\rb', 0), line('c\r', 4), line('\rd', 8)]);
  });

  it('\\r at the end of one chunk and \\n at the start of the next', () => {
    const sp = splitter(100);
    expect(sp.feed('one\r')).toEqual([]);
    expect(sp.s.resumeOffset).toBe(0);
    expect(sp.feed('\ntwo\r')).toEqual([line('one', 0)]);
    expect(sp.feed('\n')).toEqual([line('two', 5)]);
    expect(sp.s.resumeOffset).toBe(10);
  });

  it('a lone \\r chunk between the text and the \\n', () => {
    const sp = splitter(100);
    sp.feed('abc');
    sp.feed('\r');
    expect(sp.feed('\nnext\r\n')).toEqual([line('abc', 0), line('next', 5)]);
  });

  it('an empty CRLF line split as "\\r" | "\\n"', () => {
    const sp = splitter(100);
    expect(sp.feed('x\n\r')).toEqual([line('x', 0)]);
    expect(sp.feed('\n')).toEqual([line('', 2)]);
    expect(sp.s.resumeOffset).toBe(4);
  });

  it('CRLF text gives the same result at every two-way cut', () => {
    const data = Buffer.from('a\r\n\r\nbcd\r\ne\r\n');
    for (const chunks of allTwoWaySplits(data)) {
      expect(runChunks(chunks, 100).lines).toEqual([line('a', 0), line('', 3), line('bcd', 5), line('e', 10)]);
    }
  });
});

// ---- multi-byte characters split between reads ----------------------------

describe('LineSplitter: multi-byte characters split between reads', () => {
  const cases: [string, string][] = [
    ['2-byte', 'é'], // C3 A9
    ['3-byte', '€'], // E2 82 AC
    ['4-byte', '😀'], // F0 9F 98 80
  ];
  for (const [name, ch] of cases) {
    it(`${name} sequence (${ch}) split at every byte, mid-line and at the line end`, () => {
      const data = Buffer.from(`a${ch}b\n${ch}\n${ch}${ch}\n`);
      const n = Buffer.byteLength(ch);
      for (const chunks of allTwoWaySplits(data)) {
        const r = runChunks(chunks, 100);
        expect(r.lines).toEqual([line(`a${ch}b`, 0), line(ch, n + 3), line(`${ch}${ch}`, 2 * n + 4)]);
        expect(r.lines.some((l) => l.text.includes('\uFFFD'))).toBe(false);
      }
      // and one byte at a time
      const r = runChunks([...data].map((b) => Buffer.from([b])), 100);
      expect(r.lines.map((l) => l.text)).toEqual([`a${ch}b`, ch, `${ch}${ch}`]);
    });
  }

  it('a 4-byte character split three ways', () => {
    const sp = splitter(100);
    const b = Buffer.from('x😀y\n');
    expect(sp.feed(b.subarray(0, 2))).toEqual([]);
    expect(sp.feed(b.subarray(2, 4))).toEqual([]);
    expect(sp.feed(b.subarray(4))).toEqual([line('x😀y', 0)]);
  });
});

// ---- invalid UTF-8 ---------------------------------------------------------

describe('LineSplitter: invalid UTF-8 becomes U+FFFD, never a throw', () => {
  it('0xFF / 0xFE bytes', () => {
    const sp = splitter(100);
    expect(sp.feed(cat('a', hex('ff'), 'b\n', hex('fe fe'), '\n'))).toEqual([line('a\uFFFDb', 0), line('\uFFFD\uFFFD', 4)]);
  });

  it('lone continuation bytes', () => {
    const sp = splitter(100);
    expect(sp.feed(cat(hex('80'), 'x', hex('bf bf'), '\n'))).toEqual([line('\uFFFDx\uFFFD\uFFFD', 0)]);
  });

  it('truncated sequences: a lead byte followed by ASCII, by a newline, or by the next line', () => {
    const sp = splitter(100);
    const got = sp.feed(cat(hex('e2 82'), 'z\n', hex('f0 9f 98'), '\n', hex('c3'), '\n', 'ok\n'));
    expect(got).toEqual([line('\uFFFDz', 0), line('\uFFFD', 4), line('\uFFFD', 8), line('ok', 10)]);
  });

  it('a truncated sequence at the end of a line does not swallow the next line across a chunk boundary', () => {
    const sp = splitter(100);
    expect(sp.feed(cat('a', hex('e2 82')))).toEqual([]);
    expect(sp.feed('\n€\n')).toEqual([line('a\uFFFD', 0), line('€', 4)]);
  });

  it('overlong encodings and surrogates decode to U+FFFD', () => {
    const sp = splitter(100);
    const got = sp.feed(cat(hex('c0 af'), '\n', hex('ed a0 80'), '\n'));
    expect(got.map((l) => l.offset)).toEqual([0, 3]);
    for (const l of got) {
      expect(l.text.length).toBeGreaterThan(0);
      expect([...l.text].every((c) => c === '\uFFFD')).toBe(true);
    }
  });

  it('random binary in random chunks never throws and keeps exact offsets', () => {
    const rnd = prng(7);
    for (let iter = 0; iter < 50; iter++) {
      const data = randomBytes(rnd, 1 + Math.floor(rnd() * 400));
      const max = 1 + Math.floor(rnd() * 50);
      const r = runChunks(randomChunks(rnd, data), max);
      const expected = referenceLines(data, max, 0, decodeAndCut);
      expect(r.lines).toEqual(expected.lines);
      expect(r.resume).toBe(expected.resume);
    }
  });
});

// ---- over-long lines -------------------------------------------------------

describe('LineSplitter: lines longer than maxLineBytes', () => {
  it('exactly maxLineBytes is not truncated; one more byte is', () => {
    const sp = splitter(5);
    expect(sp.feed('12345\n123456\nab\n')).toEqual([line('12345', 0), line('12345', 6, LINE_TRUNCATED), line('ab', 13)]);
    expect(sp.s.truncatedLines).toBe(1);
    expect(sp.s.resumeOffset).toBe(16);
  });

  it('a CRLF line whose text is exactly maxLineBytes keeps its whole text, in one chunk and split before the \\r', () => {
    // The \r counts toward maxLineBytes (the limit applies to the bytes before \n), so
    // this line is cut back to its text and tagged truncated; the text itself is whole
    // and the next line's offset is exact.
    for (const chunks of [['abcde\r\nz\n'], ['abcde', '\r\nz\n'], ['abcde\r', '\nz\n']]) {
      const sp = splitter(5);
      for (const c of chunks) sp.feed(c);
      expect(sp.all.map((l) => [l.text, l.offset])).toEqual([
        ['abcde', 0],
        ['z', 7],
      ]);
    }
    const sp = splitter(6);
    expect(sp.feed('abcde\r\nz\n')).toEqual([line('abcde', 0), line('z', 7)]);
  });

  it('exactly maxLineBytes, held across chunks, is not truncated', () => {
    const sp = splitter(5);
    expect(sp.feed('123')).toEqual([]);
    expect(sp.feed('45')).toEqual([]);
    expect(sp.feed('\nx\n')).toEqual([line('12345', 0), line('x', 6)]);
    expect(sp.s.truncatedLines).toBe(0);
  });

  it('exactly maxLineBytes followed by one more byte in a later chunk is truncated', () => {
    const sp = splitter(5);
    sp.feed('12345');
    sp.feed('6');
    expect(sp.feed('\nx\n')).toEqual([line('12345', 0, LINE_TRUNCATED), line('x', 7)]);
  });

  it('an over-long line in one chunk: head kept, rest skipped, following lines intact', () => {
    const sp = splitter(8);
    const long = 'A'.repeat(8) + 'B'.repeat(100);
    expect(sp.feed(`before\n${long}\nafter\n`)).toEqual([line('before', 0), line('AAAAAAAA', 7, LINE_TRUNCATED), line('after', 7 + 108 + 1)]);
    expect(sp.s.resumeOffset).toBe(7 + 109 + 6);
  });

  it('an over-long line spread over many chunks', () => {
    const sp = splitter(10);
    expect(sp.feed('ok\n0123')).toEqual([line('ok', 0)]);
    for (let i = 0; i < 50; i++) expect(sp.feed('456789xyz')).toEqual([]);
    // the resume point stays at the start of the long line while it is being skipped
    expect(sp.s.resumeOffset).toBe(3);
    expect(sp.s.hasPartial).toBe(true);
    expect(sp.feed('tail\nnext\n')).toEqual([line('0123456789', 3, LINE_TRUNCATED), line('next', 3 + 4 + 450 + 5)]);
    expect(sp.s.resumeOffset).toBe(3 + 4 + 450 + 5 + 5);
    expect(sp.s.hasPartial).toBe(false);
    expect(sp.s.truncatedLines).toBe(1);
  });

  it('several over-long lines in a row, and an empty line between them', () => {
    const sp = splitter(3);
    expect(sp.feed('abcdef\n\nghijkl\nmn\n')).toEqual([
      line('abc', 0, LINE_TRUNCATED),
      line('', 7),
      line('ghi', 8, LINE_TRUNCATED),
      line('mn', 15),
    ]);
    expect(sp.s.truncatedLines).toBe(2);
  });

  it('a truncated line does not get its \\r stripped when the cut leaves one at the end', () => {
    // the line is "ab\rcdef": over-long, cut after 3 bytes, the \r is line content, not a terminator
    const sp = splitter(3);
    expect(sp.feed('ab\rcdef\n')).toEqual([line('ab\r', 0, LINE_TRUNCATED)]);
  });

  describe('the cut never leaves a broken character', () => {
    // "é" = C3 A9, "€" = E2 82 AC, "😀" = F0 9F 98 80
    const table: [string, number, string][] = [
      ['aé' + 'x'.repeat(10), 2, 'a'], // cut between C3 | A9
      ['aé' + 'x'.repeat(10), 3, 'aé'],
      ['a€' + 'x'.repeat(10), 2, 'a'], // E2 | 82 AC
      ['a€' + 'x'.repeat(10), 3, 'a'], // E2 82 | AC
      ['a€' + 'x'.repeat(10), 4, 'a€'],
      ['a😀' + 'x'.repeat(10), 2, 'a'],
      ['a😀' + 'x'.repeat(10), 3, 'a'],
      ['a😀' + 'x'.repeat(10), 4, 'a'],
      ['a😀' + 'x'.repeat(10), 5, 'a😀'],
      ['😀😀😀', 7, '😀'],
      ['😀😀😀', 8, '😀😀'],
      ['€€€€', 10, '€€€'],
      ['€', 1, ''],
      ['€', 2, ''],
      ['😀', 3, ''],
    ];
    for (const [text, max, expected] of table) {
      it(`${JSON.stringify(text)} at maxLineBytes=${max} → ${JSON.stringify(expected)}`, () => {
        const data = Buffer.from(`${text}\nn\n`);
        const nextAt = Buffer.byteLength(text) + 1;
        // one chunk, and every two-way cut (the held/pending path)
        for (const chunks of [[data], ...allTwoWaySplits(data)]) {
          const r = runChunks(chunks, max);
          expect(r.lines).toEqual([line(expected, 0, LINE_TRUNCATED), line('n', nextAt)]);
          expect(r.lines[0]!.text).not.toContain('\uFFFD');
        }
      });
    }
  });

  it('flushPartial of an over-long unterminated line is tagged truncated and partial', () => {
    const sp = splitter(4);
    sp.feed('ok\nabc€def');
    expect(sp.flush()).toEqual([line('abc', 3, LINE_TRUNCATED | LINE_PARTIAL)]);
    expect(sp.s.resumeOffset).toBe(3 + 9);
    expect(sp.s.truncatedLines).toBe(1);
  });
});

// ---- partial last line -----------------------------------------------------

describe('LineSplitter: partial last line', () => {
  it('holds a partial line until its newline arrives', () => {
    const sp = splitter(100);
    expect(sp.feed('done\npart')).toEqual([line('done', 0)]);
    expect(sp.s.hasPartial).toBe(true);
    expect(sp.s.resumeOffset).toBe(5);
    expect(sp.feed('ial')).toEqual([]);
    expect(sp.s.resumeOffset).toBe(5);
    expect(sp.feed(' end\n')).toEqual([line('partial end', 5)]);
    expect(sp.s.hasPartial).toBe(false);
    expect(sp.s.resumeOffset).toBe(17);
  });

  it('flushPartial emits the held line flagged LINE_PARTIAL and resumes at the given offset', () => {
    const sp = splitter(100);
    sp.feed('complete-1\ncomplete-2\npartial-no-newline');
    expect(sp.all).toEqual([line('complete-1', 0), line('complete-2', 11)]);
    expect(sp.flush()).toEqual([line('partial-no-newline', 22, LINE_PARTIAL)]);
    expect(sp.s.resumeOffset).toBe(40);
    expect(sp.s.hasPartial).toBe(false);
    // whatever comes next starts a new line at the resume offset
    expect(sp.feed('more\n')).toEqual([line('more', 40)]);
  });

  it('flushPartial with nothing held emits nothing and keeps the resume offset', () => {
    const sp = splitter(100);
    sp.feed('a\n');
    expect(sp.flush()).toEqual([]);
    expect(sp.s.resumeOffset).toBe(2);
    const batch = newLineBatch(SOURCE);
    sp.s.flushPartial(batch, 999);
    expect(batch.texts).toEqual([]);
    expect(sp.s.resumeOffset).toBe(2);
  });

  it('flushPartial of a line whose multi-byte character is complete', () => {
    const sp = splitter(100);
    sp.feed('x😀');
    expect(sp.flush()).toEqual([line('x😀', 0, LINE_PARTIAL)]);
    expect(sp.s.resumeOffset).toBe(5);
  });

  it('reset forgets the held bytes and restarts at the offset given', () => {
    const sp = splitter(4);
    sp.feed('abcdefgh'); // over-long, skipping
    sp.s.reset(0);
    expect(sp.s.hasPartial).toBe(false);
    expect(sp.s.resumeOffset).toBe(0);
    const b = newLineBatch(SOURCE);
    sp.s.push(Buffer.from('new\n'), 4, 0, b);
    expect(rows(b)).toEqual([line('new', 0)]);
  });
});

// ---- property: any chunking gives the whole-buffer result ------------------

/** xorshift32: deterministic, so a failure names its seed and iteration. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const CHARS = ['a', 'b', 'z', ' ', '0', '\r', '\t', 'é', 'ß', '\u07FF', '€', '中', '\uFFFD', '\uFFFF', '😀', '\u{10FFFF}', '𝄞'];

/** Random valid UTF-8 text: lines of random characters and lengths around maxLineBytes, \n or \r\n endings. */
function randomText(rnd: () => number, max: number): Buffer {
  const parts: string[] = [];
  const nLines = Math.floor(rnd() * 30);
  for (let i = 0; i < nLines; i++) {
    const kind = rnd();
    let s = '';
    if (kind < 0.1) s = '';
    else {
      // target byte length: short, around max, or far beyond it
      const target = kind < 0.5 ? Math.floor(rnd() * max) : kind < 0.8 ? max - 4 + Math.floor(rnd() * 9) : max + Math.floor(rnd() * 5 * max);
      while (Buffer.byteLength(s) < target) s += rnd() < 0.5 ? pick(rnd, ['a', 'b', 'x']) : pick(rnd, CHARS);
    }
    parts.push(s + (rnd() < 0.3 ? '\r\n' : '\n'));
  }
  if (rnd() < 0.5) {
    // an unterminated last line, maybe over-long, maybe ending in \r
    let s = '';
    const target = Math.floor(rnd() * 2 * max);
    while (Buffer.byteLength(s) < target) s += pick(rnd, CHARS);
    parts.push(s);
  }
  return Buffer.from(parts.join(''), 'utf8');
}

/** Random bytes biased toward the awkward ones. */
function randomBytes(rnd: () => number, n: number): Buffer {
  const special = [0x0a, 0x0d, 0xff, 0xfe, 0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0xc0, 0xed, 0xf8];
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rnd() < 0.5 ? pick(rnd, special) : Math.floor(rnd() * 256);
  return b;
}

/** Cuts `data` into random pieces (empty ones included), each copied into a larger buffer full of stale bytes. */
function randomChunks(rnd: () => number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  const style = rnd();
  while (i < data.length) {
    const n = style < 0.2 ? 1 : style < 0.3 ? Math.floor(rnd() * 2) : Math.floor(rnd() * Math.min(64, data.length + 1));
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}

/**
 * Pushes chunks as the tailer does: into one reused read buffer that still
 * holds stale bytes (newlines included) past `len`.
 */
function runReusedBuffer(chunks: Buffer[], max: number, start: number): { lines: Out[]; resume: number; partial: Out[]; afterFlush: number } {
  const s = new LineSplitter(max, start);
  const readBuf = Buffer.alloc(128, 0x0a);
  const batch = newLineBatch(SOURCE);
  let pos = start;
  for (const c of chunks) {
    const buf = c.length <= readBuf.length ? readBuf : Buffer.alloc(c.length + 7, 0x0a);
    c.copy(buf, 0);
    s.push(buf, c.length, pos, batch);
    pos += c.length;
  }
  const lines = rows(batch);
  const resume = s.resumeOffset;
  const fb = newLineBatch(SOURCE);
  s.flushPartial(fb, pos);
  return { lines, resume, partial: rows(fb), afterFlush: s.resumeOffset };
}

type Cut = (content: Buffer, max: number) => string;

/** Truncation oracle for valid UTF-8: the longest prefix of whole characters within max bytes. */
const wholeCharPrefix: Cut = (content, max) => {
  let out = '';
  let bytes = 0;
  for (const ch of content.toString('utf8')) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
};

/**
 * Truncation oracle for arbitrary bytes: keep max bytes, then drop a trailing
 * lead byte (with its continuation bytes) whose sequence needs more bytes than
 * are left. Invalid bytes decode to U+FFFD.
 */
const decodeAndCut: Cut = (content, max) => {
  let end = max;
  let k = end - 1;
  let cont = 0;
  while (k >= 0 && cont < 4 && (content[k]! & 0xc0) === 0x80) {
    k--;
    cont++;
  }
  if (k >= 0 && cont < 4) {
    const b = content[k]!;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (k + need > end) end = k;
  }
  return new TextDecoder().decode(content.subarray(0, end));
};

/**
 * The expected result, computed from the whole buffer at once and independently of LineSplitter.
 * maxLineBytes limits the bytes before the \n, a trailing \r included; a \r is stripped
 * only from a line that is not truncated and not partial.
 */
function referenceLines(data: Buffer, max: number, start: number, cut: Cut): { lines: Out[]; resume: number; partial: Out[]; afterFlush: number } {
  const dec = new TextDecoder();
  const lines: Out[] = [];
  let s = 0;
  for (;;) {
    const nl = data.indexOf(0x0a, s);
    if (nl === -1) break;
    const content = data.subarray(s, nl);
    if (content.length > max) lines.push(line(cut(content, max), start + s, LINE_TRUNCATED));
    else lines.push(line(dec.decode(content.at(-1) === 0x0d ? content.subarray(0, -1) : content), start + s));
    s = nl + 1;
  }
  const partial: Out[] = [];
  if (s < data.length) {
    const content = data.subarray(s);
    if (content.length > max) partial.push(line(cut(content, max), start + s, LINE_TRUNCATED | LINE_PARTIAL));
    else partial.push(line(dec.decode(content), start + s, LINE_PARTIAL));
  }
  return { lines, resume: start + s, partial, afterFlush: start + data.length };
}

describe('LineSplitter: property — any chunking yields the whole-buffer result', () => {
  it('valid UTF-8 (multi-byte, CRLF, empty and over-long lines): 200 random texts × random chunkings', () => {
    for (let iter = 0; iter < 200; iter++) {
      const rnd = prng(1000 + iter);
      const max = 1 + Math.floor(rnd() * 40);
      const start = rnd() < 0.5 ? 0 : Math.floor(rnd() * 1e12);
      const data = randomText(rnd, max);
      const expected = referenceLines(data, max, start, wholeCharPrefix);
      // sanity of the oracle itself: no U+FFFD appears that was not in the text
      const ctx = `seed ${1000 + iter}, max ${max}, data ${JSON.stringify(data.toString('utf8'))}`;
      for (let k = 0; k < 4; k++) {
        const chunks = k === 0 ? [data] : randomChunks(rnd, data);
        const got = k % 2 === 0 ? runChunks(chunks, max, start) : runReusedBuffer(chunks, max, start);
        expect(got, `${ctx}, chunks ${chunks.map((c) => c.length).join(',')}`).toEqual(expected);
      }
    }
  });

  it('arbitrary bytes (invalid UTF-8, stray \\r and \\n): 200 random buffers × random chunkings', () => {
    for (let iter = 0; iter < 200; iter++) {
      const rnd = prng(5000 + iter);
      const max = 1 + Math.floor(rnd() * 30);
      const data = randomBytes(rnd, Math.floor(rnd() * 300));
      const expected = referenceLines(data, max, 0, decodeAndCut);
      const ctx = `seed ${5000 + iter}, max ${max}, data ${data.toString('hex')}`;
      for (let k = 0; k < 4; k++) {
        const chunks = k === 0 ? [data] : randomChunks(rnd, data);
        const got = k % 2 === 0 ? runChunks(chunks, max) : runReusedBuffer(chunks, max, 0);
        expect(got, `${ctx}, chunks ${chunks.map((c) => c.length).join(',')}`).toEqual(expected);
      }
    }
  });

  it('truncated lines of valid UTF-8 never end in U+FFFD and never exceed maxLineBytes', () => {
    for (let iter = 0; iter < 200; iter++) {
      const rnd = prng(9000 + iter);
      const max = 1 + Math.floor(rnd() * 20);
      const data = randomText(rnd, max);
      const r = runChunks(randomChunks(rnd, data), max);
      for (const l of [...r.lines, ...r.partial]) {
        expect(Buffer.byteLength(l.text)).toBeLessThanOrEqual(max);
        if (l.flags & LINE_TRUNCATED) {
          // a cut can lose at most the 3 bytes of one incomplete 4-byte character
          expect(Buffer.byteLength(l.text)).toBeGreaterThanOrEqual(max - 3);
          expect(l.text.endsWith('\uFFFD') && !data.includes(Buffer.from(l.text))).toBe(false);
        }
      }
    }
  });
});
