// DiskBuffer (src/buffer/disk-buffer.ts): records leave only when acknowledged,
// durability is reported only after an fsync, acknowledged segments go only
// after the ack position is on disk, and damage is cut or quarantined while
// everything else is delivered.
import { eventBatch, framesOf, texts } from '../support/records.js';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskBuffer, type DiskBufferOptions } from '../../src/buffer/disk-buffer.js';
import { HEADER_BYTES, segmentFirstId } from '../../src/buffer/segment-format.js';
import type { TakenBatch } from '../../src/buffer/types.js';
import { capturing } from '../support/log-capture.js';
import { batch, endWhenIdle, ns, range, rec, recordOffsets, T0 } from '../support/buffer-test-kit.js';

// The buffer's fs calls, recorded in order (with the onDurable reports) to check its protocol.
const fsLog = vi.hoisted(() => ({
  calls: [] as string[],
  onUnlink: undefined as ((path: string) => void) | undefined,
  /** When set, every fsync of a segment waits for it. */
  syncGate: undefined as Promise<void> | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (path, flags, mode) => {
    const fh = await real.open(path, flags, mode);
    const p = String(path);
    return new Proxy(fh, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        if (prop === 'sync') {
          return async () => {
            if (fsLog.syncGate && /seg-/.test(p)) await fsLog.syncGate;
            await v.apply(target, []);
            fsLog.calls.push(`sync ${basename(p)}`);
          };
        }
        return v.bind(target);
      },
    });
  };
  return {
    ...real,
    default: real,
    open,
    rename: async (a: string, b: string) => {
      await real.rename(a, b);
      fsLog.calls.push(`rename ${basename(b)}`);
    },
    unlink: async (p: string) => {
      fsLog.onUnlink?.(String(p));
      await real.unlink(p);
      fsLog.calls.push(`unlink ${basename(String(p))}`);
    },
  };
});

vi.setConfig({ testTimeout: 30_000 });

const silent = pino({ level: 'silent' });


let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logship-buffer-disk-'));
  fsLog.calls.length = 0;
  fsLog.onUnlink = undefined;
  fsLog.syncGate = undefined;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Encoded size of `count` records like rec(n, pad) (n of the same digit count). */
const encodedSize = (from: number, count: number, pad: number) => framesOf(from, texts(batch(0, from, count, pad))).length;

function buffer(over: Partial<DiskBufferOptions> = {}): DiskBuffer {
  return new DiskBuffer({
    dir,
    maxSize: 1024 ** 3,
    whenFull: 'block',
    // Long enough that only flush()/close() sync and persist, unless a test wants the timers.
    syncInterval: 1_000_000,
    segmentSize: 64 * 1024,
    logger: silent,
    onDurable: () => {},
    ...over,
  });
}

/**
 * Ends a take that is parked waiting for appends (nothing more to read) with stopTaking(),
 * which makes it return null; a take still reading is left alone, so nothing is missed
 * however slow the machine. Peeks at the buffer's private waiter list to know.
 */

/** Takes until nothing is left. */
async function takeAll(b: DiskBuffer, maxEvents = 1000): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const timer = endWhenIdle(b);
    const t = await b.take(maxEvents, 1 << 30);
    clearInterval(timer);
    if (!t) return out;
    expect(t.lastId - t.firstId + 1).toBeGreaterThanOrEqual(t.count);
    out.push(...ns(t));
  }
}

