// The elasticsearch output's own HTTP client (outputs/elasticsearch/http-client.ts)
// through the output, against test/support/es-server.ts and small loopback
// servers for what the test server does not do: a host that is down among
// several, bounded kept-alive connections, credentials in the URL, a missing
// product header, oversized and compressed answers, a path prefix. Plus the host pool's order, on a fake clock.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { elasticsearchOutputSchema } from '../../outputs/elasticsearch/config.js';
import { HostPool, parseHost } from '../../outputs/elasticsearch/host-pool.js';
import { EsHttpClient } from '../../outputs/elasticsearch/http-client.js';
import { ElasticsearchOutput } from '../../outputs/elasticsearch/index.js';
import type { OutputCounters } from '../../src/output/contract.js';
import { EsServer } from '../support/es-server.js';
import { capturing, type LogLine } from '../support/log-capture.js';
import { eventBatch } from '../support/records.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => {});
});

function output(hosts: string | string[], over: Record<string, unknown> = {}): { out: ElasticsearchOutput; counters: OutputCounters; lines: LogLine[]; durable: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'logship-es-http-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { logger, lines } = capturing();
  const counters: OutputCounters = { events: {}, requests: {} };
  const durable: number[] = [];
  const config = { ...elasticsearchOutputSchema.parse({ type: 'elasticsearch', hosts, index: 'app', retry: { initial_backoff: '5ms', max_backoff: '20ms' }, ...over }), name: 'es' };
  const out = new ElasticsearchOutput(config, { logger, counters, stateDir: dir, onDurable: (seq) => durable.push(seq) });
  cleanups.push(() => out.close());
  return { out, counters, lines, durable };
}

function batch(seq: number, from: number, n: number) {
  const ids = Array.from({ length: n }, (_, i) => (from + i).toString(16).padStart(28, '0'));
  const time = Date.UTC(2024, 4, 1);
  return eventBatch(seq, ids.map((id, i) => JSON.stringify({ '@timestamp': new Date(time).toISOString(), message: `line-${from + i}`, event: { id } })), { ids, times: ids.map(() => time) });
}

async function esServer(opts: Parameters<typeof EsServer.start>[0] = {}): Promise<EsServer> {
  const s = await EsServer.start(opts);
  cleanups.push(() => s.close());
  return s;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback URL nothing listens on (a port just released). */
async function refusedUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** ES's answers to GET / and _bulk (every item created), as a minimal server: `onRequest` may take the request over. */
function miniEs(onRequest: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => boolean = () => false): http.Server {
  let n = 0;
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (onRequest(req, res, ++n)) return;
      const headers = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
      if (req.url === '/') {
        res.writeHead(200, headers).end(JSON.stringify({ version: { number: '9.1.0' }, tagline: 'You Know, for Search' }));
        return;
      }
      const body = Buffer.concat(chunks);
      const items = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body)
        .toString()
        .split('\n').filter((l, i) => l !== '' && i % 2 === 0).map(() => ({ create: { status: 201 } }));
      res.writeHead(200, headers).end(JSON.stringify({ errors: false, items }));
    });
  });
}

describe('failover across hosts', () => {
  it('a request that gets no answer from one host goes to the next at once: the start and every batch succeed, no request counted failed', async () => {
    const s = await esServer();
    const h = output([await refusedUrl(), s.url, await refusedUrl()]);
    await h.out.start();
    for (let seq = 1; seq <= 4; seq++) await h.out.write(batch(seq, seq * 10, 10));
    await h.out.flush();
    expect(s.count('app')).toBe(40);
    expect(h.durable.at(-1)).toBe(4);
    expect(h.counters.requests.failed ?? 0).toBe(0);
  });

  it('with every host down the request fails with the connection error, and is delivered once one comes back', async () => {
    const s = await esServer();
    const h = output([await refusedUrl(), s.url]);
    await h.out.start();
    await s.down('refuse');
    const written = h.out.write(batch(1, 0, 5)).then(() => h.out.flush());
    // Both hosts refuse: the delivery loop counts failed requests and retries with backoff.
    for (let i = 0; (h.counters.requests.failed ?? 0) < 2; i++) {
      if (i > 6000) throw new Error('no failed requests counted');
      await new Promise((r) => setTimeout(r, 10));
    }
    await s.up();
    await written;
    expect(s.count('app')).toBe(5);
    expect(h.durable).toEqual([1]);
  });

  it('the pool: round robin over live hosts; a dead one is skipped for a cool-off that doubles; with all dead, the first back is tried', () => {
    let now = 0;
    const [a, b, c] = ['http://a:1', 'http://b:2', 'http://c:3'].map(parseHost) as [ReturnType<typeof parseHost>, ReturnType<typeof parseHost>, ReturnType<typeof parseHost>];
    const pool = new HostPool([a, b, c], () => now);
    expect([pool.pick(), pool.pick(), pool.pick(), pool.pick()]).toEqual([a, b, c, a]);
    pool.dead(b);
    expect([pool.pick(), pool.pick(), pool.pick()]).toEqual([c, a, c]);
    now += 1_000;
    expect(pool.pick()).toBe(a);
    expect(pool.pick()).toBe(b);
    pool.dead(b);
    pool.dead(b);
    now += 1_000;
    expect([pool.pick(), pool.pick(), pool.pick()]).toEqual([c, a, c]);
    pool.dead(a);
    pool.dead(c);
    expect(pool.pick()).toBe(a);
    pool.alive(b);
    expect(pool.pick()).toBe(b);
  });
});

