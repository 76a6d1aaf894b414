// DiskBuffer under write faults (issue 9 item 2, issue 10 §3): a full disk is
// backpressure, an I/O error is retried with backoff, an ack or fsync failure
// is retried, an unlink failure is logged and retried, a start on a full disk
// succeeds, and a state directory deleted while running is detected. Faults
// are injected through a module mock of node:fs/promises (test/support/fs-faults.ts);
// every wait is for a state, with a generous cap.
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskBuffer, type DiskBufferOptions } from '../../src/buffer/disk-buffer.js';
import { segmentName } from '../../src/buffer/segment-format.js';
import { capturing } from '../support/log-capture.js';
import { batch, endWhenIdle, ns, range, recordOffsets, segs } from '../support/buffer-test-kit.js';
import { clearFaults, holdAfterClose, injectFault, waitUntil } from '../support/fs-faults.js';

vi.mock('node:fs/promises', async (orig) => (await import('../support/fs-faults.js')).mockFsWithFaults(orig));
vi.setConfig({ testTimeout: 60_000 });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logship-buffer-faults-'));
});
afterEach(async () => {
  clearFaults();
  await rm(dir, { recursive: true, force: true });
});

function buffer(over: Partial<DiskBufferOptions> = {}) {
  const { logger, lines } = capturing();
  const b = new DiskBuffer({
    dir,
    maxSize: 1024 ** 3,
    whenFull: 'block',
    syncInterval: 20,
    segmentSize: 64 * 1024,
    logger,
    onDurable: () => {},
    ...over,
  });
  return { b, lines, errors: () => lines.filter((l) => l.level >= 50) };
}

async function takeAll(b: DiskBuffer): Promise<{ ids: number[]; lastId: number }> {
  const ids: number[] = [];
  let lastId = -1;
  for (;;) {
    const timer = endWhenIdle(b);
    const t = await b.take(1000, 1 << 30);
    clearInterval(timer);
    if (!t) return { ids, lastId };
    ids.push(...ns(t));
    lastId = t.lastId;
  }
}

/** Takes what is there now, without ending later takes. */
async function takeAvailable(b: DiskBuffer): Promise<{ ids: number[]; lastId: number }> {
  const ids: number[] = [];
  let lastId = -1;
  for (;;) {
    const t = await b.take(1000, 1 << 30, 0);
    if (!t || t === 'idle') return { ids, lastId };
    ids.push(...ns(t));
    lastId = t.lastId;
  }
}

/** Takes (after a stopTaking from takeAll) are over for good; a fresh buffer reads what remains. */
async function reopenAndTake(over: Partial<DiskBufferOptions> = {}): Promise<number[]> {
  const { b } = buffer(over);
  await b.open();
  const { ids } = await takeAll(b);
  await b.close();
  return ids;
}