/** Whether a promise settled, after the pending I/O had a chance to run (for "still blocked" checks: a slow machine only makes them stricter). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20 && !done; i++) await new Promise((r) => setTimeout(r, 5));
  return done;
}

const segFiles = async () => (await readdir(dir)).filter((n) => segmentFirstId(n) !== undefined).sort();
const ackFile = async () => JSON.parse(await readFile(join(dir, 'ack.json'), 'utf8')) as { acked_id: number; segment: number; offset: number };

describe('DiskBuffer: append, take, acknowledge, reopen', () => {
  it('refuses to open segments of another format version, naming the file', async () => {
    const name = 'seg-0000000000000000.log';
    await writeFile(join(dir, name), Buffer.concat([Buffer.from('LSBUF\x00\x01\n', 'latin1'), Buffer.from('whatever v1 held')]));
    await expect(buffer().open()).rejects.toThrow(new RegExp(`${name} is in buffer format v1 and this logship reads v2`));
    expect((await readFile(join(dir, name))).length).toBe(24); // left as it was
  });

  it('hands records out in order with consecutive ids, times and byte counts', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 5));
    await b.append(batch(2, 5, 5));
    const t = await b.take(7, 1 << 30);
    expect(t).toMatchObject({ firstId: 0, lastId: 6, ids: range(0, 7).map((i) => `e${i}`) });
    expect(Array.from(t!.times)).toEqual(range(0, 7).map((i) => T0 + i));
    expect(ns(t)).toEqual(range(0, 7));
    // Each record's NDJSON line: its JSON and a newline.
    expect(t!.bytes).toBe(texts(t!).reduce((n, r) => n + Buffer.byteLength(r) + 1, 0));
    expect(ns(await b.take(100, 1 << 30))).toEqual([7, 8, 9]);
    expect(b.stats().pending).toBe(10);
    await b.close();
  });

  it('continues after the acknowledged id on reopen: no redelivery of acked records, redelivery of the unacked', async () => {
    const b = buffer();
    await b.open();
    for (let s = 0; s < 3; s++) await b.append(batch(s + 1, s * 10, 10));
    const first = await b.take(12, 1 << 30);
    const second = await b.take(12, 1 << 30);
    expect(ns(first)).toEqual(range(0, 12));
    expect(ns(second)).toEqual(range(12, 24));
    b.ack(first!.lastId);
    expect(b.stats().pending).toBe(18);
    expect(b.drained).toBe(false);
    await b.close();
    expect((await ackFile()).acked_id).toBe(11);

    const again = buffer();
    await again.open();
    expect(again.stats().pending).toBe(18);
    // 12..23 were taken but never acknowledged: delivered again, then 24..29.
    const t = await again.take(1000, 1 << 30);
    expect(t!.firstId).toBe(12);
    expect(ns(t)).toEqual(range(12, 30));
    // New appends continue the ids.
    await again.append(batch(4, 30, 2));
    const next = await again.take(1000, 1 << 30);
    expect(next).toMatchObject({ firstId: 30, lastId: 31 });
    again.ack(31);
    expect(again.drained).toBe(true);
    await again.close();

    const third = buffer();
    await third.open();
    expect(third.drained).toBe(true);
    expect(await takeAll(third)).toEqual([]);
    await third.close();
  });

  it('respects maxEvents and maxBytes in take', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 20, 100));
    expect(ns(await b.take(3, 1 << 30))).toEqual([0, 1, 2]);
    const oneRecordBytes = rec(3, 100).length;
    // maxBytes is reached by the record that crosses it: two records for 1.5 records' bytes.
    expect(ns(await b.take(1000, Math.floor(oneRecordBytes * 1.5)))).toEqual([3, 4]);
    await b.close();
  });

  it('take waits for an append, and returns null once closed or stopped', async () => {
    const b = buffer();
    await b.open();
    const waiting = b.take(10, 1 << 30);
    expect(await settled(waiting)).toBe(false);
    await b.append(batch(1, 0, 2));
    expect(ns(await waiting)).toEqual([0, 1]);
    const idle = b.take(10, 1 << 30);
    expect(await settled(idle)).toBe(false);
    b.stopTaking();
    expect(await idle).toBeNull();
    expect(await b.take(10, 1 << 30)).toBeNull();
    await b.close();
  });
});

describe('DiskBuffer: durability reports', () => {
  it('reports a seq durable only after an fsync of the segment, never before', async () => {
    const onDurable = vi.fn((seq: number) => void fsLog.calls.push(`durable ${seq}`));
    const b = buffer({ onDurable });
    await b.open();
    fsLog.calls.length = 0;
    await b.append(batch(1, 0, 3));
    await b.append(batch(2, 3, 3));
    // Appended and readable, but not synced: not durable.
    expect(ns(await b.take(100, 1 << 30))).toEqual(range(0, 6));
    expect(onDurable).not.toHaveBeenCalled();
    expect(fsLog.calls).toEqual([]);
    await b.flush();
    expect(onDurable.mock.calls).toEqual([[2]]);
    expect(fsLog.calls).toEqual(['sync seg-0000000000000000.log', 'durable 2']);
    // Nothing new: no second report.
    await b.flush();
    expect(onDurable).toHaveBeenCalledTimes(1);
    await b.append(batch(3, 6, 1));
    await b.close();
    expect(onDurable.mock.calls).toEqual([[2], [3]]);
    expect(fsLog.calls.indexOf('durable 3')).toBeGreaterThan(fsLog.calls.lastIndexOf('sync seg-0000000000000000.log'));
  });

  it('reports an empty batch durable in order with the rest', async () => {
    const onDurable = vi.fn();
    const b = buffer({ onDurable });
    await b.open();
    await b.append(batch(1, 0, 2));
    await b.flush();
    await b.append(eventBatch(2, []));
    await b.flush();
    expect(onDurable.mock.calls).toEqual([[1], [2]]);
    await b.close();
  });

  it('reports monotonically from its own timer, ending with the last seq', async () => {
    const seen: number[] = [];
    const b = buffer({ syncInterval: 2, onDurable: (s) => void seen.push(s) });
    await b.open();
    for (let s = 1; s <= 60; s++) {
      await b.append(batch(s, (s - 1) * 5, 5, 200)); // rolls over a few 64 KiB segments
      if (s % 7 === 0) await new Promise((r) => setTimeout(r, 3));
    }
    await vi.waitFor(() => expect(seen.at(-1)).toBe(60), { timeout: 10_000 });
    expect(seen.length).toBeGreaterThan(1);
    // Never backwards, and each seq once (overlapping timer flushes once reported one twice).
    for (let i = 1; i < seen.length; i++) expect(seen[i]!, `report #${i} of ${JSON.stringify(seen)}`).toBeGreaterThan(seen[i - 1]!);
    expect((await segFiles()).length).toBeGreaterThan(1);
    await b.close();
    expect(seen.at(-1)).toBe(60);
  });
});

describe('DiskBuffer: segments', () => {
  it('rolls over at segment_size and deletes a fully acknowledged segment only after ack.json is on disk', async () => {
    const b = buffer();
    await b.open();
    // 10 records of ~1 KiB per batch; a batch is never split, so segments hold whole batches.
    for (let s = 0; s < 20; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    const files = await segFiles();
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files.slice(0, -1)) expect((await stat(join(dir, f))).size).toBeLessThanOrEqual(64 * 1024);
    const firstIds = files.map((f) => segmentFirstId(f)!);
    expect(firstIds[0]).toBe(0);
    for (const id of firstIds) expect(id % 10).toBe(0);

    // Take everything (the reader moves into the last segment), acknowledge through the
    // end of the second segment and a little of the third.
    expect(await takeAll(b, 10)).toEqual(range(0, 200));
    const ackTo = firstIds[2]! + 4;
    // Acks move in whole taken batches: acknowledge the batch ending at ackTo's batch end.
    const acked = Math.ceil((ackTo + 1) / 10) * 10 - 1;
    // At every unlink, ack.json must already cover the segment being deleted.
    const seenAtUnlink: { file: string; acked: number }[] = [];
    fsLog.onUnlink = (p) => {
      const a = JSON.parse(readFileSync(join(dir, 'ack.json'), 'utf8')) as { acked_id: number };
      seenAtUnlink.push({ file: basename(p), acked: a.acked_id });
    };
    fsLog.calls.length = 0;
    b.ack(acked);
    expect(await segFiles()).toEqual(files); // ack() alone deletes nothing
    await b.close();

    expect(seenAtUnlink.map((u) => u.file)).toEqual(files.slice(0, 2));
    for (const [i, u] of seenAtUnlink.entries()) expect(u.acked).toBeGreaterThanOrEqual(firstIds[i + 1]! - 1);
    // ack.json is rewritten in place: its fsync comes before the unlink.
    const ackSyncAt = fsLog.calls.indexOf('sync ack.json');
    expect(ackSyncAt).toBeGreaterThanOrEqual(0);
    expect(fsLog.calls.indexOf(`unlink ${files[0]}`)).toBeGreaterThan(ackSyncAt);
    expect(await segFiles()).toEqual(files.slice(2));
    expect(await ackFile()).toMatchObject({ acked_id: acked });

    const again = buffer();
    await again.open();
    expect(await takeAll(again)).toEqual(range(acked + 1, 200));
    await again.close();
  });

  it('keeps every segment while nothing is acknowledged, and counts their bytes', async () => {
    const b = buffer();
    await b.open();
    for (let s = 0; s < 12; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    await takeAll(b);
    await b.close();
    const files = await segFiles();
    expect(files.length).toBeGreaterThanOrEqual(2);
    let total = 0;
    for (const f of files) total += (await stat(join(dir, f))).size;
    const again = buffer();
    await again.open();
    expect(again.stats().bytes).toBe(total);
    expect(again.stats().pending).toBe(120);
    await again.close();
  });
});

describe('DiskBuffer: crash recovery', () => {
  it('cuts a torn record at the end of the last segment, logs it and carries on', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 8));
    await b.close();
    const [file] = await segFiles();
    const path = join(dir, file!);
    const goodSize = (await stat(path)).size;
    // Half a record: a crash in the middle of a write.
    const half = framesOf(8, [rec(8, 500)]).subarray(0, 200);
    await appendFile(path, half);

    const { logger, lines } = capturing();
    const again = buffer({ logger });
    await again.open();
    expect((await stat(path)).size).toBe(goodSize);
    const torn = lines.filter((l) => /torn record/.test(l.msg));
    expect(torn).toHaveLength(1);
    expect(torn[0]).toMatchObject({ level: 40, segment: path, offset: goodSize, bytes: 200 });
    expect(again.stats()).toMatchObject({ quarantinedPlaces: 0, pending: 8, bytes: goodSize });
    await again.append(batch(2, 8, 2));
    expect(await takeAll(again)).toEqual(range(0, 10));
    await again.close();
    const third = buffer();
    await third.open();
    expect(await takeAll(third)).toEqual(range(0, 10));
    await third.close();
  });

  it('quarantines a flipped byte in the middle of a segment, counts it once and delivers every other record', async () => {
    const b = buffer();
    await b.open();
    for (let s = 0; s < 15; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    await b.close();
    const files = await segFiles();
    expect(files.length).toBeGreaterThanOrEqual(3);
    // Record 25 (third batch, in the first segment): flip a byte of its JSON.
    const path = join(dir, files[0]!);
    const bytes = await readFile(path);
    const offsets = recordOffsets(bytes);
    const at = offsets[25]!;
    const recLen = offsets[26]! - at;
    expect(bytes.readDoubleLE(at + HEADER_BYTES)).toBe(25);
    bytes[at + HEADER_BYTES + 40]! ^= 0x20;
    await writeFile(path, bytes);

    const { logger, lines } = capturing();
    const again = buffer({ logger });
    await again.open();
    const got = await takeThrough(again, 149);
    expect(got).toEqual(range(0, 150).filter((n) => n !== 25));
    expect(again.stats()).toMatchObject({ quarantinedPlaces: 1, quarantinedBytes: recLen });
    // Given back and read again: the same damage is not counted (or moved) twice.
    again.rewind();
    expect(await takeAll(again)).toEqual(range(0, 150).filter((n) => n !== 25));
    expect(again.stats()).toMatchObject({ quarantinedPlaces: 1, quarantinedBytes: recLen });
    const q = await readdir(join(dir, 'quarantine'));
    expect(q).toEqual([`${files[0]}@${at}-${at + recLen}.bad`]);
    expect(await readFile(join(dir, 'quarantine', q[0]!))).toEqual(bytes.subarray(at, at + recLen));
    const logged = lines.filter((l) => /quarantined/.test(l.msg));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, segment: path, offset: at, bytes: recLen, reason: 'CRC mismatch' });
    await again.close();
  });

  it('counts damage in the last segment once, though recovery and delivery both meet it', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 10, 50));
    await b.close();
    const [file] = await segFiles();
    const path = join(dir, file!);
    const bytes = await readFile(path);
    const offsets = recordOffsets(bytes);
    const at = offsets[4]!;
    const recLen = offsets[5]! - at;
    bytes[at + HEADER_BYTES + 30]! ^= 0x01;
    await writeFile(path, bytes);
    // As after a crash (no clean-close tail record): recovery scans the last segment.
    await rm(join(dir, 'tail.json'));

    const again = buffer();
    await again.open();
    expect(again.stats().quarantinedPlaces).toBe(1);
    expect(await takeAll(again)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(again.stats()).toMatchObject({ quarantinedPlaces: 1, quarantinedBytes: recLen });
    expect(await readdir(join(dir, 'quarantine'))).toHaveLength(1);
    // The segment is left as it was (the damage is copied out, not cut): new records follow it.
    expect((await stat(path)).size).toBe(bytes.length);
    await again.close();
  });

  it('after a clean close the next open trusts the recorded tail (no scan), once; damage made meanwhile is still found at delivery', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 10, 50));
    await b.close();
    expect(JSON.parse(await readFile(join(dir, 'tail.json'), 'utf8'))).toMatchObject({ segment: 0, next_id: 10 });
    const [file] = await segFiles();
    const path = join(dir, file!);
    const bytes = await readFile(path);
    bytes[recordOffsets(bytes)[4]! + HEADER_BYTES + 30]! ^= 0x01;
    await writeFile(path, bytes);

    const again = buffer();
    await again.open();
    // Used once: a crash from here on must fall back to the scan.
    await expect(stat(join(dir, 'tail.json'))).rejects.toThrow();
    expect(again.stats().quarantinedPlaces).toBe(0);
    await again.append(batch(2, 10, 2, 50));
    expect(await takeAll(again)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
    expect(again.stats().quarantinedPlaces).toBe(1);
    await again.close();
  });

  it('a recorded tail that no longer matches the last segment is ignored: the segment is scanned', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 5, 50));
    await b.close();
    const [file] = await segFiles();
    // Records appended by a later run that then crashed: the file grew past the recorded size.
    await appendFile(join(dir, file!), framesOf(5, ['{"n":5}', '{"n":6}'], [0, 0]));
    const again = buffer();
    await again.open();
    await again.append(batch(2, 7, 1, 50));
    expect(await takeAll(again)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await again.close();
  });

  it('replays the whole buffer, with an error log, when ack.json is corrupt (duplicates, not loss)', async () => {
    for (const garbage of ['{"acked_id": 19, "segm', '{"acked_id":"nineteen","segment":0,"offset":8}', '']) {
      await rm(dir, { recursive: true, force: true });
      const b = buffer();
      await b.open();
      await b.append(batch(1, 0, 30));
      const t = await b.take(20, 1 << 30);
      b.ack(t!.lastId);
      await b.close();
      expect((await ackFile()).acked_id).toBe(19);
      await writeFile(join(dir, 'ack.json'), garbage);

      const { logger, lines } = capturing();
      const again = buffer({ logger });
      await again.open();
      const errors = lines.filter((l) => l.level === 50 && /ack position unreadable/.test(l.msg));
      expect(errors, garbage).toHaveLength(1);
      expect(errors[0]!.dir).toBe(dir);
      expect(await takeAll(again)).toEqual(range(0, 30));
      await again.close();
    }
  });

  it('starts empty without an error log when there is no ack.json yet', async () => {
    const { logger, lines } = capturing();
    const b = buffer({ logger });
    await b.open();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(b.drained).toBe(true);
    expect(await segFiles()).toEqual(['seg-0000000000000000.log']);
    await b.close();
  });
});

/** Takes until record `lastN` has come (without stopping the buffer, which can take again after). */
async function takeThrough(b: DiskBuffer, lastN: number): Promise<number[]> {
  const out: number[] = [];
  while (out.at(-1) !== lastN) {
    const t = await b.take(1000, 1 << 30);
    if (!t) break;
    out.push(...ns(t));
  }
  return out;
}

