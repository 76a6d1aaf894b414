import { eventBatch, texts } from '../support/records.js';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStdoutOutput } from '../../outputs/stdout/index.js';
import type { EventBatch } from '../../src/output/contract.js';

const logger = pino({ level: 'silent' });
const config = { name: 'out', type: 'stdout' as const };

afterEach(() => {
  vi.restoreAllMocks();
});

function batch(seq: number, n: number, size = 10): EventBatch {
  const records = Array.from({ length: n }, (_, i) => JSON.stringify({ seq, i, pad: 'p'.repeat(size) }));
  return eventBatch(seq, records, { ids: records.map((_, i) => `${seq}-${i}`) });
}

function ndjson(...batches: EventBatch[]): string {
  return batches.flatMap((b) => texts(b).map((r) => `${r}\n`)).join('');
}

/** A stream whose writes complete only when the test says so. */
function heldStream(highWaterMark: number) {
  const chunks: string[] = [];
  const held: Array<(err?: Error | null) => void> = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      held.push(cb);
    },
  });
  const releaseAll = (err?: Error) => {
    for (const cb of held.splice(0)) cb(err ?? null);
  };
  return { stream, chunks, held, releaseAll };
}

function setup(stream?: Writable) {
  const durable: number[] = [];
  const out = createStdoutOutput(config, { logger, counters: { events: {}, requests: {} }, stateDir: tmpdir(), onDurable: (s) => durable.push(s) }, stream ? { stream } : undefined);
  return { out, durable };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('stdout output', () => {
  it('writes NDJSON and reports each batch durable after its write callback', async () => {
    const { stream, chunks, releaseAll } = heldStream(1 << 20);
    const { out, durable } = setup(stream);
    await out.start();
    const b1 = batch(1, 3);
    const b2 = batch(2, 2);
    await out.write(b1);
    await out.write(b2);
    await tick();
    expect(durable).toEqual([]); // callbacks not fired yet
    releaseAll();
    await tick();
    releaseAll();
    await out.flush();
    expect(durable).toEqual([1, 2]);
    expect(chunks.join('')).toBe(ndjson(b1, b2));
  });

  it('waits for drain when the stream is full', async () => {
    const { stream, releaseAll } = heldStream(64);
    const { out, durable } = setup(stream);
    await out.start();
    let resolved = false;
    const w = out.write(batch(1, 10)).then(() => (resolved = true));
    for (let i = 0; i < 5; i++) await tick();
    expect(resolved).toBe(false);
    expect(durable).toEqual([]);
    releaseAll();
    await w;
    expect(durable).toEqual([1]);
  });

  it('reports empty batches in order with the others', async () => {
    const { stream, releaseAll } = heldStream(1 << 20);
    const { out, durable } = setup(stream);
    await out.start();
    await out.write(batch(1, 1));
    await out.write(eventBatch(2, []));
    await out.write(batch(3, 1));
    expect(durable).toEqual([]);
    releaseAll();
    await tick();
    releaseAll();
    await out.flush();
    expect(durable).toEqual([1, 2, 3]);
  });

  it('turns a write error into a rejection naming EPIPE, without an uncaught error', async () => {
    // The write is accepted first and fails later, while nothing waits for
    // 'drain': only the output's own 'error' listener stands between the
    // stream's 'error' event and an uncaught exception.
    const { stream, releaseAll } = heldStream(1 << 20);
    const { out, durable } = setup(stream);
    await out.start();
    await out.write(batch(1, 1));
    releaseAll(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await tick();
    await expect(out.flush()).rejects.toThrow(/stdout output "out": cannot write to stdout: write EPIPE \(the reading end of stdout was closed\)/);
    await expect(out.write(batch(2, 1))).rejects.toThrow(/EPIPE/);
    await expect(out.close()).rejects.toThrow(/EPIPE/);
    expect(durable).toEqual([]);
  });

  it('rejects a write that fails synchronously', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const { out } = setup(stream);
    await out.start();
    await expect(out.write(batch(1, 1))).rejects.toThrow(/EPIPE/);
  });

  it('rejects with EPIPE when a real reader closes the pipe', async () => {
    // The reader closes its end but stays alive, so the kernel answers EPIPE.
    const child = spawn('sh', ['-c', 'exec 0<&-; echo closed; sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      await once(child.stdout, 'data');
      const { out, durable } = setup(child.stdin);
      await out.start();
      let err: unknown;
      for (let seq = 1; seq < 100 && err === undefined; seq++) {
        try {
          await out.write(batch(seq, 10, 1000));
          await out.flush();
        } catch (e) {
          err = e;
        }
      }
      expect(String(err)).toMatch(/stdout output "out": cannot write to stdout: .*EPIPE.*\(the reading end of stdout was closed\)/);
      expect(durable).toEqual([]);
    } finally {
      child.kill();
    }
  });

  it('rejects when the stream was destroyed (a reader process that exited)', async () => {
    const child = spawn('true', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    await once(child, 'exit'); // Node destroys child.stdin on exit
    const { out } = setup(child.stdin);
    await out.start();
    await expect(out.write(batch(1, 1))).rejects.toThrow(/cannot write to stdout: the stream is closed/);
  });

  it('delivers everything through a real pipe with backpressure', async () => {
    const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
    let received = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (received += d));
    const { out, durable } = setup(child.stdin);
    await out.start();
    const batches = Array.from({ length: 50 }, (_, i) => batch(i + 1, 100, 200)); // ~1.2 MB, over the pipe buffer
    for (const b of batches) await out.write(b);
    await out.close();
    child.stdin.end();
    await once(child, 'exit');
    expect(received).toBe(ndjson(...batches));
    expect(durable.at(-1)).toBe(50);
  });

  it('writes to process.stdout by default', async () => {
    const seen: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string, cb?: (err?: Error | null) => void) => {
      seen.push(chunk);
      process.nextTick(() => cb?.(null));
      return true;
    }) as typeof process.stdout.write);
    const { out, durable } = setup();
    await out.start();
    const b = batch(1, 2);
    await out.write(b);
    await out.close();
    expect(seen.join('')).toBe(ndjson(b));
    expect(durable).toEqual([1]);
  });

  it('close is idempotent, leaves the stream open, and later writes reject', async () => {
    const { stream, releaseAll } = heldStream(1 << 20);
    const { out } = setup(stream);
    await out.start();
    const w = out.write(batch(1, 1));
    await w;
    const closing = Promise.all([out.close(), out.close()]);
    releaseAll();
    await closing;
    await out.close();
    expect(stream.writableEnded).toBe(false);
    expect(stream.listenerCount('error')).toBe(0);
    await expect(out.write(batch(2, 1))).rejects.toThrow(/write after close/);
  });
});
