// MemoryBuffer (`buffer.type: memory`): the same take/ack/rewind/when_full
// contract as the disk buffer, but "durable" means acknowledged by the output,
// so onDurable fires only on acknowledgement.
import { eventBatch } from '../support/records.js';
import { describe, expect, it, vi } from 'vitest';
import { MemoryBuffer, type MemoryBufferOptions } from '../../src/buffer/memory-buffer.js';
import { batch, ns, range, rec, T0 } from '../support/buffer-test-kit.js';

vi.setConfig({ testTimeout: 20_000 });

/** The NDJSON bytes of `count` records like rec(n, pad): what the memory buffer counts against max_size. */
const chars = (from: number, count: number, pad: number) => batch(0, from, count, pad).data.length;

function memory(over: Partial<MemoryBufferOptions> = {}): MemoryBuffer {
  return new MemoryBuffer({ maxSize: 1024 ** 3, whenFull: 'block', onDurable: () => {}, ...over });
}

async function settled(p: Promise<unknown>, ticks = 10): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < ticks && !done; i++) await new Promise((r) => setTimeout(r, 2));
  return done;
}

describe('MemoryBuffer: take and acknowledge', () => {
  it('hands records out in order with consecutive ids, times and limits', async () => {
    const b = memory();
    await b.open();
    await b.append(batch(1, 0, 5));
    await b.append(batch(2, 5, 5));
    const t = await b.take(7, 1 << 30);
    expect(t).toMatchObject({ firstId: 0, lastId: 6 });
    expect(Array.from(t!.times)).toEqual(range(0, 7).map((i) => T0 + i));
    expect(ns(t)).toEqual(range(0, 7));
    expect(t!.bytes).toBe(chars(0, 7, 0));
    // maxBytes: the record that crosses it is the last one.
    const one = rec(7).length + 1; // its NDJSON line
    expect(ns(await b.take(100, one + 1))).toEqual([7, 8]);
    expect(ns(await b.take(100, 1 << 30))).toEqual([9]);
    expect(b.stats()).toMatchObject({ pending: 10, droppedEvents: 0, quarantinedPlaces: 0 });
  });

  it('take waits for an append and returns null after stopTaking or close', async () => {
    const b = memory();
    const waiting = b.take(10, 1 << 30);
    expect(await settled(waiting)).toBe(false);
    await b.append(batch(1, 0, 1));
    expect(ns(await waiting)).toEqual([0]);
    const idle = b.take(10, 1 << 30);
    expect(await settled(idle)).toBe(false);
    b.stopTaking();
    expect(await idle).toBeNull();
    const other = memory();
    const waitingOther = other.take(10, 1 << 30);
    await other.close();
    expect(await waitingOther).toBeNull();
  });

  it('reports a batch durable only when every record of it is acknowledged, in seq order', async () => {
    const onDurable = vi.fn();
    const b = memory({ onDurable });
    await b.append(batch(1, 0, 4));
    await b.append(batch(2, 4, 4));
    await b.append(batch(3, 8, 4));
    await b.flush();
    expect(onDurable).not.toHaveBeenCalled();
    const t = await b.take(6, 1 << 30);
    expect(onDurable).not.toHaveBeenCalled();
    b.ack(t!.lastId); // through record 5: batch 1 complete, batch 2 half
    expect(onDurable.mock.calls).toEqual([[1]]);
    expect(b.stats().pending).toBe(6);
    const rest = await b.take(100, 1 << 30);
    b.ack(rest!.lastId);
    expect(onDurable.mock.calls).toEqual([[1], [2], [3]]);
    expect(b.drained).toBe(true);
    expect(b.stats()).toMatchObject({ pending: 0, bytes: 0 });
    // An old acknowledgement changes nothing.
    b.ack(3);
    expect(onDurable).toHaveBeenCalledTimes(3);
  });

  it('reports an empty batch once everything before it is acknowledged', async () => {
    const onDurable = vi.fn();
    const b = memory({ onDurable });
    await b.append(batch(1, 0, 2));
    await b.append(eventBatch(2, []));
    expect(onDurable).not.toHaveBeenCalled();
    b.ack((await b.take(10, 1 << 30))!.lastId);
    expect(onDurable.mock.calls).toEqual([[1], [2]]);
    // With nothing pending, an empty batch is done at once.
    await b.append(eventBatch(3, []));
    expect(onDurable.mock.calls).toEqual([[1], [2], [3]]);
  });
});

