// The disk buffer's tail cache (src/buffer/tail-cache.ts): a take right behind
// the writer is served from the records just appended, in memory, instead of
// reading back the segment; it hands out exactly what a read from disk would
// (same bytes, ids, positions), and anything not in the cache (a backlog, a
// rewind past it, a restart) is still read from disk. Faults are injected
// through a module mock of node:fs/promises (test/support/fs-faults.ts).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskBuffer, type DiskBufferOptions } from '../../src/buffer/disk-buffer.js';
import { HEADER_BYTES } from '../../src/buffer/segment-format.js';
import type { TakenBatch } from '../../src/buffer/types.js';
import { capturing } from '../support/log-capture.js';
import { batch, endWhenIdle, ns, range, rec, recordOffsets, segs, T0 } from '../support/buffer-test-kit.js';
import { clearFaults, injectFault, waitUntil } from '../support/fs-faults.js';
import { prng } from '../support/prng.js';
import { texts } from '../support/records.js';

vi.mock('node:fs/promises', async (orig) => (await import('../support/fs-faults.js')).mockFsWithFaults(orig));
vi.setConfig({ testTimeout: 60_000 });

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'logship-tail-cache-'));
});
afterEach(async () => {
  clearFaults();
  await rm(root, { recursive: true, force: true });
});

function buffer(dir: string, over: Partial<DiskBufferOptions> = {}) {
  const { logger, lines } = capturing();
  const b = new DiskBuffer({
    dir,
    maxSize: 1024 ** 3,
    whenFull: 'block',
    // Only flush()/close() (and the tests' explicit ack writes) sync and persist, unless a test wants the timers.
    syncInterval: 1_000_000,
    // The smallest segments there are: rollovers, and batches split across segments.
    segmentSize: 64 * 1024,
    logger,
    onDurable: () => {},
    ...over,
  });
  return { b, lines, errors: () => lines.filter((l) => l.level >= 50) };
}

/** Everything about a take that an output sees. */
function describeTake(t: TakenBatch | null | 'idle'): unknown {
  if (t === null || t === 'idle') return t;
  return { firstId: t.firstId, lastId: t.lastId, count: t.count, bytes: t.bytes, data: t.data.toString('hex'), ends: [...t.ends], times: [...t.times], ids: [...t.ids] };
}

/** Every file of a buffer directory and its bytes: two runs that moved the same positions leave the same files. */
async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) if (name !== 'quarantine') out[name] = (await readFile(join(dir, name))).toString('hex');
  return out;
}

/** Persists the acknowledged position now and frees the segments it covers (the ack timer's work), at the same point in every run. */
const writeAck = (b: DiskBuffer) => (b as unknown as { persistAck(): Promise<void> }).persistAck();

async function takeAll(b: DiskBuffer): Promise<TakenBatch[]> {
  const out: TakenBatch[] = [];
  for (;;) {
    const timer = endWhenIdle(b);
    const t = await b.take(1000, 1 << 30);
    clearInterval(timer);
    if (!t) return out;
    out.push(t);
  }
}

/** Flips a byte inside the JSON of each of these records in a segment file (the record ids are the first ids there + index). */
async function damage(path: string, indexes: readonly number[]): Promise<void> {
  const bytes = await readFile(path);
  const offsets = recordOffsets(bytes);
  for (const i of indexes) bytes[offsets[i]! + HEADER_BYTES + 30]! ^= 0x20;
  await writeFile(path, bytes);
}

