// The delivery loop (src/pipeline/delivery.ts): batching for outputs with a
// linger (elasticsearch): events that keep coming are merged into one write up
// to the limits, and an idle input sends what there is at once instead of
// waiting out the linger; and stopping while the output keeps failing.
import { eventBatch, texts } from '../support/records.js';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBuffer } from '../../src/buffer/memory-buffer.js';
import { OutputDelivery } from '../../src/pipeline/delivery.js';
import type { BatchLimits, EventBatch, Output } from '../../src/output/contract.js';
import { sleep } from '../support/logship-process.js';
import { range } from '../support/buffer-test-kit.js';

const silent = pino({ level: 'silent' });

/** An output that records its writes and reports each durable at once (keeping a copy: the loop reuses acknowledged memory). */
function recordingOutput(onDurable: (seq: number) => void, writes: EventBatch[]): Output {
  return {
    name: 'rec',
    start: async () => {},
    write: async (b) => {
      writes.push({ ...b, data: Buffer.from(b.data) });
      onDurable(b.seq);
    },
    flush: async () => {},
    close: async () => {},
  };
}

const batch = (seq: number, from: number, n: number): EventBatch =>
  eventBatch(
    seq,
    Array.from({ length: n }, (_, i) => JSON.stringify({ n: from + i })),
    { ids: Array.from({ length: n }, (_, i) => `id-${from + i}`) },
  );

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await stop?.();
  stop = undefined;
});

function setup(limits: BatchLimits) {
  const buffer = new MemoryBuffer({ maxSize: 1 << 30, whenFull: 'block', onDurable: () => {} });
  const writes: EventBatch[] = [];
  const delivery = new OutputDelivery(buffer, (ack) => recordingOutput(ack, writes), limits, silent);
  stop = () => delivery.stop();
  return { buffer, writes, delivery };
}

