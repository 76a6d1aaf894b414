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

const silent = pino({ level: 'silent' });

/** An output that records its writes and reports each durable at once. */
function recordingOutput(onDurable: (seq: number) => void, writes: EventBatch[]): Output {
  return {
    name: 'rec',
    start: async () => {},
    write: async (b) => {
      writes.push(b);
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