describe('DiskBuffer: rewind', () => {
  it('hands out again from the oldest unacknowledged record', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 30));
    const a = await b.take(10, 1 << 30);
    const c = await b.take(10, 1 << 30);
    expect(ns(c)).toEqual(range(10, 20));
    b.ack(a!.lastId);
    b.rewind();
    const again = await b.take(15, 1 << 30);
    expect(again!.firstId).toBe(10);
    expect(ns(again)).toEqual(range(10, 25));
    // Nothing acknowledged since: a second rewind starts at the same place.
    b.rewind();
    expect(ns(await b.take(1000, 1 << 30))).toEqual(range(10, 30));
    await b.close();
  });

  it('rewinds to the start when nothing was acknowledged, across segments', async () => {
    const b = buffer();
    await b.open();
    for (let s = 0; s < 12; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    expect((await segFiles()).length).toBeGreaterThan(1);
    expect(ns(await b.take(1000, 1 << 30))).toEqual(range(0, 120));
    b.rewind();
    expect(ns(await b.take(1000, 1 << 30))).toEqual(range(0, 120));
    await b.close();
  });

  it('rewinds past a persisted ack position and past acknowledgements not yet persisted', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 40));
    const t1 = await b.take(10, 1 << 30);
    b.ack(t1!.lastId);
    await b.flush();
    const t2 = await b.take(10, 1 << 30);
    await b.take(10, 1 << 30);
    b.ack(t2!.lastId); // in memory only: the ack timer has not run
    b.rewind();
    expect(ns(await b.take(1000, 1 << 30))).toEqual(range(20, 40));
    await b.close();
  });
});

