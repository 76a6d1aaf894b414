// Issue 11's property test: random events (unicode, escapes, big and empty
// fields, nested objects, a data_stream field in some) are encoded once by the
// real EventEncoder, and the bytes each output hands on are the encoder's bytes:
// through a DiskBuffer and a MemoryBuffer, the real OutputDelivery loop, and
// each output (stdout, file plain and gzip, Elasticsearch index and data stream
// through the real client and test/support/es-server.ts); and across a restart
// of a disk buffer (closed, or abandoned as a crash would leave it). No
// JSON.parse or JSON.stringify touches an event's text on the way out.
//
// Deterministic: one seeded PRNG builds the events. Batching in the delivery
// loop depends on timing; the bytes out never do, and nothing here waits for
// anything but a state (every record acknowledged, the ack file written).
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { elasticsearchOutputSchema } from '../../outputs/elasticsearch/config.js';
import { elasticsearchOutput } from '../../outputs/elasticsearch/definition.js';
import { ElasticsearchOutput } from '../../outputs/elasticsearch/index.js';
import { fileOutputSchema } from '../../outputs/file/config.js';
import { createFileOutput } from '../../outputs/file/index.js';
import { stdoutOutputSchema } from '../../outputs/stdout/config.js';
import { createStdoutOutput } from '../../outputs/stdout/index.js';
import type { ChainRecord } from '../../parsers/chain.js';
import { readAck } from '../../src/buffer/ack-file.js';
import { DiskBuffer } from '../../src/buffer/disk-buffer.js';
import { MemoryBuffer } from '../../src/buffer/memory-buffer.js';
import { encodeRecords, segmentFirstId } from '../../src/buffer/segment-format.js';
import type { OutputBuffer } from '../../src/buffer/types.js';
import { eventKey } from '../../src/event/event-id.js';
import type { BatchLimits, EventBatch, Output, OutputContext } from '../../src/output/contract.js';
import { recordJson, recordsFromJson } from '../../src/output/record-batch.js';
import { EventEncoder } from '../../src/pipeline/event-encoder.js';
import { OutputDelivery } from '../../src/pipeline/delivery.js';
import { EsServer } from '../support/es-server.js';
import { capturing, type LogLine } from '../support/log-capture.js';
import { sleep } from '../support/logship-process.js';
import { prng } from '../support/prng.js';

const SEED = 0x0b17e5;
/**
 * In every event's JSON and nowhere else: a JSON call whose text holds it touched an event.
 * Built at run time, so this file's source (and its source map, parsed when a stack is formatted) does not hold it.
 */
const MARK = ['bytes', 'roundtrip', SEED.toString(36)].join('\u2603');
const SOURCE = { path: '/var/log/bytes.log', key: eventKey('bytes-roundtrip') };
/** Above the segment reader's 1 MiB read chunk (src/buffer/segment-reader.ts). */
const HUGE_CHARS = 1_300_000;
/** Small batches for the local outputs, so takes cut encoder batches and span several of them. */
const LOCAL_TEST_LIMITS: BatchLimits = { maxEvents: 13, maxBytes: 256 * 1024, lingerMs: 0, recordOverhead: 0, idleGapMs: 50, inFlight: 1 };

// ---------------------------------------------------------------- random events

/** Pieces of text that stress JSON and UTF-8: multibyte, astral, lone surrogates, separators, controls, escapes. */
const ATOMS = [
  'a', 'Z', '0', ' ', 'é', 'ß', 'Ω', 'ж', '日', '本', '€', '\u2028', '\u2029', '\ufeff', '\uffff', '\u0085',
  '🎉', '𝄞', '👩‍👩‍👧', '\ud83d', '\ude00', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u0000', '\u0001', '\u001f', '\u007f',
  '{', '}', '[', ']', ':', ',', '\\u0041', '</script>',
];
/** Only in values: a key ending in `"data_stream` is a separate case (see the data-stream splice test below). */
const VALUE_ATOMS = [...ATOMS, 'data_stream', '"data_stream":', 'data_stream":{'];

interface Generated {
  readonly events: Record<string, unknown>[];
  readonly times: number[];
}

