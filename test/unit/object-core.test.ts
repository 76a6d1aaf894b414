// The object core (outputs/objects/) through an in-memory backend defined here: routing, rollover,
// encoding and durability reporting. The real local-file backend is covered by file-output.test.ts.
import { eventBatch, texts } from '../support/records.js';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ObjectBackend, ObjectEnd, ObjectSink, ObjectStart } from '../../outputs/objects/backend.js';
import type { Compression } from '../../outputs/objects/compression.js';
import { ObjectOutput } from '../../outputs/objects/object-output.js';
import type { EventBatch, Output } from '../../src/output/contract.js';

const logger = pino({ level: 'silent' });
const DAY1 = Date.UTC(2024, 4, 1, 12, 0, 0);
const DAY2 = Date.UTC(2024, 4, 2, 8, 30, 0);

/** A promise settled from outside: the test decides when a sink call ends. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** One object in memory: every write as it arrived, and how much of it is durable. */
class MemoryObject implements ObjectSink {
  readonly writes: Buffer[] = [];
  /** The chunks of each write as the core handed them (views, not copies). */
  readonly chunks: (readonly Buffer[])[] = [];
  durableWrites = 0;
  state: 'open' | 'closed' | 'aborted' = 'open';
  end: ObjectEnd | undefined;

  constructor(
    readonly start: ObjectStart,
    private readonly store: MemoryStore,
  ) {}

  async write(chunks: readonly Buffer[], bytes: number): Promise<void> {
    if (this.state !== 'open') throw new Error(`write to a ${this.state} object`);
    const data = Buffer.concat(chunks);
    expect(data.length).toBe(bytes);
    const fault = this.store.failWrite?.(this);
    if (fault) throw fault;
    this.writes.push(data);
    this.chunks.push(chunks);
  }

  async sync(): Promise<boolean> {
    this.store.syncsStarted++;
    await this.store.syncGate?.promise;
    if (this.store.durableWhileOpen) this.durableWrites = this.writes.length;
    return this.store.durableWhileOpen;
  }

  async close(end: ObjectEnd): Promise<void> {
    this.end = end;
    await this.store.closeGate?.promise;
    this.durableWrites = this.writes.length;
    this.state = 'closed';
  }

  async abort(): Promise<void> {
    this.state = 'aborted';
  }

  /** The object's bytes, decoded. */
  text(): string {
    const all = Buffer.concat(this.writes);
    return (this.start.compression === 'gzip' ? gunzipSync(all) : all).toString('utf8');
  }

  get size(): number {
    return this.writes.reduce((n, w) => n + w.length, 0);
  }
}

class MemoryStore implements ObjectBackend {
  readonly objects: MemoryObject[] = [];
  /** false: like S3, an object is durable only once closed. */
  durableWhileOpen = true;
  syncGate: ReturnType<typeof deferred> | undefined;
  closeGate: ReturnType<typeof deferred> | undefined;
  failWrite: ((o: MemoryObject) => Error | undefined) | undefined;

  async start(): Promise<void> {}

  failOpen: Error | undefined;
  syncsStarted = 0;
  /** Each stop, with the states its objects were in then. */
  readonly stops: string[][] = [];

  stop(): void {
    this.stops.push(this.objects.map((o) => o.state));
  }

  async open(start: ObjectStart): Promise<ObjectSink> {
    if (this.failOpen) throw this.failOpen;
    const object = new MemoryObject(start, this);
    this.objects.push(object);
    return object;
  }

  /** Objects with their prefix, in creation order. */
  texts(): [string, string][] {
    return this.objects.map((o) => [o.start.prefix, o.text()]);
  }
}

interface Setup {
  prefix?: string;
  compression?: Compression;
  maxBytes?: number;
  maxAge?: number;
  syncInterval?: number;
  maxOpenObjects?: number;
  now?: () => number;
}

const outputs: Output[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.allSettled(outputs.splice(0).map((o) => o.close()));
});

