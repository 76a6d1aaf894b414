import { appendFile, mkdir, mkdtemp, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointEntry } from '../../src/checkpoint/entry.js';
import type { InputConfig } from '../../src/config/schema.js';
import { LINE_PARTIAL, LINE_TRUNCATED } from '../../parsers/line-flags.js';
import type { LineBatch } from '../../src/tail/line-batch.js';
import type { TailedFile } from '../../src/tail/tailed-file.js';
import { Tailer } from '../../src/tail/tailer.js';
import type { Logger } from '../../src/log.js';
import { capturing } from '../support/log-capture.js';
import { tailerInput } from '../support/tailer-input.js';

interface Got {
  path: string;
  key: string;
  text: string;
  offset: number;
  flags: number;
}

let root: string;
let n = 0;
const running: Run[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logship-tailer-'));
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.halt();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const d = join(root, `t${n++}`);
  await mkdir(d, { recursive: true });
  return d;
}

const input = tailerInput;

interface Run {
  tailer: Tailer;
  lines: Got[];
  batches: LineBatch[];
  opened: TailedFile[];
  closed: TailedFile[];
  done: Promise<void>;
  waitFor(pred: () => boolean, what: string, ms?: number): Promise<void>;
  /** Graceful stop, then wait for the generator to end. */
  halt(): Promise<void>;
}

function start(cfg: InputConfig, resume: CheckpointEntry[] = [], logger: Logger = pino({ level: process.env.TAILER_LOG ?? 'silent' })): Run {
  const opened: TailedFile[] = [];
  const closed: TailedFile[] = [];
  const tailer = new Tailer({
    input: cfg,
    resume,
    logger,
    hooks: { opened: (f) => opened.push(f), closed: (f) => closed.push(f) },
  });
  const lines: Got[] = [];
  const batches: LineBatch[] = [];
  const done = (async () => {
    for await (const b of tailer.batches()) {
      if (b === null) continue; // a poll tick, for the parser chain's timeouts
      batches.push(b);
      b.texts.forEach((text, i) => lines.push({ path: b.source.path, key: b.source.key, text, offset: b.offsets[i]!, flags: b.flags?.[i] ?? 0 }));
    }
  })();
  let halted = false;
  const run: Run = {
    tailer,
    lines,
    batches,
    opened,
    closed,
    done,
    async waitFor(pred, what, ms = 5000) {
      const until = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}; lines so far: ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async halt() {
      if (halted) return done;
      halted = true;
      tailer.stop();
      const t = setTimeout(() => tailer.abort(), 5000);
      await done;
      clearTimeout(t);
    },
  };
  running.push(run);
  return run;
}

const texts = (r: Run) => r.lines.map((l) => l.text);
const pairs = (r: Run) => r.lines.map((l) => [l.offset, l.text]);