describe('DiskBuffer: when_full', () => {
  const PAD = 1000;
  const BATCH = 10;

  /** Appends batches until the next one would not fit under maxSize; returns the next seq and first record. */
  async function fill(b: DiskBuffer, maxSize: number): Promise<{ seq: number; next: number }> {
    const size = encodedSize(0, BATCH, PAD);
    let seq = 1;
    let next = 0;
    while (b.stats().bytes + size <= maxSize) {
      await b.append(batch(seq++, next, BATCH, PAD));
      next += BATCH;
    }
    return { seq, next };
  }

  it('block: an append waits while the buffer is full and resumes once acknowledged segments are freed', async () => {
    const maxSize = 256 * 1024;
    const b = buffer({ maxSize, syncInterval: 5 });
    await b.open();
    const { seq, next } = await fill(b, maxSize);
    const bytesFull = b.stats().bytes;
    const blocked = b.append(batch(seq, next, BATCH, PAD));
    expect(await settled(blocked)).toBe(false);
    // A second append queues behind it, in order.
    const behind = b.append(batch(seq + 1, next + BATCH, BATCH, PAD));
    expect(await settled(behind)).toBe(false);
    expect(b.stats().bytes).toBe(bytesFull);

    // Deliver the first two segments' records (whole take batches), leave the rest unacknowledged.
    const files = await segFiles();
    const taken: TakenBatch[] = [];
    for (let i = 0; i < next / BATCH; i++) taken.push((await b.take(BATCH, 1 << 30))!);
    expect(taken.at(-1)!.lastId).toBe(next - 1);
    const through = segmentFirstId(files[2]!)! - 1;
    b.ack(through);
    // Room comes when the ack timer has persisted the position and freed the segments.
    await blocked;
    await behind;
    expect(b.drained).toBe(false);
    expect(b.stats().pending).toBe(next + 2 * BATCH - (through + 1));
    expect(await segFiles()).not.toContain(files[0]);
    const rest = await b.take(1000, 1 << 30);
    expect(rest!.firstId).toBe(next);
    expect(ns(rest)).toEqual(range(next, next + 2 * BATCH));
    await b.close();
  });

  it('block: an empty (fully acknowledged) buffer takes a batch larger than max_size', async () => {
    const b = buffer({ maxSize: 64 * 1024 });
    await b.open();
    await b.append(batch(1, 0, 100, PAD)); // ~100 KiB
    expect(ns(await b.take(1000, 1 << 30))).toEqual(range(0, 100));
    await b.close();
  });

  it('drop_newest: drops whole batches while full, counts exactly what it dropped, and still reports their seqs in order', async () => {
    const maxSize = 256 * 1024;
    const reported: number[] = [];
    const b = buffer({ maxSize, whenFull: 'drop_newest', onDurable: (s) => void reported.push(s) });
    await b.open();
    let seq = 1;
    let next = 0;
    let appended = 0;
    const kept: number[] = [];
    const size = encodedSize(0, BATCH, PAD);
    while (b.stats().bytes + size <= maxSize) {
      await b.append(batch(seq, next, BATCH, PAD));
      await b.flush();
      kept.push(...range(next, next + BATCH));
      expect(reported.at(-1)).toBe(seq);
      seq++;
      next += BATCH;
      appended += BATCH;
    }
    expect(b.stats().droppedEvents).toBe(0);
    // Full: a batch that does not fit is dropped whole; a small one that still fits is kept.
    let dropped = 0;
    const droppedSeqs: number[] = [];
    for (const count of [BATCH, 25, 1, 3, BATCH, 1, 40]) {
      const drops = b.stats().bytes + encodedSize(next, count, PAD) > maxSize;
      await b.append(batch(seq, next, count, PAD));
      if (drops) {
        dropped += count;
        droppedSeqs.push(seq);
      } else {
        kept.push(...range(next, next + count));
      }
      next += count;
      appended += count;
      await b.flush();
      expect(b.stats().droppedEvents).toBe(dropped);
      expect(reported.at(-1)).toBe(seq);
      seq++;
    }
    expect(droppedSeqs.length).toBeGreaterThanOrEqual(4);
    expect(b.stats().droppedEvents).toBe(dropped);
    expect(reported).toEqual(range(1, seq));
    const got = await takeAll(b, 1000);
    expect(got).toEqual(kept);
    expect(got.length + b.stats().droppedEvents).toBe(appended);
    await b.close();
  });
});