describe('DiskBuffer: a segment write fails', () => {
  it('EIO: retried with backoff, logged once at error and counted; the append completes once the fault clears', async () => {
    const { b, lines, errors } = buffer();
    await b.open();
    injectFault('write', /seg-/, 'EIO', 3);
    await b.append(batch(1, 0, 10));
    expect(b.stats().writeErrors).toEqual({ EIO: 3 });
    expect(b.stats().diskFull).toBe(false);
    expect(errors().map((l) => [l.op, l.reason])).toEqual([['append', 'EIO']]);
    expect(lines.some((l) => l.msg === 'buffer: append works again')).toBe(true);
    await b.close();
    expect(await reopenAndTake()).toEqual(range(0, 10));
  });

  it.each(['ENOSPC', 'EDQUOT'])('%s: the append waits (diskFull), said once with the path, and goes on by itself when space returns', async (code) => {
    const { b, errors } = buffer();
    await b.open();
    await b.append(batch(1, 0, 10));
    injectFault('write', /seg-/, code);
    let done = false;
    const pending = b.append(batch(2, 10, 10)).then(() => (done = true));
    await waitUntil(() => (b.stats().writeErrors[code] ?? 0) >= 3, 'several retries');
    expect(b.stats().diskFull).toBe(true);
    expect(done).toBe(false);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ path: dir, op: 'append', reason: code });
    clearFaults();
    await pending;
    expect(b.stats().diskFull).toBe(false);
    await b.close();
    expect(await reopenAndTake()).toEqual(range(0, 20));
  });

  it('a start on a full disk succeeds (no segment can be created); the first append waits, then goes on', async () => {
    injectFault('write', /seg-/, 'ENOSPC');
    const { b } = buffer();
    await b.open();
    const pending = b.append(batch(1, 0, 10));
    await waitUntil(() => b.stats().diskFull, 'diskFull');
    clearFaults();
    await pending;
    await b.close();
    expect(await reopenAndTake()).toEqual(range(0, 10));
  });

  it('a start on a full disk with a headerless last segment (a crash at its create) succeeds without writing a header', async () => {
    const { b } = buffer();
    await b.open();
    await b.append(batch(1, 0, 10));
    await b.close();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, segmentName(10)), '');
    injectFault('write', /seg-/, 'ENOSPC');
    const again = buffer().b;
    await again.open();
    expect(await segs(dir)).toEqual([segmentName(0)]);
    clearFaults();
    const { ids } = await takeAll(again);
    expect(ids).toEqual(range(0, 10));
    await again.close();
  });

  it('the disk full with everything delivered and one segment left: it is freed and begun again, so appends go on', async () => {
    const { b, lines } = buffer({ segmentSize: 64 * 1024 * 1024, maxSize: 1024 ** 3 });
    await b.open();
    await b.append(batch(1, 0, 10));
    const { lastId } = await takeAll(b);
    // The disk is full for the old segment only: the new one (another file) is writable once room exists.
    injectFault('write', new RegExp(segmentName(0)), 'ENOSPC');
    b.ack(lastId);
    await b.append(batch(2, 10, 10));
    expect(await segs(dir)).toEqual([segmentName(10)]);
    expect(lines.some((l) => /the last segment is freed and begun again/.test(l.msg))).toBe(true);
    await b.close();
    expect(await reopenAndTake()).toEqual(range(10, 20));
  });
});