function generate(seed: number, count: number): Generated {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const text = (atoms: readonly string[], max: number) => Array.from({ length: int(max + 1) }, () => pick(atoms)).join('');
  const big = (chars: number) => {
    const block = Array.from({ length: 4096 }, () => pick(VALUE_ATOMS)).join('');
    const parts: string[] = [];
    for (let n = 0; n < chars; n += block.length + 2) parts.push(block, pick(VALUE_ATOMS));
    return parts.join('');
  };
  const scalars: unknown[] = ['', {}, [], null, true, false, 0, -0, 1.5e300, -1e-7, 2 ** 53 + 2, 123456789, 0.1];
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth > 4 || r < 0.4) return text(VALUE_ATOMS, 10);
    if (r < 0.55) return pick(scalars);
    if (r < 0.7) return Array.from({ length: int(4) }, () => value(depth + 1));
    return object(depth + 1);
  };
  const object = (depth: number): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (let k = int(5); k > 0; k--) o[text(ATOMS, 3)] = value(depth);
    return o;
  };
  const events: Record<string, unknown>[] = [];
  const times: number[] = [];
  const bigAt = new Set([int(count), int(count), int(count)]);
  const hugeAt = int(count);
  for (let i = 0; i < count; i++) {
    const e = object(0);
    const time = Date.UTC(2024, 0, 1) + int(2 * 365 * 86_400_000);
    e['@timestamp'] = new Date(time).toISOString();
    e.message = rand() < 0.1 ? '' : text(VALUE_ATOMS, 30);
    e.mark = `${MARK}-${i}`;
    if (rand() < 0.2) e.data_stream = rand() < 0.5 ? { dataset: text(VALUE_ATOMS, 4) } : {};
    else if (rand() < 0.1) e.labels = { data_stream: text(VALUE_ATOMS, 4) };
    if (rand() < 0.1) e.empty = {};
    if (bigAt.has(i)) e.big = big(100_000 + int(300_000));
    if (i === hugeAt) e.huge = big(HUGE_CHARS);
    events.push(e);
    // Some events carry no usable time (NaN travels in the frame's f64 and picks no index).
    times.push(rand() < 0.05 ? Number.NaN : time);
  }
  return { events, times };
}

/** The events through the real encoder, in encoder batches of random sizes (one of them empty). */
function encode(seed: number, count: number): EventBatch[] {
  const { events, times } = generate(seed, count);
  const rand = prng(seed + 1);
  const encoder = new EventEncoder({ 'service.name': 'bytes' }, 'host-1', () => {
    throw new Error('an event of the property test could not be encoded');
  });
  const batches: EventBatch[] = [];
  let offset = 0;
  let seq = 1;
  for (let at = 0; at < events.length; ) {
    const n = seq === 3 ? 0 : 1 + Math.floor(rand() * 40);
    const recs: ChainRecord[] = events.slice(at, at + n).map((event, k) => {
      const rec: ChainRecord = { source: SOURCE, offset, event, time: times[at + k]!, text: '' };
      offset += 100 + Math.floor(rand() * 1000);
      return rec;
    });
    batches.push({ seq: seq++, ...encoder.encodeBatch(recs, SOURCE) });
    at += recs.length;
  }
  return batches;
}

// ---------------------------------------------------------------- byte checks

/** Fails with the first differing offset and what is around it, not a dump of megabytes. */
function expectSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const around = (b: Buffer) => b.subarray(Math.max(0, at - 32), at + 32).toString('hex');
  throw new Error(
    `${what}: bytes differ at offset ${at} (got ${actual.length} bytes, expected ${expected.length})\n` +
      `  got      …${around(actual)}…\n  expected …${around(expected)}…`,
  );
}

interface Expected {
  /** The encoder's NDJSON, all batches in order (a copy: nothing downstream may change it). */
  readonly ndjson: Buffer;
  /** Each record's JSON without its newline, and its event id. */
  readonly records: { json: Buffer; id: string }[];
}

function expectedOf(batches: readonly EventBatch[]): Expected {
  const records: { json: Buffer; id: string }[] = [];
  for (const b of batches) for (let i = 0; i < b.count; i++) records.push({ json: Buffer.from(recordJson(b, i)), id: b.ids[i]! });
  return { ndjson: Buffer.concat(batches.map((b) => b.data)), records };
}