describe('DiskBuffer: close', () => {
  it('ends a waiting take with null and persists the acknowledged position', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 5));
    const t = await b.take(100, 1 << 30);
    b.ack(t!.lastId);
    const waiting = b.take(100, 1 << 30);
    expect(await settled(waiting)).toBe(false);
    await b.close();
    expect(await waiting).toBeNull();
    expect(await b.take(100, 1 << 30)).toBeNull();
    expect(await ackFile()).toMatchObject({ acked_id: 4, segment: 0 });
  });

  // A deadlock before ab88084 (close() → flush() awaited the write chain, which held the append
  // waiting for room; room waiters were woken only after the flush): a shutdown with the output
  // down never finished.
  it('close() resolves while an append is blocked on a full buffer, and the append settles', async () => {
    const b = buffer({ maxSize: 64 * 1024 });
    await b.open();
    let n = 0;
    while (b.stats().bytes + encodedSize(0, 10, 1000) <= 64 * 1024) {
      await b.append(batch(n / 10 + 1, n, 10, 1000));
      n += 10;
    }
    const blocked = b.append(batch(n / 10 + 1, n, 10, 1000));
    blocked.catch(() => {});
    expect(await settled(blocked)).toBe(false);
    // A deadlock shows as this test's timeout: how long close()'s fsyncs take is no part of it.
    await b.close();
    await Promise.allSettled([blocked]);
  }, 30_000);
});