describe('DiskBuffer tail cache: the same records as from disk', () => {
  it('random batches, takes, acknowledgements, rewinds, restarts and segment rollovers: the takes and the files are identical with and without the cache', async () => {
    for (const seed of [1, 2, 3]) {
      const random = prng(seed);
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      // No cache, one that holds a few small batches (evicting all the time, skipping large ones), the default.
      const variants = [0, 8 * 1024, undefined].map((tailCacheBytes, i) => ({ dir: join(root, `s${seed}-v${i}`), tailCacheBytes, b: undefined as unknown as DiskBuffer }));
      const open = async () => {
        for (const v of variants) {
          v.b = buffer(v.dir, { tailCacheBytes: v.tailCacheBytes }).b;
          await v.b.open();
        }
      };
      await open();
      let seq = 1;
      let next = 0;
      let outstanding: number[] = [];
      const context = () => `seed ${seed}, record ${next}`;
      for (let op = 0; op < 150; op++) {
        const r = random();
        if (r < 0.4) {
          const count = int(1, 30);
          const pad = int(0, 1500);
          for (const v of variants) await v.b.append(batch(seq, next, count, pad));
          seq++;
          next += count;
        } else if (r < 0.8) {
          const [maxEvents, maxBytes, overhead] = [int(1, 60), int(100, 40_000), int(0, 80)];
          const got = [];
          for (const v of variants) got.push(describeTake(await v.b.take(maxEvents, maxBytes, 0, overhead)));
          expect(got[1], context()).toEqual(got[0]);
          expect(got[2], context()).toEqual(got[0]);
          const t = got[0] as { lastId: number } | 'idle';
          if (t !== 'idle') outstanding.push(t.lastId);
        } else if (r < 0.9) {
          if (outstanding.length === 0) continue;
          const upTo = outstanding[int(0, outstanding.length - 1)]!;
          for (const v of variants) v.b.ack(upTo);
          outstanding = outstanding.filter((id) => id > upTo);
          if (random() < 0.5) for (const v of variants) await writeAck(v.b);
        } else if (r < 0.96) {
          for (const v of variants) v.b.rewind();
          outstanding = [];
        } else {
          for (const v of variants) await v.b.close();
          const [none, ...cached] = await Promise.all(variants.map((v) => files(v.dir)));
          for (const f of cached) expect(f, context()).toEqual(none);
          outstanding = [];
          await open();
        }
      }
      console.log('HITS', seed, (globalThis as any).__hits, (globalThis as any).__miss);
      for (const v of variants) await v.b.close();
      const [none, ...cached] = await Promise.all(variants.map((v) => files(v.dir)));
      for (const f of cached) expect(f, context()).toEqual(none);
    }
  });
});

describe('DiskBuffer tail cache: a reader waiting behind a writer', () => {
  it('appends and takes running at once (the delivery loop): every record once, in order, with its bytes, time and id', async () => {
    const random = prng(7);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const { b } = buffer(join(root, 'b'), { tailCacheBytes: 32 * 1024 });
    await b.open();
    const sizes = Array.from({ length: 120 }, () => [int(1, 40), int(0, 1200)] as const);
    const total = sizes.reduce((n, [count]) => n + count, 0);
    const writer = (async () => {
      let next = 0;
      for (const [i, [count, pad]] of sizes.entries()) {
        await b.append(batch(i + 1, next, count, pad));
        next += count;
        // Now and then the writer runs ahead: the reader finds a backlog beyond the cache.
        if (random() < 0.1) await new Promise((r) => setImmediate(r));
      }
    })();
    const got: string[] = [];
    const expected: string[] = [];
    for (const [i, [count, pad]] of sizes.entries()) {
      const from = sizes.slice(0, i).reduce((n, [c]) => n + c, 0);
      for (let n = from; n < from + count; n++) expected.push(`${n} ${T0 + n} e${n} ${rec(n, pad)}`);
    }
    while (got.length < total) {
      const t = await b.take(int(1, 80), int(500, 60_000), 30_000, 0);
      if (!t || t === 'idle') throw new Error(`took ${got.length} of ${total} records, then nothing`);
      texts(t).forEach((json, i) => got.push(`${t.firstId + i} ${t.times[i]} ${t.ids[i]} ${json}`));
      b.ack(t.lastId);
      // The ack timer's work at random moments: acknowledged segments are deleted behind the reader.
      if (random() < 0.2) await writeAck(b);
    }
    await writer;
    expect(got).toEqual(expected);
    await b.close();
  });
});