describe('DiskBuffer: acknowledgement, fsync and unlink faults', () => {
  it('an ack write failing while an append waits for room is retried, and the waiting append wakes', async () => {
    const { b, errors } = buffer({ maxSize: 256 * 1024, syncInterval: 1_000_000 });
    await b.open();
    let n = 0;
    while (b.stats().bytes < 200 * 1024) {
      await b.append(batch(n / 10 + 1, n, 10, 1000));
      n += 10;
    }
    const { lastId } = await takeAll(b);
    let done = false;
    const blocked = b.append(batch(n / 10 + 1, n, 10, 100_000)).then(() => (done = true));
    await waitUntil(() => (b as unknown as { roomWaiters: unknown[] }).roomWaiters.length > 0, 'the append waits for room');
    injectFault('write', /ack\.json/, 'EIO', 1);
    b.ack(lastId);
    await blocked;
    expect(done).toBe(true);
    expect(errors().map((l) => [l.op, l.reason])).toEqual([['ack write', 'EIO']]);
    await b.close();
  });

  it('a failed fsync is retried: the batch is reported durable after a later fsync succeeds', async () => {
    const durable: number[] = [];
    const { b, errors } = buffer({ onDurable: (s) => durable.push(s) });
    await b.open();
    injectFault('sync', /seg-/, 'EIO', 1);
    await b.append(batch(1, 0, 10));
    await waitUntil(() => durable.includes(1), 'seq 1 reported durable');
    expect(errors().map((l) => [l.op, l.reason])).toEqual([['fsync', 'EIO']]);
    expect(b.stats().writeErrors).toEqual({ EIO: 1 });
    await b.close();
  });

  it('an unlink of an acknowledged segment that fails is logged, counted and retried at the next ack write', async () => {
    const { b, errors } = buffer();
    await b.open();
    for (let s = 0; s < 20; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    const files = await segs(dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const first = await takeAvailable(b);
    injectFault('unlink', new RegExp(files[0]!), 'EBUSY', 1);
    b.ack(first.lastId);
    await waitUntil(() => b.stats().writeErrors.EBUSY === 1, 'the unlink failure counted');
    expect(existsSync(join(dir, files[0]!))).toBe(true);
    expect(errors().map((l) => [l.op, l.reason])).toEqual([['segment unlink', 'EBUSY']]);
    // The next acknowledgement tries again.
    await b.append(batch(21, 200, 10, 1000));
    const second = await takeAvailable(b);
    expect(second.ids).toEqual(range(200, 210));
    b.ack(second.lastId);
    await waitUntil(() => !existsSync(join(dir, files[0]!)), `${files[0]} removed`);
    // Closed first: the ack write may still be freeing other segments.
    await b.close();
    const sizes = await Promise.all((await segs(dir)).map(async (f) => (await stat(join(dir, f))).size));
    expect(b.stats().bytes).toBe(sizes.reduce((x, y) => x + y, 0));
  });

  it('an fsync during a rollover syncs the new segment, never the one being closed (no false fsync failure)', async () => {
    // No fsync tick: the test calls flush itself, inside the rollover's window.
    const { b, errors } = buffer({ syncInterval: 3_600_000 });
    await b.open();
    await b.append(batch(1, 0, 10, 1000));
    const [first] = await segs(dir);
    // The first segment is closed by the rollover, which is then held before it goes on to the new segment.
    const hold = holdAfterClose(new RegExp(first!));
    const appending = (async () => {
      for (let s = 1; s < 10; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    })();
    await hold.reached;
    await b.flush();
    hold.release();
    await appending;
    expect(errors()).toEqual([]);
    expect(b.stats().writeErrors).toEqual({});
    expect((await segs(dir)).length).toBeGreaterThanOrEqual(2);
    await b.close();
  });

  it('open() removes fully acknowledged segments left by a crash between the ack write and the unlinks', async () => {
    const { b } = buffer();
    await b.open();
    for (let s = 0; s < 20; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
    const files = await segs(dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const kept = join(tmpdir(), `logship-kept-${process.pid}`);
    await copyFile(join(dir, files[0]!), kept);
    const { lastId } = await takeAll(b);
    b.ack(lastId);
    await b.close();
    expect(await segs(dir)).toEqual(files.slice(-1));
    // The crash: the first segment is back, as if its unlink never happened.
    await copyFile(kept, join(dir, files[0]!));
    await rm(kept);
    const { b: again, errors } = buffer();
    await again.open();
    expect(await segs(dir)).toEqual(files.slice(-1));
    expect(again.stats()).toMatchObject({ pending: 0, bytes: (await stat(join(dir, files.at(-1)!))).size, lostRecords: 0 });
    expect(errors()).toEqual([]);
    await again.close();
  });
});

describe('DiskBuffer: the state directory deleted while running', () => {
  it('is detected at the next fsync tick, logged at error with the records lost, counted, and recreated for later records', async () => {
    const { b, errors } = buffer();
    await b.open();
    await b.append(batch(1, 0, 10));
    await b.flush();
    await rm(dir, { recursive: true, force: true });
    await b.append(batch(2, 10, 10));
    await waitUntil(() => b.stats().dirVanished === 1, 'the deletion detected');
    // Detected before or after the second batch went into the deleted files: 10 or 20 records lost, said and counted.
    const report = errors().find((l) => /vanished/.test(l.msg));
    const lost = report?.lost as number;
    expect([10, 20]).toContain(lost);
    expect(report).toMatchObject({ dir });
    expect(b.stats()).toMatchObject({ lostRecords: lost, dirVanished: 1 });
    await waitUntil(() => existsSync(join(dir, 'ack.json')), 'the directory recreated with its ack position');
    await b.append(batch(3, 20, 10));
    const delivered: number[] = [];
    while (delivered.at(-1) !== 29) {
      const t = await b.take(1000, 1 << 30, 30_000);
      if (!t || t === 'idle') throw new Error(`took ${delivered.length} records, then nothing`);
      delivered.push(...ns(t));
    }
    // Every record is delivered or counted lost, once.
    expect(delivered).toEqual(range(lost, 30));
    await b.close();
    expect((await readdir(dir)).filter((f) => f.startsWith('seg-'))).toEqual([segmentName(lost)]);
  });
});

describe('DiskBuffer: quarantine on a full disk', () => {
  it('damaged bytes that cannot be copied to quarantine/ are logged, counted and skipped; every other record is delivered', async () => {
    const { b } = buffer();
    await b.open();
    await b.append(batch(1, 0, 10));
    await b.close();
    const seg = join(dir, segmentName(0));
    const bytes = await readFile(seg);
    bytes[recordOffsets(bytes)[4]! + 4] ^= 0xff; // record 4's CRC
    await writeFile(seg, bytes);
    injectFault('writeFile', /quarantine/, 'ENOSPC');
    const { b: again, errors } = buffer();
    await again.open();
    const { ids } = await takeAvailable(again);
    expect(ids).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(again.stats()).toMatchObject({ quarantinedPlaces: 1, lostRecords: 1 });
    expect(errors().map((l) => l.msg)).toContain('buffer: damaged bytes skipped; copying them to quarantine/ failed');
    await again.close();
  });
});