// Damage and shutdown cases found in review (bugs once, each seen failing before its fix).
describe('DiskBuffer: damage and shutdown edge cases', () => {
  it('an append released by close() writes nothing after close', async () => {
    const b = buffer({ maxSize: 64 * 1024 });
    await b.open();
    let n = 0;
    while (b.stats().bytes + encodedSize(0, 10, 1000) <= 64 * 1024) {
      await b.append(batch(n / 10 + 1, n, 10, 1000));
      n += 10;
    }
    const blocked = b.append(batch(n / 10 + 1, n, 10, 1000));
    blocked.catch(() => {});
    expect(await settled(blocked)).toBe(false);
    const files = await segFiles();
    await b.close();
    await Promise.allSettled([blocked]);
    expect(await segFiles()).toEqual(files);
  }, 30_000);

  it('overlapping flush() calls report each seq once, in order', async () => {
    const seen: number[] = [];
    const b = buffer({ onDurable: (s) => void seen.push(s) });
    await b.open();
    await b.append(batch(1, 0, 1));
    let release!: () => void;
    fsLog.syncGate = new Promise<void>((r) => (release = r));
    const first = b.flush(); // its fsync is slow
    await b.append(batch(2, 1, 1));
    const second = b.flush();
    const third = b.flush();
    release();
    await Promise.all([first, second, third]);
    await b.close();
    expect(seen).toEqual([1, 2]);
  });

  /** Flips the high bytes of record `index`'s length field: the length now runs past the segment's end. */
  async function damageLength(path: string, index: number): Promise<{ at: number; next: number; size: number }> {
    const bytes = await readFile(path);
    const offsets = recordOffsets(bytes);
    const at = offsets[index]!;
    bytes[at + 2]! ^= 0x01; // length += 65536: past the end of this small segment
    await writeFile(path, bytes);
    return { at, next: offsets[index + 1]!, size: bytes.length };
  }

  it('a damaged length field mid last segment loses only that record (not cut as a torn tail)', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 10, 50));
    await b.close();
    const [file] = await segFiles();
    const path = join(dir, file!);
    const { size } = await damageLength(path, 3);
    const again = buffer();
    await again.open();
    expect((await stat(path)).size).toBe(size);
    expect(await takeAll(again)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(again.stats().quarantinedPlaces).toBe(1);
    await again.close();
  });

  it('a damaged length field in a closed segment loses only that record', async () => {
    const b = buffer();
    await b.open();
    for (let s = 0; s < 12; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    await b.close();
    const files = await segFiles();
    expect(files.length).toBeGreaterThan(1);
    await damageLength(join(dir, files[0]!), 5);
    const again = buffer();
    await again.open();
    expect(await takeAll(again)).toEqual(range(0, 120).filter((n) => n !== 5));
    await again.close();
  });

  it('survives a 0-byte last segment left by a crash during rollover', async () => {
    const b = buffer();
    await b.open();
    await b.append(batch(1, 0, 3));
    b.ack((await b.take(100, 1 << 30))!.lastId);
    await b.close();
    await writeFile(join(dir, 'seg-0000000000000003.log'), '');
    const second = buffer();
    await second.open();
    await second.append(batch(2, 3, 3));
    expect(ns(await second.take(100, 1 << 30))).toEqual([3, 4, 5]);
    await second.close();
    const third = buffer();
    await third.open();
    expect(await takeAll(third)).toEqual([3, 4, 5]);
    await third.close();
  });

  it('a closed segment cut short on disk: the records after the cut are counted as lost, once, and the rest delivered', async () => {
    const b = buffer();
    await b.open();
    for (let s = 0; s < 12; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    await b.close();
    const files = await segFiles();
    expect(files.length).toBeGreaterThan(1);
    const path = join(dir, files[0]!);
    const bytes = await readFile(path);
    const offsets = recordOffsets(bytes);
    const next = segmentFirstId(files[1]!)!;
    expect(next).toBeGreaterThan(6);
    // Keep records 0..4 whole: cut exactly at record 5's start.
    await writeFile(path, bytes.subarray(0, offsets[5]!));
    const { logger, lines } = capturing();
    const again = buffer({ logger });
    await again.open();
    expect(await takeAll(again)).toEqual(range(0, 120).filter((n) => n < 5 || n >= next));
    expect(again.stats().lostRecords).toBe(next - 5);
    expect(lines.filter((l) => /cut short/.test(l.msg))).toHaveLength(1);
    await again.close();
  });

  it('a segment with a damaged header does not stop delivery of the other segments', async () => {
    const b = buffer();
    await b.open();
    for (let s = 0; s < 12; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    await b.close();
    const files = await segFiles();
    expect(files.length).toBeGreaterThan(1);
    const path = join(dir, files[0]!);
    const bytes = await readFile(path);
    bytes[1]! ^= 0xff;
    await writeFile(path, bytes);
    const again = buffer();
    await again.open();
    const got = await takeThrough(again, 119);
    expect(got).toEqual(expect.arrayContaining(range(segmentFirstId(files[1]!)!, 120)));
    expect(again.stats().quarantinedPlaces).toBeGreaterThanOrEqual(1);
    await again.close();
  });
});