function setup(s: Setup = {}) {
  const store = new MemoryStore();
  const durable: number[] = [];
  const out = new ObjectOutput(
    'mem',
    { logger, counters: { events: {}, requests: {} }, stateDir: '/nonexistent', onDurable: (seq) => durable.push(seq) },
    {
      label: 'memory output "mem"',
      layout: { prefix: s.prefix ?? '', compression: s.compression ?? 'none', object: { max_bytes: s.maxBytes ?? 64 * 1024 * 1024, max_age: s.maxAge ?? 3_600_000 }, max_open_objects: 16 },
      backend: store,
      syncInterval: s.syncInterval ?? 3_600_000,
      ...(s.now ? { now: s.now } : {}),
      ...(s.maxOpenObjects ? { maxOpenObjects: s.maxOpenObjects } : {}),
    },
  );
  outputs.push(out);
  return { out, store, durable };
}

let counter = 0;
/** A batch of `n` events at `times[i]` (default all DAY1), ids `<seq>-<i>`. */
function batch(seq: number, n: number, times?: readonly number[]): EventBatch {
  const t = times ?? Array.from({ length: n }, () => DAY1);
  const records = t.map((time) => JSON.stringify({ '@timestamp': Number.isFinite(time) && Math.abs(time) < 8.64e15 ? new Date(time).toISOString() : null, message: `event ${counter++} of batch ${seq} ü "q" \\ ${'x'.repeat(counter % 7)}` }));
  return eventBatch(seq, records, { times: t, ids: records.map((_, i) => `${seq}-${i}`) });
}

function lines(records: readonly string[]): string {
  return records.map((r) => `${r}\n`).join('');
}

describe('object core: routing', () => {
  it('routes each run of records to the object of its rendered prefix, starting objects at their first record', async () => {
    const { out, store } = setup({ prefix: 'app/%Y/%m/%d/' });
    await out.start();
    const b1 = batch(1, 5, [DAY1, DAY2, DAY2, DAY1, DAY2]);
    const b2 = batch(2, 2, [DAY2, DAY1]);
    await out.write(b1);
    await out.write(b2);
    await out.close();
    const t1 = texts(b1);
    const t2 = texts(b2);
    expect(store.texts()).toEqual([
      ['app/2024/05/01/', lines([t1[0]!, t1[3]!, t2[1]!])],
      ['app/2024/05/02/', lines([t1[1]!, t1[2]!, t1[4]!, t2[0]!])],
    ]);
    // What a store can name an object by, and the range of records it ends with.
    expect(store.objects.map((o) => [o.start.firstTime, o.start.firstSeq, o.start.firstEventId, o.end])).toEqual([
      [DAY1, 1, '1-0', { lastSeq: 2, lastEventId: '2-1', lastRecord: 2, rawBytes: Buffer.byteLength(lines([t1[0]!, t1[3]!, t2[1]!])) }],
      [DAY2, 1, '1-1', { lastSeq: 2, lastEventId: '2-0', lastRecord: 1, rawBytes: Buffer.byteLength(lines([t1[1]!, t1[2]!, t1[4]!, t2[0]!])) }],
    ]);
    expect(store.objects.map((o) => o.state)).toEqual(['closed', 'closed']);
  });

  it('files an event without a usable time under the clock’s prefix', async () => {
    const now = Date.UTC(2030, 0, 2, 3, 4, 5);
    const { out, store } = setup({ prefix: '%F/', now: () => now });
    await out.start();
    const b = batch(1, 3, [NaN, DAY1, 9e15]);
    await out.write(b);
    await out.close();
    const t = texts(b);
    expect(store.texts()).toEqual([
      ['2030-01-02/', lines([t[0]!, t[2]!])],
      ['2024-05-01/', lines([t[1]!])],
    ]);
    expect(store.objects[0]!.start.firstTime).toBe(now);
  });

  it('keeps at most maxOpenObjects open, closing the least recently used', async () => {
    const { out, store } = setup({ prefix: '%F/', maxOpenObjects: 2 });
    await out.start();
    const days = [0, 1, 0, 2, 3].map((d) => DAY1 + d * 86_400_000);
    const b = batch(1, 5, days);
    await out.write(b);
    await out.flush();
    // Day 0 was used again after day 1, so day 1 closed first when day 2 came, then day 0 for day 3.
    expect(store.objects.map((o) => [o.start.prefix, o.state])).toEqual([
      ['2024-05-01/', 'closed'],
      ['2024-05-02/', 'closed'],
      ['2024-05-03/', 'open'],
      ['2024-05-04/', 'open'],
    ]);
    await out.close();
    const t = texts(b);
    expect(store.texts().map(([, text]) => text)).toEqual([lines([t[0]!, t[2]!]), lines([t[1]!]), lines([t[3]!]), lines([t[4]!])]);
  });
});