// ---------------------------------------------------------------- no JSON on the way out

interface JsonWatch {
  /** JSON calls on an event's text from anywhere but the test server (which plays Elasticsearch). */
  readonly offenders: string[];
  /** The test server's calls on an event's text: proof the spies see calls at all. */
  serverCalls: number;
  restore(): void;
}

/** The first stack frame outside this file and node_modules: who made the JSON call. */
function callerOf(stack: string): string {
  const frames = stack.split('\n').slice(1);
  return frames.find((f) => !f.includes('bytes-roundtrip.test.ts') && !f.includes('/node_modules/'))?.trim() ?? '(unknown)';
}

function watchJson(): JsonWatch {
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const watch: JsonWatch = {
    offenders: [],
    serverCalls: 0,
    restore: () => {
      parseSpy.mockRestore();
      stringifySpy.mockRestore();
    },
  };
  let inside = false;
  const seen = (fn: string) => {
    if (inside) return;
    inside = true;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    // Formatting the stack may parse source maps: those calls are the spy's own, not the code's under test.
    const caller = callerOf(new Error().stack ?? '');
    Error.stackTraceLimit = limit;
    inside = false;
    if (caller.includes('/test/support/es-server.ts')) watch.serverCalls++;
    else watch.offenders.push(`${fn} on an event's text, ${caller}`);
  };
  const parseSpy = vi.spyOn(JSON, 'parse').mockImplementation(((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    if (String(text).includes(MARK)) seen('JSON.parse');
    return parse(text, reviver);
  }) as typeof JSON.parse);
  const stringifySpy = vi.spyOn(JSON, 'stringify').mockImplementation(((value: unknown, replacer?: never, space?: string | number) => {
    const out = stringify(value, replacer, space) as string | undefined;
    if (typeof out === 'string' && out.includes(MARK)) seen('JSON.stringify');
    return out;
  }) as typeof JSON.stringify);
  return watch;
}

// ---------------------------------------------------------------- buffers, outputs, the loop

const dirs: string[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'logship-bytes-'));
  dirs.push(d);
  return d;
}

async function waitUntil(what: string, done: () => boolean | Promise<boolean>, lines: LogLine[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
    await sleep(10);
  }
}

type BufferKind = 'disk' | 'memory';

function diskBuffer(dir: string, logger: OutputContext['logger'], segmentSize: number): DiskBuffer {
  return new DiskBuffer({ dir, maxSize: 256 * 1024 * 1024, whenFull: 'block', syncInterval: 20, segmentSize, logger, onDurable: () => {} });
}

async function openBuffer(kind: BufferKind, logger: OutputContext['logger']): Promise<OutputBuffer> {
  // 1 MiB segments: the records cross several, and the huge one has a segment of its own.
  const buffer = kind === 'disk' ? diskBuffer(tempDir(), logger, 1024 * 1024) : new MemoryBuffer({ maxSize: 256 * 1024 * 1024, whenFull: 'block', onDurable: () => {} });
  await buffer.open();
  cleanups.push(() => buffer.close());
  return buffer;
}

type MakeOutput = (ctx: OutputContext) => Output;

/**
 * Appends every batch to `buffer` and runs the real delivery loop into the
 * output until every record is acknowledged, with JSON watched from the first
 * append (after the encoder) to the output's close.
 */
