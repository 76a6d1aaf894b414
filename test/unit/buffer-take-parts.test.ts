// takeParts(): the records of a take left in the batches they lie in, so the
// delivery loop's linger joins several takes with one copy (joinTaken), where
// each take used to be joined and then the linger joined those joins again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskBuffer } from '../../src/buffer/disk-buffer.js';
import { MemoryBuffer } from '../../src/buffer/memory-buffer.js';
import { joinTaken } from '../../src/buffer/taken.js';
import type { OutputBuffer, TakenBatch, TakenParts } from '../../src/buffer/types.js';
import { batch, ns, range, T0 } from '../support/buffer-test-kit.js';
import { capturing } from '../support/log-capture.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'logship-take-parts-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const kinds: Record<string, () => OutputBuffer> = {
  memory: () => new MemoryBuffer({ maxSize: 1024 ** 3, whenFull: 'block', onDurable: () => {} }),
  disk: () => new DiskBuffer({ dir: root, maxSize: 1024 ** 3, whenFull: 'block', syncInterval: 1_000_000, segmentSize: 1024 * 1024, logger: capturing().logger, onDurable: () => {} }),
};

function parts(t: TakenParts | null | 'idle'): TakenParts {
  if (t === null || t === 'idle') throw new Error(`nothing taken: ${t}`);
  return t;
}

describe.each(Object.keys(kinds))('%s buffer: takeParts', (kind) => {
  it('hands out views of the appended batches, which joined equal what take() gives', async () => {
    const b = kinds[kind]!();
    await b.open();
    const appended = [batch(1, 0, 4), batch(2, 4, 4), batch(3, 8, 4)];
    for (const a of appended) await b.append(a);

    // Two takes, as a linger makes them: the first spans two appended batches.
    const first = parts(await b.takeParts(6, 1 << 30, 0, 0));
    const second = parts(await b.takeParts(6, 1 << 30, 0, 0));
    expect(first).toMatchObject({ firstId: 0, lastId: 5, count: 6 });
    expect(second).toMatchObject({ firstId: 6, lastId: 11, count: 6 });
    // No copy yet: every part lies in the memory of the batch it was appended in.
    for (const p of [...first.parts, ...second.parts]) expect(appended.some((a) => a.data.buffer === p.data.buffer)).toBe(true);

    const joined: TakenBatch = joinTaken([first, second]);
    expect(joined).toMatchObject({ firstId: 0, lastId: 11, count: 12, bytes: first.bytes + second.bytes });
    expect(ns(joined)).toEqual(range(0, 12));
    expect(Array.from(joined.times)).toEqual(range(0, 12).map((n) => T0 + n));
    expect(joined.ids).toEqual(range(0, 12).map((n) => `e${n}`));

    // The same records through take(), after a rewind: byte for byte the same batch.
    b.rewind();
    const taken = await b.take(12, 1 << 30);
    expect(taken!.data.equals(joined.data)).toBe(true);
    expect(Array.from(taken!.ends)).toEqual(Array.from(joined.ends));
    await b.close();
  });

  it('a take within one appended batch is joined without a copy', async () => {
    const b = kinds[kind]!();
    await b.open();
    const appended = batch(1, 0, 10);
    await b.append(appended);
    const joined = joinTaken([parts(await b.takeParts(5, 1 << 30, 0, 0))]);
    expect(joined.data.buffer).toBe(appended.data.buffer);
    expect(ns(joined)).toEqual(range(0, 5));
    await b.close();
  });
});