describe('object core: rollover', () => {
  it('rolls over by size, counting stored bytes, every event once and in order', async () => {
    const { out, store } = setup({ maxBytes: 300 });
    await out.start();
    const all: string[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      const b = batch(seq, 2);
      all.push(...texts(b));
      await out.write(b);
    }
    await out.close();
    expect(store.objects.length).toBeGreaterThan(3);
    const biggestRun = 2 * (Math.max(...all.map((r) => Buffer.byteLength(r))) + 1);
    for (const o of store.objects) expect(o.size).toBeLessThan(300 + biggestRun);
    // Every object but the last reached the limit before it closed.
    for (const o of store.objects.slice(0, -1)) expect(o.size).toBeGreaterThanOrEqual(300);
    expect(store.objects.map((o) => o.text()).join('')).toBe(lines(all));
  });

  it('rolls gzip objects over by compressed size', async () => {
    const { out, store } = setup({ compression: 'gzip', maxBytes: 200 });
    await out.start();
    const all: string[] = [];
    for (let seq = 1; seq <= 8; seq++) {
      const b = batch(seq, 20);
      all.push(...texts(b));
      await out.write(b);
      await out.flush(); // compressed sizes are known once written out
    }
    await out.close();
    expect(store.objects.length).toBeGreaterThan(1);
    const raw = Buffer.byteLength(lines(all));
    // Compressed, fewer objects than the raw bytes would need.
    expect(store.objects.length).toBeLessThan(raw / 200);
    expect(store.objects.map((o) => o.text()).join('')).toBe(lines(all));
  });

  it('rolls over by age when the next record arrives, on the injected clock', async () => {
    let now = DAY1;
    const { out, store } = setup({ maxAge: 60_000, now: () => now });
    await out.start();
    const b1 = batch(1, 2);
    const b2 = batch(2, 2);
    const b3 = batch(3, 2);
    await out.write(b1);
    now += 59_999;
    await out.write(b2);
    now += 1;
    await out.write(b3);
    await out.flush();
    expect(store.objects.map((o) => [o.start.openedAt, o.state])).toEqual([
      [DAY1, 'closed'],
      [DAY1 + 60_000, 'open'],
    ]);
    expect(store.objects.map((o) => o.text())).toEqual([lines([...texts(b1), ...texts(b2)]), lines(texts(b3))]);
  });

  it('closes an idle object once it reaches max_age, from the timer, on the injected clock', async () => {
    vi.useFakeTimers();
    let now = DAY1;
    const { out, store, durable } = setup({ maxAge: 60_000, syncInterval: 1000, now: () => now });
    // Durable only once closed (like S3), so the report shows when the object closed.
    store.durableWhileOpen = false;
    await out.start();
    await out.write(batch(1, 2));
    now += 59_999;
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.objects.map((o) => o.state)).toEqual(['open']);
    expect(durable).toEqual([]);
    now += 1;
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.objects.map((o) => o.state)).toEqual(['closed']);
    expect(durable).toEqual([1]);
  });
});

/** Events with what JSON encoding makes hard: multi-byte UTF-8, escapes, U+2028, big and empty fields. */
function awkwardBatch(seq: number, n: number): EventBatch {
  const samples = ['', 'ü€😀', 'tab\tquote"backslash\\', '\u2028\u2029', 'x'.repeat(70_000), 'line\nbreak\r\n', '\u0000\u001f'];
  const records = Array.from({ length: n }, (_, i) => JSON.stringify({ '@timestamp': new Date(DAY1).toISOString(), message: samples[(seq + i) % samples.length], n: i, empty: {} }));
  return eventBatch(seq, records, { times: records.map(() => DAY1), ids: records.map((_, i) => `${seq}-${i}`) });
}