async function deliver(buffer: OutputBuffer, appended: readonly EventBatch[], make: MakeOutput, limits: BatchLimits, log: { logger: OutputContext['logger']; lines: LogLine[] }): Promise<JsonWatch> {
  const ctxOf = (onDurable: (seq: number) => void): OutputContext => ({ logger: log.logger, counters: { events: {}, requests: {} }, stateDir: tempDir(), onDurable });
  const delivery = new OutputDelivery(buffer, (onDurable) => make(ctxOf(onDurable)), limits, log.logger);
  const watch = watchJson();
  try {
    delivery.start();
    for (const b of appended) await buffer.append(b);
    await waitUntil('every record acknowledged', () => buffer.drained, log.lines);
  } finally {
    // Stopped whatever happened: the output's close (its last writes and syncs) is on the way out too.
    await delivery.stop();
    watch.restore();
  }
  // A rebuilt output would resend: the byte checks would see copies, this says why.
  expect(log.lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  return watch;
}

/** A stdout stand-in: keeps the chunks it is given (references, not copies: a reused buffer would show). */
class Capture extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Copied, as a write to a real fd leaves the bytes in the kernel: once acknowledged, a batch's memory is reused.
    this.chunks.push(Buffer.from(chunk));
    setImmediate(cb);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function stdoutMaker(stream: Capture): MakeOutput {
  const config = { ...stdoutOutputSchema.parse({ type: 'stdout' }), name: 'stdout' };
  return (ctx) => createStdoutOutput(config, ctx, { stream });
}

/** The objects' bytes in name order (creation stamps sort), gzip members undone. */
function objectBytes(root: string): Buffer {
  const names = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
  expect(names.length).toBeGreaterThan(0);
  return Buffer.concat(names.map((n) => (n.endsWith('.gz') ? gunzipSync(readFileSync(join(root, n))) : readFileSync(join(root, n)))));
}

// ---------------------------------------------------------------- the tests

const batches = encode(SEED, 150);
const expected = expectedOf(batches);

describe('bytes end to end: every output hands on the encoder\'s bytes', () => {
  it('the generated events cover what the property is about', () => {
    const all = expected.ndjson.toString('utf8');
    expect(expected.records).toHaveLength(150);
    expect(batches.some((b) => b.count === 0)).toBe(true);
    expect(Math.max(...expected.records.map((r) => r.json.length))).toBeGreaterThan(1024 * 1024);
    expect(expected.records.filter((r) => r.json.length > 100 * 1024).length).toBeGreaterThanOrEqual(3);
    for (const escaped of ['\\ud83d', '\\ude00', '\\u0000', '\\u001f', '\\"', '\\\\', '\\n', '{}', '[]', '""']) expect(all).toContain(escaped);
    for (const raw of ['\u2028', '\u2029', '🎉', '日', 'é', '\u007f']) expect(all).toContain(raw);
    expect(expected.records.filter((r) => r.json.includes('"data_stream":')).length).toBeGreaterThan(10);
    // One encoded line per record: no raw newline inside any JSON.
    expect(expected.records.every((r) => !r.json.includes(0x0a))).toBe(true);
  });

  describe.each<BufferKind>(['disk', 'memory'])('through a %s buffer and the delivery loop', (kind) => {
    it('stdout: the written bytes are the encoder\'s NDJSON', async () => {
      const log = capturing();
      const stream = new Capture({ highWaterMark: 64 * 1024 });
      const buffer = await openBuffer(kind, log.logger);
      const watch = await deliver(buffer, batches, stdoutMaker(stream), LOCAL_TEST_LIMITS, log);
      expectSameBytes(stream.bytes, expected.ndjson, `stdout via ${kind}`);
      expect(watch.offenders).toEqual([]);
    });

    it.each(['none', 'gzip'] as const)('file, compression %s: the objects read back are the encoder\'s NDJSON', async (compression) => {
      const log = capturing();
      const root = tempDir();
      const config = { ...fileOutputSchema.parse({ type: 'file', path: root, compression, sync_interval: '20ms', object: { max_bytes: '1MiB' } }), name: 'file' };
      const buffer = await openBuffer(kind, log.logger);
      const watch = await deliver(buffer, batches, (ctx) => createFileOutput(config, ctx), LOCAL_TEST_LIMITS, log);
      expectSameBytes(objectBytes(root), expected.ndjson, `file (${compression}) via ${kind}`);
      expect(watch.offenders).toEqual([]);
    });
  });
});

describe('bytes end to end: Elasticsearch (real client, test server)', () => {
  let server: EsServer;
  beforeAll(async () => {
    server = await EsServer.start();
  });
  afterAll(async () => {
    await server.close();
  });

  /** Every document line the server received for `index`, by the `_id` of its action line (all copies). */
  function sentDocuments(index: string): Map<string, Buffer[]> {
    const out = new Map<string, Buffer[]>();
    for (const r of server.requests) {
      if (!r.path.endsWith('/_bulk') || r.status !== 200) continue;
      const body = r.decoded;
      expect(body.at(-1)).toBe(0x0a);
      let at = 0;
      const line = () => {
        const nl = body.indexOf(0x0a, at);
        const l = body.subarray(at, nl);
        at = nl + 1;
        return l;
      };
      while (at < body.length) {
        const action = JSON.parse(line().toString('utf8')) as { create: { _index: string; _id: string } };
        const doc = line();
        if (action.create._index !== index) continue;
        const copies = out.get(action.create._id) ?? [];
        copies.push(doc);
        out.set(action.create._id, copies);
      }
    }
    return out;
  }

  async function ship(kind: BufferKind, over: Record<string, unknown>, events: readonly EventBatch[] = batches): Promise<JsonWatch> {
    const log = capturing();
    const config = {
      ...elasticsearchOutputSchema.parse({
        type: 'elasticsearch',
        hosts: server.url,
        retry: { initial_backoff: '5ms', max_backoff: '20ms' },
        batch: { max_bytes: '512KiB', timeout: '20ms' },
        ...over,
      }),
      name: 'es',
    };
    const buffer = await openBuffer(kind, log.logger);
    return deliver(buffer, events, (ctx) => new ElasticsearchOutput(config, ctx), elasticsearchOutput.limits(config), log);
  }

  /** Each record's document as sent: every copy (a retry may resend) is `expectedDoc` of the encoder's bytes. */
  function expectDocuments(index: string, expectedDoc: (json: Buffer) => Buffer, want: Expected = expected): void {
    const sent = sentDocuments(index);
    expect(sent.size).toBe(want.records.length);
    for (const [i, r] of want.records.entries()) {
      const copies = sent.get(r.id);
      if (copies === undefined) throw new Error(`record ${i} (_id ${r.id}) was never sent to ${index}`);
      for (const doc of copies) expectSameBytes(doc, expectedDoc(r.json), `${index}: record ${i}'s document`);
    }
    expect(server.count(index)).toBe(want.records.length);
  }

  /** `json` as the data stream `namespace` must receive it: the fields spliced before the last `}`, unless it has the key. */
  const withFields = (namespace: string) => {
    const fields = Buffer.from(`"data_stream":{"type":"logs","dataset":"bytes","namespace":"${namespace}"}`);
    return (json: Buffer) =>
      hasDataStreamKey(json) ? json : Buffer.concat([json.subarray(0, json.length - 1), json.length > 2 ? Buffer.from(',') : Buffer.alloc(0), fields, Buffer.from('}')]);
  };

  describe.each<BufferKind>(['disk', 'memory'])('through a %s buffer and the delivery loop', (kind) => {
    it('an index (gzip bodies): each document line is the encoder\'s record', async () => {
      const index = `bytes-${kind}`;
      const watch = await ship(kind, { index, compression: 'gzip' });
      expectDocuments(index, (json) => json);
      expect(watch.offenders).toEqual([]);
      // The spies see calls: the server (Elasticsearch's side) parses every document it stores.
      expect(watch.serverCalls).toBeGreaterThanOrEqual(expected.records.length);
    });

    it('a data stream (plain bodies): the encoder\'s record, with the data_stream fields spliced before the last } unless it has the key', async () => {
      const watch = await ship(kind, { data_stream: { dataset: 'bytes', namespace: kind }, compression: 'none' });
      expectDocuments(`logs-bytes-${kind}`, withFields(kind));
      expect(watch.offenders).toEqual([]);
    });
  });

  // A real key's opening quote follows `{` or `,`; a key that only ends in `"data_stream` holds the text but is not the key.
  it('a key that only ends in "data_stream (an escaped quote before it) is no data_stream key: the fields are spliced', async () => {
    const events = [{ 'x"data_stream': 1 }, { '"data_stream': {} }, { labels: { 'a"data_stream': 'b' } }, { labels: { data_stream: 'own' } }];
    const encoder = new EventEncoder({}, 'host-1', () => {
      throw new Error('unencodable');
    });
    const time = Date.UTC(2025, 0, 1);
    const recs: ChainRecord[] = events.map((e, i) => ({ source: SOURCE, offset: i, event: { '@timestamp': new Date(time).toISOString(), mark: `${MARK}-q${i}`, ...e }, time, text: '' }));
    const quoted = [{ seq: 1, ...encoder.encodeBatch(recs, SOURCE) }];
    const want = expectedOf(quoted);
    expect(want.records.map((r) => hasDataStreamKey(r.json))).toEqual([false, false, false, true]);
    await ship('memory', { data_stream: { dataset: 'bytes', namespace: 'quoted' } }, quoted);
    expectDocuments('logs-bytes-quoted', withFields('quoted'), want);
  });
});

/** Whether the document has a `data_stream` key at any depth (the output's rule), decided on the parsed JSON. */
function hasDataStreamKey(json: Buffer): boolean {
  const walk = (v: unknown): boolean =>
    Array.isArray(v) ? v.some(walk) : typeof v === 'object' && v !== null ? Object.entries(v).some(([k, x]) => k === 'data_stream' || walk(x)) : false;
  return walk(JSON.parse(json.toString('utf8')));
}

describe('bytes end to end: a disk buffer across a restart', () => {
  /** Appends everything, takes and acknowledges the first `acked` records (waiting for the ack file to say so). */
  async function fill(dir: string, log: ReturnType<typeof capturing>, acked: number): Promise<DiskBuffer> {
    // One 8 MiB segment: all of it is the last segment, scanned at open after a crash, in 1 MiB chunks.
    const a = diskBuffer(dir, log.logger, 8 * 1024 * 1024);
    await a.open();
    for (const b of batches) await a.append(b);
    await a.flush();
    let taken = 0;
    while (taken < acked) {
      const t = await a.take(acked - taken, Number.MAX_SAFE_INTEGER);
      if (t === null) throw new Error('take ended early');
      taken += t.count;
      a.ack(t.lastId);
    }
    await waitUntil('the ack position on disk', async () => (await readAck(dir)).ack?.acked_id === acked - 1, log.lines);
    return a;
  }

  /** Reopens the directory and delivers what is left to a stdout capture through the loop. */
  async function replay(dir: string, log: ReturnType<typeof capturing>, acked: number): Promise<void> {
    const b = diskBuffer(dir, log.logger, 8 * 1024 * 1024);
    await b.open();
    cleanups.push(() => b.close());
    const stream = new Capture();
    const watch = await deliver(b, [], stdoutMaker(stream), LOCAL_TEST_LIMITS, log);
    const rest = Buffer.concat(expected.records.slice(acked).flatMap((r) => [r.json, Buffer.from('\n')]));
    expectSameBytes(stream.bytes, rest, `replay after the restart (records ${acked}…)`);
    expect(watch.offenders).toEqual([]);
    expect(b.stats()).toMatchObject({ lostRecords: 0, quarantinedPlaces: 0 });
  }

  it('closed and reopened: the records not acknowledged come out as the encoder made them', async () => {
    const dir = tempDir();
    const log = capturing();
    const a = await fill(dir, log, 41);
    await a.close();
    await replay(dir, log, 41);
  });

  it('abandoned without close (a crash, with a torn record at the end): reopened, the rest comes out as the encoder made them', async () => {
    const dir = tempDir();
    const log = capturing();
    const a = await fill(dir, log, 23);
    // The crash tore the next append: half of one more record's frame at the end of the last segment.
    const segments = readdirSync(dir).filter((n) => segmentFirstId(n) !== undefined).sort();
    const torn = encodeRecords(expected.records.length, recordsFromJson(['{"torn":true}'], [0], ['torn']));
    appendFileSync(join(dir, segments.at(-1)!), torn.subarray(0, torn.length >> 1));
    try {
      await replay(dir, log, 23);
      expect(log.lines.some((l) => String(l.msg).startsWith('buffer: torn record at the end of the last segment'))).toBe(true);
    } finally {
      // Released only now, as the dead process's descriptors would have been.
      await a.close();
    }
  });
});
