// The elasticsearch output reuses its request bodies (src/util/buffer-pool.ts):
// a body may be given back only once its request stopped reading it. A server
// (or proxy) can answer before it has read the body; the body it then reads
// must still be the one that was sent, not the next batch's.
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { elasticsearchOutputSchema } from '../../outputs/elasticsearch/config.js';
import { ElasticsearchOutput } from '../../outputs/elasticsearch/index.js';
import { until } from '../support/admin.js';
import { capturing } from '../support/log-capture.js';
import { eventBatch } from '../support/records.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => {});
});

function batch(seq: number, from: number, n: number, padding: number) {
  const ids = Array.from({ length: n }, (_, i) => (from + i).toString(16).padStart(28, '0'));
  const time = Date.UTC(2024, 4, 1);
  const pad = 'x'.repeat(padding);
  return eventBatch(seq, ids.map((id, i) => JSON.stringify({ '@timestamp': new Date(time).toISOString(), message: `line-${from + i}`, pad, event: { id } })), { ids, times: ids.map(() => time) });
}

/** The messages of a bulk body's documents, in order; throws on a line that is not JSON. */
function messages(body: Buffer): string[] {
  const lines = body.toString('utf8').split('\n');
  expect(lines.pop()).toBe('');
  return lines.filter((_, i) => i % 2 === 1).map((l) => (JSON.parse(l) as { message: string }).message);
}

/** An HTTP/1.1 answer with a JSON body, kept alive. */
function answer(body: unknown): string {
  const text = JSON.stringify(body);
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
}

/**
 * A raw TCP server speaking just enough HTTP for the output (Node's own server
 * discards a body left unread once the answer is sent): GET / and _bulk.
 * `early(n)`: the item count to answer bulk n with as soon as its headers
 * arrive, or undefined to answer once its body is read.
 */
function rawEs(early: (n: number) => number | undefined, onBulk: (n: number, socket: Socket) => void, bodies: Map<number, Buffer>): net.Server {
  let bulks = 0;
  return net.createServer((socket) => {
    let head = Buffer.alloc(0);
    let request: { n: number; length: number; answered: boolean; chunks: Buffer[]; got: number } | undefined;
    socket.on('data', (chunk: Buffer) => {
      while (chunk.length > 0) {
        if (request === undefined) {
          head = Buffer.concat([head, chunk]);
          const headEnd = head.indexOf('\r\n\r\n');
          if (headEnd === -1) return;
          const text = head.subarray(0, headEnd).toString('latin1');
          chunk = head.subarray(headEnd + 4);
          head = Buffer.alloc(0);
          if (text.startsWith('GET / ')) {
            socket.write(answer({ version: { number: '9.1.0' } }));
            continue;
          }
          const n = ++bulks;
          const earlyItems = early(n);
          request = { n, length: Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0), answered: earlyItems !== undefined, chunks: [], got: 0 };
          if (earlyItems !== undefined) socket.write(answer({ errors: false, items: Array.from({ length: earlyItems }, () => ({ create: { status: 201 } })) }));
          onBulk(n, socket);
        }
        const take = Math.min(chunk.length, request.length - request.got);
        request.chunks.push(chunk.subarray(0, take));
        request.got += take;
        chunk = chunk.subarray(take);
        if (request.got < request.length) return;
        const body = Buffer.concat(request.chunks);
        bodies.set(request.n, body);
        if (!request.answered) socket.write(answer({ errors: false, items: messages(body).map(() => ({ create: { status: 201 } })) }));
        request = undefined;
      }
    });
  });
}

it('a bulk answered before its body was read still sends its own body, while later batches reuse memory', async () => {
  // Bulk 1 is answered at once (as ES answers a body it rejects early), its body left unread until bulk 3 arrives.
  const bodies = new Map<number, Buffer>();
  let firstSocket: Socket | undefined;
  const server = rawEs(
    (n) => (n === 1 ? 40_000 : undefined),
    (n, socket) => {
      if (n === 1) {
        firstSocket = socket;
        socket.pause();
      }
      if (n === 3) firstSocket!.resume();
    },
    bodies,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => sockets.add(s));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'logship-es-reuse-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { logger } = capturing();
  const durable: number[] = [];
  const config = {
    ...elasticsearchOutputSchema.parse({ type: 'elasticsearch', hosts: url, index: 'app', compression: 'none', concurrency: 2, batch: { max_bytes: '32MiB' } }),
    name: 'es',
  };
  const out = new ElasticsearchOutput(config, { logger, counters: { events: {}, requests: {} }, stateDir: dir, onDurable: (seq) => durable.push(seq) });
  cleanups.push(() => out.close());
  await out.start();

  // 16 MB, far more than loopback socket buffers take: most of it waits in the client while unread.
  await out.write(batch(1, 0, 40_000, 400));
  await out.write(batch(2, 100_000, 10, 10));
  // Larger than batch 2's body, smaller than batch 1's: batch 1's memory, were it given back early.
  await out.write(batch(3, 200_000, 39_000, 400));
  await out.flush();

  expect(durable.at(-1)).toBe(3);
  // Its answer came first: the server may still be reading bulk 1's body (from socket buffers) when the batch is done.
  const first = await until(() => bodies.get(1), () => 'bulk 1 read to its end');
  expect(messages(first)).toEqual(Array.from({ length: 40_000 }, (_, i) => `line-${i}`));
  expect(messages(bodies.get(3)!)).toEqual(Array.from({ length: 39_000 }, (_, i) => `line-${200_000 + i}`));
});