describe('object core: encoding', () => {
  it('stores NDJSON as views of the batch bytes, byte for byte', async () => {
    const { out, store } = setup();
    await out.start();
    const b = awkwardBatch(1, 10);
    await out.write(b);
    await out.flush();
    const [object] = store.objects;
    expect(Buffer.concat(object!.writes).equals(b.data)).toBe(true);
    // No copy on the way: the chunk handed to the store is the batch's own memory.
    expect(object!.chunks[0]![0]!.buffer).toBe(b.data.buffer);
  });

  it('writes one gzip member per write-out, each ending at a sync point and decoding to the exact input bytes', async () => {
    const { out, store } = setup({ compression: 'gzip' });
    await out.start();
    const rounds: Buffer[] = [];
    for (let round = 1; round <= 3; round++) {
      const bs = [awkwardBatch(round * 10, 7), awkwardBatch(round * 10 + 1, 5)];
      for (const b of bs) await out.write(b);
      rounds.push(Buffer.concat(bs.map((b) => b.data)));
      await out.flush();
    }
    await out.close();
    const [object] = store.objects;
    expect(object!.writes).toHaveLength(3);
    object!.writes.forEach((member, i) => expect(gunzipSync(member).equals(rounds[i]!), `member ${i}`).toBe(true));
    expect(gunzipSync(Buffer.concat(object!.writes)).equals(Buffer.concat(rounds))).toBe(true);
  });

  it('writes a member out before the sync point once a megabyte is buffered', async () => {
    const { out, store } = setup({ compression: 'gzip' });
    await out.start();
    const big = awkwardBatch(4, 20); // 20 records, every 7th 70 kB: over 1 MiB with the others
    const records: string[] = [];
    for (let i = 0; i < 16; i++) records.push(JSON.stringify({ m: 'y'.repeat(70_000), i }));
    const b = eventBatch(1, records, { times: records.map(() => DAY1), ids: records.map((_, i) => `1-${i}`) });
    await out.write(b);
    await out.write(big);
    // The first batch alone passed 1 MiB: written out as its own member without any sync.
    await vi.waitFor(() => expect(store.objects[0]?.writes.length).toBe(1), { timeout: 10_000 });
    await out.close();
    const members = store.objects[0]!.writes;
    expect(gunzipSync(members[0]!).equals(b.data)).toBe(true);
    expect(gunzipSync(Buffer.concat(members)).equals(Buffer.concat([b.data, big.data]))).toBe(true);
  });
});

