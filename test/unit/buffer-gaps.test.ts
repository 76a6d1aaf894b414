// DiskBuffer against missing records and impossible state (issue 9 items 3
// and 15): segment files deleted while stopped, an ack position the segments
// contradict, damage inside a segment. What is gone is logged at error with
// its count and counted in lostRecords (records, estimated from ids), never
// skipped silently; impossible state replays (duplicates, not loss).
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskBuffer } from '../../src/buffer/disk-buffer.js';
import { segmentName } from '../../src/buffer/segment-format.js';
import { capturing } from '../support/log-capture.js';
import { batch, ns, range, recordOffsets, segs } from '../support/buffer-test-kit.js';

vi.setConfig({ testTimeout: 60_000 });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logship-buffer-gaps-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function buffer() {
  const { logger, lines } = capturing();
  const b = new DiskBuffer({ dir, maxSize: 1024 ** 3, whenFull: 'block', syncInterval: 1_000_000, segmentSize: 64 * 1024, logger, onDurable: () => {} });
  return { b, errors: () => lines.filter((l) => l.level >= 50) };
}

/** Everything a fresh buffer on `dir` delivers, and what it logged at error. */
async function deliverAll(): Promise<{ ids: number[]; stats: ReturnType<DiskBuffer['stats']>; errors: Record<string, unknown>[] }> {
  const { b, errors } = buffer();
  await b.open();
  const ids: number[] = [];
  for (;;) {
    const t = await b.take(1000, 1 << 30, 0);
    if (!t || t === 'idle') break;
    ids.push(...ns(t));
    b.ack(t.lastId);
  }
  const stats = b.stats();
  await b.close();
  return { ids, stats, errors: errors() };
}