describe('DiskBuffer tail cache: what is served from memory and what from disk', () => {
  it('a take right after the append is served from memory (bytes damaged on disk since do not reach it); a rewind past the cache reads the disk and reports the damage', async () => {
    const dir = join(root, 'b');
    const { b, errors } = buffer(dir, { tailCacheBytes: 64 * 1024 });
    await b.open();
    const first = batch(1, 0, 10, 500);
    await b.append(first);
    const [seg] = await segs(dir);
    await damage(join(dir, seg!), range(0, 10));

    const t = await b.take(1000, 1 << 30, 0);
    if (!t || t === 'idle') throw new Error('nothing taken');
    expect(t.data.equals(first.data)).toBe(true);
    expect({ firstId: t.firstId, lastId: t.lastId, ids: t.ids }).toEqual({ firstId: 0, lastId: 9, ids: range(0, 10).map((n) => `e${n}`) });
    expect(b.stats()).toMatchObject({ quarantinedPlaces: 0, lostRecords: 0 });

    // More than the cache holds: the first batch leaves it. Given back unacknowledged, it is read from disk again.
    for (let s = 0; s < 8; s++) await b.append(batch(s + 2, 10 + s * 10, 10, 1000));
    b.rewind();
    const again = (await takeAll(b)).flatMap(ns);
    expect(again).toEqual(range(10, 90));
    expect(b.stats()).toMatchObject({ quarantinedPlaces: 1, lostRecords: 10 });
    expect(errors().some((l) => /damaged bytes quarantined/.test(l.msg) && l.segment === join(dir, seg!))).toBe(true);
    await b.close();
  });

  it('a backlog beyond the cache is read from disk, the newest records from memory; after a restart all from disk', async () => {
    const dir = join(root, 'b');
    const { b } = buffer(dir, { tailCacheBytes: 16 * 1024 });
    await b.open();
    // 100 records of about 1 KiB in batches of 10: two segments; the cache holds only the last batches.
    for (let s = 0; s < 10; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    const files = await segs(dir);
    expect(files).toHaveLength(2);
    // Record 5 (the oldest, in the backlog) and the last one (just appended), damaged on disk.
    await damage(join(dir, files[0]!), [5]);
    const lastInSecond = (await readFile(join(dir, files[1]!))).length;
    const offsets = recordOffsets(await readFile(join(dir, files[1]!)));
    expect(offsets.at(-1)).toBeLessThan(lastInSecond);
    await damage(join(dir, files[1]!), [offsets.length - 1]);

    const taken = await takeAll(b);
    expect(taken.flatMap(ns)).toEqual(range(0, 100).filter((n) => n !== 5));
    expect(texts(taken.at(-1)!).at(-1)).toBe(rec(99, 1000));
    expect(b.stats()).toMatchObject({ quarantinedPlaces: 1, lostRecords: 1 });
    await b.close();

    // Nothing acknowledged: a restart replays everything, from disk, where record 99 is damaged too.
    const { b: reopened } = buffer(dir, { tailCacheBytes: 16 * 1024 });
    await reopened.open();
    expect((await takeAll(reopened)).flatMap(ns)).toEqual(range(0, 99).filter((n) => n !== 5));
    expect(reopened.stats()).toMatchObject({ quarantinedPlaces: 2 });
    await reopened.close();
  });
});

describe('DiskBuffer tail cache: never a record a read from disk would not find', () => {
  it('a write that fails (a full disk, retried) is not served until it succeeds', async () => {
    const dir = join(root, 'b');
    const { b } = buffer(dir, { syncInterval: 20 });
    await b.open();
    await b.append(batch(1, 0, 5));
    injectFault('write', /seg-/, 'ENOSPC');
    let appended = false;
    const pending = b.append(batch(2, 5, 5)).then(() => (appended = true));
    await waitUntil(() => b.stats().diskFull, 'the write failing');
    const before = await b.take(1000, 1 << 30, 0);
    expect(ns(before === 'idle' ? null : before)).toEqual(range(0, 5));
    expect(await b.take(1000, 1 << 30, 0)).toBe('idle');
    expect(appended).toBe(false);
    clearFaults();
    await pending;
    const after = await b.take(1000, 1 << 30, 0);
    expect(ns(after === 'idle' ? null : after)).toEqual(range(5, 10));
    await b.close();
  });

  it('drop_newest: a dropped batch is never served; the records around it are', async () => {
    const dir = join(root, 'b');
    const { b } = buffer(dir, { maxSize: 256 * 1024, whenFull: 'drop_newest' });
    await b.open();
    await b.append(batch(1, 0, 150, 1000));
    await b.append(batch(2, 150, 150, 1000));
    expect(b.stats().droppedEvents).toBe(150);
    // Ids go on from the last record kept: the next batch's records are 150.. in the buffer.
    await b.append(batch(3, 1000, 2, 10));
    const taken = await takeAll(b);
    expect(taken.flatMap(ns)).toEqual([...range(0, 150), 1000, 1001]);
    expect(taken.at(-1)!.lastId).toBe(151);
    await b.close();
  });

  it('the directory deleted from outside: once noticed, its records are not served from memory either; later ones are', async () => {
    const dir = join(root, 'b');
    const { b } = buffer(dir, { syncInterval: 20 });
    await b.open();
    await b.append(batch(1, 0, 10));
    await rm(dir, { recursive: true, force: true });
    await waitUntil(() => b.stats().dirVanished === 1, 'the deletion detected');
    expect(await b.take(1000, 1 << 30, 0)).toBe('idle');
    await b.append(batch(2, 10, 10));
    const t = await b.take(1000, 1 << 30, 0);
    expect(ns(t === 'idle' ? null : t)).toEqual(range(10, 20));
    await b.close();
  });

  it('after close, takes end', async () => {
    const dir = join(root, 'b');
    const { b } = buffer(dir);
    await b.open();
    await b.append(batch(1, 0, 10));
    await b.close();
    expect(await b.take(1000, 1 << 30, 0)).toBeNull();
  });
});