describe('delivery loop: linger', () => {
  it('an idle input sends at once: a 10-minute linger does not hold a lone batch', async () => {
    const { buffer, writes, delivery } = setup({ maxEvents: 1000, maxBytes: 1 << 20, lingerMs: 600_000, recordOverhead: 0, idleGapMs: 50, inFlight: 1 });
    delivery.start();
    await buffer.append(batch(1, 0, 3));
    // Bounded only by the test's timeout (far below the linger): it must come after the idle gap.
    while (writes.length === 0) await sleep(10);
    expect(texts(writes[0]!).map((r) => (JSON.parse(r) as { n: number }).n)).toEqual([0, 1, 2]);
    expect(writes[0]!.ids).toEqual(['id-0', 'id-1', 'id-2']);
    expect(buffer.drained).toBe(true);
  });

  it('events that keep coming are merged into one write, up to max_events, ids and times kept in step', async () => {
    // The clock is the test's: batches come 1 ms apart, well inside the 50 ms idle gap, however slow the machine.
    vi.useFakeTimers();
    const { buffer, writes, delivery } = setup({ maxEvents: 20, maxBytes: 1 << 20, lingerMs: 600_000, recordOverhead: 0, idleGapMs: 50, inFlight: 1 });
    delivery.start();
    for (let k = 0; k < 8; k++) {
      await buffer.append(batch(k + 1, k * 5, 5));
      await vi.advanceTimersByTimeAsync(1);
    }
    // Then the input goes idle: the second write goes after the gap.
    for (let i = 0; i < 100 && writes.reduce((n, w) => n + w.count, 0) < 40; i++) await vi.advanceTimersByTimeAsync(10);
    vi.useRealTimers();
    // Four appended batches per write: cut at max_events, never at the gap.
    expect(writes.map((w) => w.count)).toEqual([20, 20]);
    for (const w of writes) {
      expect(w.count).toBeLessThanOrEqual(20);
      expect(w.ids).toEqual(texts(w).map((r) => `id-${(JSON.parse(r) as { n: number }).n}`));
      expect(w.times).toHaveLength(w.count);
    }
    const all = writes.flatMap((w) => texts(w).map((r) => (JSON.parse(r) as { n: number }).n));
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(buffer.drained).toBe(true);
  });

  it('idle_gap decides what counts as idle: bursts 100 ms apart share a request under a 200 ms gap, not under a 50 ms one', async () => {
    // A bursty app (a chunk every 100 ms, on the test's clock): with the gap above the burst interval the
    // linger keeps filling, so a few large requests replace one small request per burst.
    const writesWith = async (idleGapMs: number) => {
      vi.useFakeTimers();
      const { buffer, writes, delivery } = setup({ maxEvents: 1000, maxBytes: 1 << 20, lingerMs: 1000, recordOverhead: 0, idleGapMs, inFlight: 1 });
      delivery.start();
      for (let k = 0; k < 6; k++) {
        await buffer.append(batch(k + 1, k * 5, 5));
        await vi.advanceTimersByTimeAsync(100);
      }
      for (let i = 0; i < 300 && writes.reduce((n, w) => n + w.count, 0) < 30; i++) await vi.advanceTimersByTimeAsync(10);
      vi.useRealTimers();
      await delivery.stop();
      stop = undefined;
      return writes.map((w) => w.count);
    };
    expect(await writesWith(200)).toEqual([30]);
    expect(await writesWith(50)).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('counts recordOverhead against max_bytes: a batch closes once records plus overhead reach it', async () => {
    const { buffer, writes, delivery } = setup({ maxEvents: 1000, maxBytes: 1000, lingerMs: 0, recordOverhead: 90, idleGapMs: 50, inFlight: 1 });
    await buffer.append(batch(1, 0, 30)); // records of ~8 chars: ~98 counted each
    delivery.start();
    while (writes.reduce((n, w) => n + w.count, 0) < 30) await sleep(10);
    for (const w of writes.slice(0, -1)) {
      // Each record counts as its NDJSON line (JSON and newline) plus the overhead.
      const counted = texts(w).reduce((n, r) => n + r.length + 1 + 90, 0);
      expect(counted).toBeGreaterThanOrEqual(1000);
      expect(counted - (texts(w).at(-1)!.length + 1 + 90)).toBeLessThan(1000);
    }
    expect(writes.length).toBeGreaterThan(2);
  });
});

describe('delivery loop: stopping', () => {
  it('stop() returns while the output keeps failing to start, and starts it no more', async () => {
    const buffer = new MemoryBuffer({ maxSize: 1 << 30, whenFull: 'block', onDurable: () => {} });
    let starts = 0;
    const failing = (): Output => ({
      name: 'down',
      start: async () => {
        starts++;
        throw new Error('cannot reach the destination');
      },
      write: async () => {},
      flush: async () => {},
      close: async () => {},
    });
    const delivery = new OutputDelivery(buffer, failing, { maxEvents: 10, maxBytes: 1 << 20, lingerMs: 0, recordOverhead: 0, idleGapMs: 50, inFlight: 1 }, silent);
    await buffer.append(batch(1, 0, 3));
    delivery.start();
    while (starts < 3) await sleep(20); // backoff 0.5 s, 1 s, … between the attempts
    // Without the stop flag the loop never reaches take(), so stopTaking() alone could not end it.
    await delivery.stop();
    const after = starts;
    await sleep(1500);
    expect(starts).toBe(after);
    expect(buffer.drained).toBe(false); // nothing acknowledged: it stays for the next start
  });
});

describe('delivery loop: joined batches reuse memory only once acknowledged', () => {
  /** An output whose writes return when the test says so, and whose batches are acknowledged when the test says so. */
  function heldOutput() {
    const writes: { batch: EventBatch; bytes: Buffer; release: () => void }[] = [];
    let ack: (seq: number) => void = () => {};
    const create = (onDurable: (seq: number) => void): Output => {
      ack = onDurable;
      return {
        name: 'held',
        start: async () => {},
        write: (b) => new Promise<void>((release) => writes.push({ batch: b, bytes: Buffer.from(b.data), release })),
        flush: async () => {},
        close: async () => {},
      };
    };
    return { writes, create, ack: (seq: number) => ack(seq) };
  }

  const numbers = (b: EventBatch) => texts(b).map((r) => (JSON.parse(r) as { n: number }).n);
  async function writeCount(writes: unknown[], n: number) {
    // Bounded by the test's timeout: the loop is waiting for nothing but the buffer.
    while (writes.length < n) await sleep(5);
  }

  it('a batch joined from several takes goes into a buffer given back at its acknowledgement, never before; a single view is never pooled', async () => {
    const buffer = new MemoryBuffer({ maxSize: 1 << 30, whenFull: 'block', onDurable: () => {} });
    const out = heldOutput();
    const delivery = new OutputDelivery(buffer, out.create, { maxEvents: 1000, maxBytes: 1 << 20, lingerMs: 0, recordOverhead: 0, idleGapMs: 0, inFlight: 2 }, silent);
    stop = () => delivery.stop();
    // Three appended batches before the loop starts: its first take holds all three, joined into one buffer.
    for (let s = 1; s <= 3; s++) await buffer.append(batch(s, (s - 1) * 3, 3));
    delivery.start();
    await writeCount(out.writes, 1);
    const first = out.writes[0]!;
    expect(numbers(first.batch)).toEqual(range(0, 9));

    // While the loop waits on the first write, three more arrive; released, it joins them into another buffer:
    // the first one is not acknowledged yet, so its memory is not the pool's to hand out.
    for (let s = 4; s <= 6; s++) await buffer.append(batch(s, (s - 1) * 3, 3));
    first.release();
    await writeCount(out.writes, 2);
    const second = out.writes[1]!;
    expect(numbers(second.batch)).toEqual(range(9, 18));
    expect(second.batch.data.buffer).not.toBe(first.batch.data.buffer);

    // The first is acknowledged: its buffer may now carry the third batch, and does, while the second stays as it was.
    out.ack(first.batch.seq);
    for (let s = 7; s <= 9; s++) await buffer.append(batch(s, (s - 1) * 3, 3));
    second.release();
    await writeCount(out.writes, 3);
    const third = out.writes[2]!;
    expect(numbers(third.batch)).toEqual(range(18, 27));
    expect(third.batch.data.buffer).toBe(first.batch.data.buffer);
    expect(Buffer.compare(second.batch.data, second.bytes)).toBe(0);

    // A lone appended batch is written as the buffer's own view, with no copy: acknowledged, it must not be reused.
    // (Larger than the joins after it, so that a pool holding it would hand it out.)
    await buffer.append(batch(10, 100, 30));
    third.release();
    await writeCount(out.writes, 4);
    const single = out.writes[3]!;
    expect(numbers(single.batch)).toEqual(range(100, 130));
    // Unacknowledged, each batch still reads as it did when it was written.
    expect(Buffer.compare(second.batch.data, second.bytes)).toBe(0);
    expect(Buffer.compare(third.batch.data, third.bytes)).toBe(0);
    out.ack(second.batch.seq);
    out.ack(third.batch.seq);
    out.ack(single.batch.seq);
    // Three more joins, none acknowledged, take every buffer the pool holds: none is the single view's memory.
    let previous = single;
    for (let w = 0; w < 3; w++) {
      const from = 200 + w * 9;
      for (let k = 0; k < 3; k++) await buffer.append(batch(11 + w * 3 + k, from + k * 3, 3));
      previous.release();
      await writeCount(out.writes, 5 + w);
      previous = out.writes[4 + w]!;
      expect(numbers(previous.batch)).toEqual(range(from, from + 9));
      expect(previous.batch.data.buffer).not.toBe(single.batch.data.buffer);
    }
    expect(Buffer.compare(single.batch.data, single.bytes)).toBe(0);
    previous.release();
  });

  it('a quiet second lets the pooled buffers go: a burst\'s memory is not kept through an idle spell', async () => {
    // The clock is the test's: the linger's gap and "a second with nothing new" are exact, however slow the machine.
    vi.useFakeTimers();
    const buffer = new MemoryBuffer({ maxSize: 1 << 30, whenFull: 'block', onDurable: () => {} });
    const out = heldOutput();
    const delivery = new OutputDelivery(buffer, out.create, { maxEvents: 1000, maxBytes: 1 << 20, lingerMs: 100, recordOverhead: 0, idleGapMs: 50, inFlight: 2 }, silent);
    stop = () => delivery.stop();
    const until = async (n: number) => {
      for (let i = 0; i < 1000 && out.writes.length < n; i++) await vi.advanceTimersByTimeAsync(5);
    };
    try {
      for (let s = 1; s <= 3; s++) await buffer.append(batch(s, (s - 1) * 3, 3));
      delivery.start();
      await until(1);
      const first = out.writes[0]!;
      first.release();
      out.ack(first.batch.seq);
      await vi.advanceTimersByTimeAsync(1500);
      // Three batches within the linger's gap: one write, joined.
      for (let s = 4; s <= 6; s++) await buffer.append(batch(s, (s - 1) * 3, 3));
      await until(2);
      const second = out.writes[1]!;
      expect(numbers(second.batch)).toEqual(range(9, 18));
      expect(second.batch.data.buffer).not.toBe(first.batch.data.buffer);
    } finally {
      for (const w of out.writes) w.release();
    }
  });
});