/** 200 records of ~1 KiB in 64 KiB segments (several), closed cleanly; optionally the first `acked` delivered. */
async function filled(acked = -1): Promise<string[]> {
  const { b } = buffer();
  await b.open();
  for (let s = 0; s < 20; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
  if (acked >= 0) {
    for (let got = -1; got < acked; ) {
      const t = await b.take(10, 1 << 30, 0);
      if (!t || t === 'idle') throw new Error('nothing to take');
      got = t.lastId;
      b.ack(got);
    }
  }
  await b.close();
  const files = await segs(dir);
  expect(files.length).toBeGreaterThanOrEqual(3);
  return files;
}

describe('DiskBuffer: segment files missing at start', () => {
  it('the oldest segment deleted while stopped: its records are logged as lost, counted, and the rest delivered; said once', async () => {
    const files = await filled();
    await unlink(join(dir, files[0]!));
    const secondFirst = Number.parseInt(files[1]!.slice(4, 20), 16);
    const run = await deliverAll();
    expect(run.ids).toEqual(range(secondFirst, 200));
    expect(run.stats.lostRecords).toBe(secondFirst);
    expect(run.errors).toEqual([expect.objectContaining({ firstMissingId: 0, lastMissingId: secondFirst - 1, missing: secondFirst })]);
    // The next start does not count them again.
    const again = await deliverAll();
    expect(again).toMatchObject({ ids: [], errors: [] });
    expect(again.stats.lostRecords).toBe(0);
  });

  it('every segment deleted while stopped (tail.json names the next id): all of them logged as lost and counted', async () => {
    await filled(49);
    for (const f of await segs(dir)) await unlink(join(dir, f));
    const run = await deliverAll();
    expect(run.ids).toEqual([]);
    expect(run.stats.lostRecords).toBe(150);
    expect(run.errors).toEqual([expect.objectContaining({ firstMissingId: 50, lastMissingId: 199, missing: 150 })]);
  });

  it('the newest segment deleted while stopped (tail.json names the next id): its records logged as lost and counted once; new records delivered', async () => {
    const files = await filled();
    await unlink(join(dir, files.at(-1)!));
    const lastFirst = Number.parseInt(files.at(-1)!.slice(4, 20), 16);
    const { b, errors } = buffer();
    await b.open();
    await b.append(batch(99, 1000, 10));
    const ids: number[] = [];
    for (;;) {
      const t = await b.take(1000, 1 << 30, 0);
      if (!t || t === 'idle') break;
      ids.push(...ns(t));
      b.ack(t.lastId);
    }
    expect(ids).toEqual([...range(0, lastFirst), ...range(1000, 1010)]);
    expect(b.stats().lostRecords).toBe(200 - lastFirst);
    expect(errors()).toEqual([expect.objectContaining({ firstMissingId: lastFirst, lastMissingId: 199, missing: 200 - lastFirst })]);
    await b.close();
  });

  it('a segment in the middle deleted: the gap is found when reading reaches it, logged and counted', async () => {
    const files = await filled();
    await unlink(join(dir, files[1]!));
    const second = Number.parseInt(files[1]!.slice(4, 20), 16);
    const third = Number.parseInt(files[2]!.slice(4, 20), 16);
    const run = await deliverAll();
    expect(run.ids).toEqual([...range(0, second), ...range(third, 200)]);
    expect(run.stats.lostRecords).toBe(third - second);
  });
});

describe('DiskBuffer: an impossible ack position is not trusted', () => {
  it.each([
    ['acked_id past the last record', { acked_id: 10_000, segment: 0, offset: 8 }],
    ['an offset past the segment size', { acked_id: 5, segment: 0, offset: 10_000_000 }],
    ['a segment after acked_id + 1', { acked_id: 5, segment: 150, offset: 8 }],
  ])('%s: logged at error, and the whole buffer replays (duplicates, not loss)', async (_label, ack) => {
    await filled();
    await writeFile(join(dir, 'ack.json'), JSON.stringify(ack));
    const run = await deliverAll();
    expect(run.ids).toEqual(range(0, 200));
    expect(run.errors).toEqual([expect.objectContaining({ msg: 'buffer ack position is impossible: replaying the whole buffer (duplicates, not loss)' })]);
    expect(run.stats.lostRecords).toBe(0);
  });

  it('a torn ack write (CRC mismatch) replays the whole buffer (what is left of it)', async () => {
    const files = await filled(99);
    const text = await readFile(join(dir, 'ack.json'), 'latin1');
    await writeFile(join(dir, 'ack.json'), text.replace('"acked_id":99', '"acked_id":98'), 'latin1');
    const run = await deliverAll();
    expect(run.ids).toEqual(range(Number.parseInt(files[0]!.slice(4, 20), 16), 200));
    expect(run.errors[0]).toMatchObject({ err: 'checksum mismatch (a torn or edited write)' });
  });

  it('the ack file is rewritten in place: same size, a valid CRC, read back by the next start', async () => {
    await filled(99);
    expect((await stat(join(dir, 'ack.json'))).size).toBe(128);
    const run = await deliverAll();
    expect(run.ids).toEqual(range(100, 200));
    expect(run.errors).toEqual([]);
  });

  it('an ack.json in the format before in-place writes (no crc) is still read once', async () => {
    await filled();
    await writeFile(join(dir, 'ack.json'), JSON.stringify({ acked_id: 9, segment: 0, offset: recordOffsets(await readFile(join(dir, segmentName(0))))[10] }));
    const run = await deliverAll();
    expect(run.ids).toEqual(range(10, 200));
    expect(run.errors).toEqual([]);
    expect(JSON.parse(await readFile(join(dir, 'ack.json'), 'utf8'))).toMatchObject({ acked_id: 199, crc: expect.any(Number) });
  });
});

describe('DiskBuffer: damage counts places and the records they held', () => {
  it('three damaged records in a row: one quarantined place, three lost records', async () => {
    await filled();
    const seg = join(dir, segmentName(0));
    const bytes = await readFile(seg);
    const at = recordOffsets(bytes);
    // Break the CRC of records 3, 4 and 5 (the resync finds record 6).
    for (const r of [3, 4, 5]) bytes[at[r]! + 4] ^= 0xff;
    await writeFile(seg, bytes);
    const run = await deliverAll();
    expect(run.ids).toEqual([...range(0, 3), ...range(6, 200)]);
    expect(run.stats).toMatchObject({ quarantinedPlaces: 1, lostRecords: 3 });
  });
});