describe('Tailer (in process)', () => {
  it('reads a file from the beginning with byte offsets; batches end at the resume offset', async () => {
    const dir = await freshDir();
    const path = join(dir, 'app.log');
    await writeFile(path, 'alpha\nbéta\r\n\ngamma\n');
    const r = start(input(dir));
    await r.waitFor(() => r.lines.length >= 4, '4 lines');
    expect(pairs(r)).toEqual([
      [0, 'alpha'],
      [6, 'béta'],
      [13, ''],
      [14, 'gamma'],
    ]);
    expect(r.lines.every((l) => l.path === path && /^[0-9a-f]{16}$/.test(l.key))).toBe(true);
    expect(r.batches.at(-1)!.endOffset).toBe(20);
    expect(r.opened).toHaveLength(1);
    expect(r.opened[0]!.readPos).toBe(20);
    expect(r.opened[0]!.resumeOffset).toBe(20);

    // appended lines follow, with offsets continuing
    await appendFile(path, 'delta\nepsilon\n');
    await r.waitFor(() => r.lines.length >= 6, '6 lines');
    expect(pairs(r).slice(4)).toEqual([
      [20, 'delta'],
      [26, 'epsilon'],
    ]);
    expect(r.batches.at(-1)!.endOffset).toBe(34);
  });

  it('holds a partial last line until its newline arrives', async () => {
    const dir = await freshDir();
    const path = join(dir, 'app.log');
    await writeFile(path, 'one\ntw');
    const r = start(input(dir));
    await r.waitFor(() => r.lines.length >= 1, 'first line');
    await new Promise((res) => setTimeout(res, 150));
    expect(texts(r)).toEqual(['one']);
    expect(r.batches.at(-1)!.endOffset).toBe(4);
    await appendFile(path, 'o\n');
    await r.waitFor(() => r.lines.length >= 2, 'second line');
    expect(r.lines[1]).toMatchObject({ text: 'two', offset: 4, flags: 0 });
  });

  it('emits a partial last line after partial_line_timeout, tagged, and resumes after it', async () => {
    const dir = await freshDir();
    const path = join(dir, 'app.log');
    await writeFile(path, 'done\npartial');
    const r = start(input(dir, { partial_line_timeout: 150 }));
    await r.waitFor(() => r.lines.length >= 2, 'the partial line');
    expect(r.lines).toMatchObject([
      { text: 'done', offset: 0, flags: 0 },
      { text: 'partial', offset: 5, flags: LINE_PARTIAL },
    ]);
    expect(r.batches.at(-1)!.endOffset).toBe(12);
    await appendFile(path, ' rest\n');
    await r.waitFor(() => r.lines.length >= 3, 'the rest');
    expect(r.lines[2]).toMatchObject({ text: ' rest', offset: 12, flags: 0 });
  });

  it('a graceful stop emits the held partial line', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'app.log'), 'a\nb\nno-newline');
    const r = start(input(dir));
    await r.waitFor(() => r.lines.length >= 2, 'two lines');
    await r.halt();
    expect(r.lines.map((l) => [l.offset, l.text, l.flags])).toEqual([
      [0, 'a', 0],
      [2, 'b', 0],
      [4, 'no-newline', LINE_PARTIAL],
    ]);
  });

  it('an over-long line is truncated and the next line keeps its offset', async () => {
    const dir = await freshDir();
    const path = join(dir, 'app.log');
    const long = '€'.repeat(1000); // 3000 bytes
    await writeFile(path, `x\n${long}\ny\n`);
    const r = start(input(dir, { max_line_bytes: 1000 }));
    await r.waitFor(() => r.lines.length >= 3, '3 lines');
    expect(r.lines.map((l) => [l.offset, l.text.length, l.flags])).toEqual([
      [0, 1, 0],
      [2, 333, LINE_TRUNCATED], // 999 bytes: the cut at 1000 falls inside a character
      [3003, 1, 0],
    ]);
    expect(r.lines[1]!.text).toBe('€'.repeat(333));
  });

  it('start_at: end skips what is there and reads what is appended', async () => {
    const dir = await freshDir();
    const path = join(dir, 'app.log');
    await writeFile(path, 'old 1\nold 2\n');
    const r = start(input(dir, { start_at: 'end' }));
    await r.waitFor(() => r.opened.length === 1, 'the file opened');
    await appendFile(path, 'new\n');
    await r.waitFor(() => r.lines.length >= 1, 'the new line');
    expect(pairs(r)).toEqual([[12, 'new']]);
  });

  it('a file that appears later is read from its beginning', async () => {
    const dir = await freshDir();
    const log = capturing();
    const r = start(input(dir, { start_at: 'end' }), [], log.logger);
    // Created after the first scan (start_at: end applies to what that scan found).
    await r.waitFor(() => log.lines.some((l) => l.msg === 'tailing started'), 'the first scan');
    await writeFile(join(dir, 'late.log'), 'first\nsecond\n');
    await r.waitFor(() => r.lines.length >= 2, 'two lines');
    expect(pairs(r)).toEqual([
      [0, 'first'],
      [6, 'second'],
    ]);
  });

  it('a rename rotation: the old generation is read to its end, then the new one from 0', async () => {
    const dir = await freshDir();
    const path = join(dir, 'app.log');
    await writeFile(path, 'g1 line 1\n');
    const r = start(input(dir, { paths: [path] }));
    await r.waitFor(() => r.lines.length >= 1, 'first line');
    await appendFile(path, 'g1 line 2\n');
    await rename(path, `${path}.1`);
    await writeFile(path, 'g2 line 1\n');
    await r.waitFor(() => r.lines.length >= 3, 'three lines');
    expect(r.lines.map((l) => [l.path, l.offset, l.text])).toEqual([
      [path, 0, 'g1 line 1'],
      [path, 10, 'g1 line 2'],
      [path, 0, 'g2 line 1'],
    ]);
    expect(r.lines[0]!.key).toBe(r.lines[1]!.key);
    expect(r.lines[2]!.key).not.toBe(r.lines[0]!.key);
    await r.waitFor(() => r.closed.length === 1, 'the old generation closed after rotate_wait');
    expect(r.closed[0]!.resumeOffset).toBe(20);
  });

  describe('resume from a checkpoint', () => {
    async function entryFor(path: string, offset: number, fpBytes: number, key = 'feedfacecafebeef'): Promise<CheckpointEntry> {
      const st = await stat(path);
      const fh = await open(path, 'r');
      const head = Buffer.alloc(fpBytes);
      const { bytesRead } = await fh.read(head, 0, fpBytes, 0);
      await fh.close();
      const nl = head.subarray(0, bytesRead).indexOf(0x0a);
      const len = nl === -1 ? bytesRead : nl + 1;
      return {
        key,
        path,
        dev: st.dev,
        ino: st.ino,
        fp_len: len,
        fp_crc: crc32(head.subarray(0, len)),
        fp_final: true,
        generation: 0,
        offset,
        mtime_ms: st.mtimeMs,
      };
    }

    it('continues at the checkpointed offset with the checkpointed key', async () => {
      const dir = await freshDir();
      const path = join(dir, 'app.log');
      await writeFile(path, 'line one\nline two\nline three\n');
      const r = start(input(dir), [await entryFor(path, 9, 64)]);
      await r.waitFor(() => r.lines.length >= 2, 'two lines');
      await new Promise((res) => setTimeout(res, 100));
      expect(r.lines.map((l) => [l.offset, l.text, l.key])).toEqual([
        [9, 'line two', 'feedfacecafebeef'],
        [18, 'line three', 'feedfacecafebeef'],
      ]);
      expect(r.opened[0]!.readPos).toBe(29);
    });

    // Regression (fixed in e332d23): lowering fingerprint_bytes between two runs made
    // every checkpointed file whose fingerprint is longer than the new value
    // unrecognisable: headMatches() read known.len bytes into a scratch buffer of
    // fingerprint_bytes and threw ERR_OUT_OF_RANGE, hasHead() said "no match", the
    // entry was dropped as "not found" and the file was read again from offset 0.
    it('still resumes when fingerprint_bytes was lowered since the checkpoint was written', async () => {
      const dir = await freshDir();
      const path = join(dir, 'app.log');
      const first = `${'H'.repeat(100)}\n`;
      await writeFile(path, `${first}second\nthird\n`);
      const entry = await entryFor(path, first.length, 1024); // written by a run with fingerprint_bytes 1024
      expect(entry.fp_len).toBe(101);
      const r = start(input(dir, { fingerprint_bytes: 64 }), [entry]);
      await r.waitFor(() => r.lines.length >= 2, 'two lines');
      await new Promise((res) => setTimeout(res, 100));
      expect(r.lines.map((l) => [l.offset, l.text, l.key])).toEqual([
        [101, 'second', 'feedfacecafebeef'],
        [108, 'third', 'feedfacecafebeef'],
      ]);
    });
  });
});