describe('connections', () => {
  it('connections per host stay within concurrency, and are reused', async () => {
    const sockets = new Set<Socket>();
    let open = 0;
    let maxOpen = 0;
    const server = miniEs((req) => {
      if (!sockets.has(req.socket)) {
        sockets.add(req.socket);
        maxOpen = Math.max(maxOpen, ++open);
        req.socket.once('close', () => open--);
      }
      return false;
    });
    const url = await listen(server);
    const h = output(url, { concurrency: 2 });
    await h.out.start();
    for (let seq = 1; seq <= 20; seq++) await h.out.write(batch(seq, seq * 10, 3));
    await h.out.flush();
    expect(h.durable.at(-1)).toBe(20);
    expect(maxOpen).toBeLessThanOrEqual(2);
    expect(sockets.size).toBeLessThanOrEqual(2);
  });

  it('basic credentials in a host URL are sent as basic auth and never shown', async () => {
    const s = await esServer({ auth: { username: 'shipper', password: 'p@ss-Secret-42' } });
    const h = output(`http://shipper:${encodeURIComponent('p@ss-Secret-42')}@127.0.0.1:${s.port}`);
    await h.out.start();
    await h.out.write(batch(1, 0, 3));
    await h.out.flush();
    expect(s.count('app')).toBe(3);
    const bad = output(`http://shipper:wrong-Secret-43@127.0.0.1:${s.port}`);
    const err = await bad.out.start().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/HTTP 401 security_exception/);
    expect(JSON.stringify(bad.lines) + err!.message).not.toMatch(/Secret-4/);
  });

  it('a _bulk answered 2xx without X-Elastic-Product is a request failure, sent again until a real answer comes', async () => {
    let bulks = 0;
    const url = await listen(
      miniEs((req, res) => {
        if (req.url === '/' || ++bulks > 2) return false;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"errors":false,"items":[]}');
        return true;
      }),
    );
    const h = output(url);
    await h.out.start();
    await h.out.write(batch(1, 0, 4));
    await h.out.flush();
    expect(h.durable).toEqual([1]);
    expect(h.counters.requests).toMatchObject({ sent: 3, failed: 2 });
    await h.out.close();
    expect(h.lines.find((l) => l.msg === 'elasticsearch requests failed; retrying')).toMatchObject({ count: 2, reason: 'the server did not identify as Elasticsearch (no X-Elastic-Product header)' });
  });
});

describe('answers', () => {
  it('a gzip answer is decoded; one larger than the limit fails the request with a clear reason', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(4096) });
    const url = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-elastic-product': 'Elasticsearch' }).end(gzipSync(big));
      }),
    );
    const client = new EsHttpClient({ hosts: [url], timeoutMs: 30_000, compression: false, productCheck: 'Elasticsearch' });
    cleanups.push(() => client.close());
    expect((await client.request({ method: 'GET', path: '/' })).body).toEqual({ pad: 'x'.repeat(4096) });
    const small = new EsHttpClient({ hosts: [url], timeoutMs: 30_000, compression: false, maxResponseBytes: 1024 });
    cleanups.push(() => small.close());
    await expect(small.request({ method: 'GET', path: '/' })).rejects.toThrow(/cannot decode the gzip answer/);
  });

  it('a host URL with a path prefix (a reverse proxy) keeps it before every path', async () => {
    const paths: string[] = [];
    const url = await listen(
      miniEs((req) => {
        paths.push(req.url!);
        if (!req.url!.startsWith('/es/')) return false;
        req.url = req.url!.slice(3);
        return false;
      }),
    );
    const h = output(`${url}/es/`);
    await h.out.start();
    await h.out.write(batch(1, 0, 2));
    await h.out.flush();
    expect(paths).toEqual(['/es/', expect.stringMatching(/^\/es\/_bulk\?filter_path=/)]);
  });
});