describe('object core: durability', () => {
  it('reports a seq only after the store confirmed the sync that covers it, in order', async () => {
    const { out, store, durable } = setup({ prefix: '%F/' });
    await out.start();
    await out.write(batch(1, 3, [DAY1, DAY2, DAY1]));
    store.syncGate = deferred();
    const first = out.flush();
    await vi.waitFor(() => expect(store.syncsStarted).toBe(2));
    await out.write(batch(2, 2, [DAY2, DAY2]));
    // Both objects' syncs are held: nothing is reported yet.
    expect(durable).toEqual([]);
    const gate = store.syncGate;
    store.syncGate = undefined;
    gate.resolve();
    await first;
    // Batch 2 arrived while the sync was in flight: not covered by it.
    expect(durable).toEqual([1]);
    await out.flush();
    expect(durable).toEqual([1, 2]);
    await out.write(batch(3, 1));
    await out.close();
    expect(durable).toEqual([1, 2, 3]);
    expect(store.objects.every((o) => o.durableWrites === o.writes.length)).toBe(true);
  });

  it('with a store durable only on close, holds every seq back until each object holding it closed', async () => {
    const { out, store, durable } = setup({ prefix: '%F/', maxOpenObjects: 1 });
    store.durableWhileOpen = false;
    await out.start();
    await out.write(batch(1, 2, [DAY1, DAY1]));
    await out.flush();
    expect(durable).toEqual([]);
    // Day 2 takes the only open slot: day 1's object closes, and seq 1 with it.
    await out.write(batch(2, 2, [DAY2, DAY2]));
    await out.flush();
    expect(durable).toEqual([1]);
    await out.write(batch(3, 1, [DAY1]));
    await out.flush();
    expect(durable).toEqual([1, 2]);
    await out.close();
    expect(durable).toEqual([1, 2, 3]);
  });

  it('does not report past an older open object when a newer one closes', async () => {
    const { out, store, durable } = setup({ prefix: '%F/', maxBytes: 2000 });
    store.durableWhileOpen = false;
    await out.start();
    await out.write(batch(1, 1, [DAY1])); // day 1: small, stays open
    await out.write(batch(2, 30, Array.from({ length: 30 }, () => DAY2))); // day 2: past max_bytes, closes
    await out.flush();
    expect(store.objects.map((o) => o.state)).toEqual(['open', 'closed']);
    expect(durable).toEqual([]);
    store.closeGate = deferred();
    const closed = out.close();
    await new Promise((r) => setImmediate(r));
    // The close is still uploading: nothing reported before the store confirms.
    expect(durable).toEqual([]);
    store.closeGate.resolve();
    await closed;
    expect(durable).toEqual([2]);
  });

  it('keeps the first error: later writes, flushes and close reject with it, nothing more is reported, objects are released', async () => {
    const { out, store, durable } = setup({ prefix: '%F/' });
    await out.start();
    await out.write(batch(1, 2, [DAY1, DAY2]));
    await out.flush();
    expect(durable).toEqual([1]);
    const fault = new Error('disk on fire');
    store.failWrite = (o) => (o.start.prefix === '2024-05-02/' ? fault : undefined);
    await out.write(batch(2, 2, [DAY1, DAY2]));
    await expect(out.flush()).rejects.toBe(fault);
    store.failWrite = undefined;
    await expect(out.write(batch(3, 1, [DAY1]))).rejects.toBe(fault);
    await expect(out.flush()).rejects.toBe(fault);
    await expect(out.close()).rejects.toBe(fault);
    expect(durable).toEqual([1]);
    // The failed object is aborted, and so is the healthy one: its records replay from the buffer, and
    // completing it (an S3 upload) would store them twice.
    expect(store.objects.map((o) => [o.start.prefix, o.state])).toEqual([
      ['2024-05-01/', 'aborted'],
      ['2024-05-02/', 'aborted'],
    ]);
    expect(store.objects[0]!.end).toBeUndefined();
  });

  it('a store that cannot open an object fails the output with its error', async () => {
    const { out, store, durable } = setup();
    await out.start();
    store.failOpen = new Error('bucket gone');
    await out.write(batch(1, 1));
    await expect(out.flush()).rejects.toThrow('bucket gone');
    await expect(out.write(batch(2, 1))).rejects.toThrow('bucket gone');
    await expect(out.close()).rejects.toThrow('bucket gone');
    expect(durable).toEqual([]);
  });
});

describe('object core: backend lifecycle', () => {
  it('stops the backend once, after close, once every object settled, after a failure too', async () => {
    const { out, store } = setup({ prefix: '%F/' });
    await out.start();
    store.closeGate = deferred();
    await out.write(batch(1, 2, [DAY1, DAY2]));
    const closed = out.close();
    await vi.waitFor(() => expect(store.objects.every((o) => o.end !== undefined)).toBe(true));
    expect(store.stops).toEqual([]);
    store.closeGate.resolve();
    await closed;
    await out.close();
    expect(store.stops).toEqual([['closed', 'closed']]);

    const failing = setup();
    await failing.out.start();
    failing.store.failWrite = () => new Error('bucket gone');
    await failing.out.write(batch(2, 1));
    await expect(failing.out.close()).rejects.toThrow('bucket gone');
    expect(failing.store.stops).toEqual([['aborted']]);
  });
});