describe('MemoryBuffer: rewind', () => {
  it('hands out again from the oldest unacknowledged record', async () => {
    const b = memory();
    await b.append(batch(1, 0, 30));
    const a = await b.take(10, 1 << 30);
    await b.take(10, 1 << 30);
    b.ack(a!.lastId);
    b.rewind();
    const again = await b.take(15, 1 << 30);
    expect(again!.firstId).toBe(10);
    expect(ns(again)).toEqual(range(10, 25));
    b.rewind();
    expect(ns(await b.take(100, 1 << 30))).toEqual(range(10, 30));
    b.rewind();
    b.ack(29);
    expect(b.drained).toBe(true);
  });

  it('rewinds to the first record when nothing was acknowledged', async () => {
    const b = memory();
    await b.append(batch(1, 0, 3));
    await b.append(batch(2, 3, 3));
    expect(ns(await b.take(100, 1 << 30))).toEqual(range(0, 6));
    b.rewind();
    expect(ns(await b.take(100, 1 << 30))).toEqual(range(0, 6));
  });
});

describe('MemoryBuffer: when_full', () => {
  const PAD = 100;
  // Records 10..99 only: the same number of digits, so every record has the same size.

  it('block: an append waits while full and resumes once acknowledgements free room, in order', async () => {
    const durable: number[] = [];
    const maxSize = chars(10, 30, PAD); // three batches of 10 (records 10..39)
    const b = memory({ maxSize, onDurable: (s) => void durable.push(s) });
    await b.append(batch(1, 10, 10, PAD));
    await b.append(batch(2, 20, 10, PAD));
    await b.append(batch(3, 30, 10, PAD));
    const blocked = b.append(batch(4, 40, 10, PAD));
    expect(await settled(blocked)).toBe(false);
    expect(b.stats().bytes).toBe(maxSize);
    // Take everything but acknowledge only part of batch 1: no room yet.
    const t = await b.take(5, 1 << 30);
    b.ack(t!.lastId);
    expect(await settled(blocked)).toBe(false);
    expect(durable).toEqual([]);
    // The rest of batch 1: its room is freed, the blocked batch goes in behind the others.
    const t2 = await b.take(5, 1 << 30);
    b.ack(t2!.lastId);
    expect(durable).toEqual([1]);
    await blocked;
    expect(b.drained).toBe(false);
    expect(ns(await b.take(100, 1 << 30))).toEqual(range(20, 50));
  });

  it('block: a buffer with nothing unacknowledged takes a batch larger than max_size', async () => {
    const b = memory({ maxSize: 10 });
    await b.append(batch(1, 0, 50, PAD));
    expect(ns(await b.take(100, 1 << 30))).toEqual(range(0, 50));
  });

  it('block: close releases a blocked append', async () => {
    const b = memory({ maxSize: 10 });
    await b.append(batch(1, 0, 5));
    const blocked = b.append(batch(2, 5, 5));
    expect(await settled(blocked)).toBe(false);
    await b.close();
    expect(await settled(blocked)).toBe(true);
  });

  it('drop_newest: drops whole batches while full, counts exactly, and reports their seqs in order on acknowledgement', async () => {
    const durable: number[] = [];
    const maxSize = chars(10, 25, PAD);
    const b = memory({ maxSize, whenFull: 'drop_newest', onDurable: (s) => void durable.push(s) });
    let next = 10;
    let seq = 1;
    let dropped = 0;
    const kept: number[] = [];
    for (const count of [10, 10, 10, 3, 5, 10, 2]) {
      const drops = b.stats().bytes + chars(next, count, PAD) > maxSize;
      await b.append(batch(seq++, next, count, PAD));
      if (drops) dropped += count;
      else kept.push(...range(next, next + count));
      next += count;
      expect(b.stats().droppedEvents).toBe(dropped);
    }
    // 10+10 fit, the third 10 does not, 3 fits (23), 5 and 10 do not, 2 fits (25).
    expect(dropped).toBe(25);
    expect(kept.length).toBe(25);
    expect(durable).toEqual([]);
    const t = await b.take(1000, 1 << 30);
    expect(ns(t)).toEqual(kept);
    expect(t!.lastId - t!.firstId + 1).toBe(kept.length);
    // The dropped batches were never held, but their seqs wait for the ones before them.
    b.ack(t!.firstId + 9);
    expect(durable).toEqual([1]);
    b.ack(t!.lastId);
    expect(durable).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
