// The elasticsearch output (outputs/elasticsearch/index.ts) with the real
// @elastic/elasticsearch client against test/support/es-server.ts, one fault at
// a time: what is retried, split, dead-lettered or fails the output, what is
// logged, and that nothing is acknowledged that is not in Elasticsearch. (The
// same through `logship run`, with rebuilds and restarts:
// test/integration/elasticsearch-faults.test.ts.)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { elasticsearchOutputSchema } from '../../outputs/elasticsearch/config.js';
import { ElasticsearchOutput } from '../../outputs/elasticsearch/index.js';
import type { EventBatch, OutputCounters } from '../../src/output/contract.js';
import { sliceRecords } from '../../src/output/record-batch.js';
import { EsServer, type EsServerOptions, type RequestFault } from '../support/es-server.js';
import { capturing, type LogLine } from '../support/log-capture.js';
import { sleep } from '../support/logship-process.js';
import { eventBatch, texts } from '../support/records.js';

/** Set by a test: the next dead-letter write writes half its bytes, then fails with EIO. */
const writeFault = vi.hoisted(() => ({ armed: false }));
vi.mock('../../src/util/write-all.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/util/write-all.js')>();
  return {
    ...real,
    writeAll: async (...args: Parameters<typeof real.writeAll>) => {
      if (!writeFault.armed) return real.writeAll(...args);
      writeFault.armed = false;
      const [fh, data, position] = args;
      await real.writeAll(fh, data.subarray(0, data.length >> 1), position);
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    },
  };
});

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  writeFault.armed = false;
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => {});
});

async function server(opts: EsServerOptions = {}): Promise<EsServer> {
  const s = await EsServer.start(opts);
  cleanups.push(() => s.close());
  return s;
}

interface Harness {
  out: ElasticsearchOutput;
  lines: LogLine[];
  counters: OutputCounters;
  durable: number[];
  dir: string;
}

function output(url: string, over: Record<string, unknown> = {}, dir = tempDir()): Harness {
  const { logger, lines } = capturing();
  const counters: OutputCounters = { events: {}, requests: {} };
  const durable: number[] = [];
  const config = {
    ...elasticsearchOutputSchema.parse({ type: 'elasticsearch', hosts: url, index: 'app', retry: { initial_backoff: '5ms', max_backoff: '20ms' }, ...over }),
    name: 'es',
  };
  const out = new ElasticsearchOutput(config, { logger, counters, stateDir: dir, onDurable: (seq) => durable.push(seq) });
  cleanups.push(() => out.close());
  return { out, lines, counters, durable, dir };
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'logship-es-faults-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Events `from`…`from+n-1`, each with @timestamp and a 28-hex-digit event.id. */
function batch(seq: number, from: number, n: number, pad = 0): EventBatch {
  const ids = Array.from({ length: n }, (_, i) => (from + i).toString(16).padStart(28, '0'));
  const time = Date.UTC(2024, 4, 1);
  const jsons = ids.map((id, i) => JSON.stringify({ '@timestamp': new Date(time).toISOString(), message: `line-${from + i}${'x'.repeat(pad)}`, event: { id } }));
  return eventBatch(seq, jsons, { ids, times: ids.map(() => time) });
}

/** `b` with the records at these positions replaced by these JSON texts (times and ids kept). */
function withRecords(b: EventBatch, replaced: Record<number, string>): EventBatch {
  return eventBatch(b.seq, texts(b).map((json, i) => replaced[i] ?? json), { times: Array.from(b.times), ids: b.ids });
}

async function waitUntil(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const summaries = (lines: LogLine[], msg: string) => lines.filter((l) => l.msg === msg);
const FAILED = 'elasticsearch requests failed; retrying';
const deadLetters = (h: Harness) =>
  readFileSync(join(h.dir, 'dead_letter', 'es.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { _id: string; status: number; error: { type: string; reason: string } });

describe('request-level errors reach the log with ES\'s error type and reason', () => {
  it('503, 429 and 500 answers are summarised by shape, each with its type and reason, not as a bare "HTTP 503"', async () => {
    const s = await server();
    s.requestFaults({ status: 503, count: 3 });
    s.requestFaults({ status: 429, count: 2 });
    s.requestFaults({ status: 500 });
    const h = output(s.url);
    await h.out.start();
    await h.out.write(batch(1, 0, 20));
    await h.out.flush();
    expect(h.durable).toEqual([1]);
    expect(s.count('app')).toBe(20);
    const failed = summaries(h.lines, FAILED);
    expect(failed.map((l) => [l.status, l.count, l.reason])).toEqual([
      [503, 3, 'HTTP 503 cluster_block_exception: blocked by: [SERVICE_UNAVAILABLE/2/no master];'],
      // The circuit breaker's byte counts vary per request; the shape is one reason.
      [429, 2, expect.stringMatching(/^HTTP 429 circuit_breaking_exception: \[parent\] Data too large, data for \[<http_request>\] would be \[\d+/)],
      [500, 1, 'HTTP 500 illegal_state_exception: injected internal server error'],
    ]);
    expect(h.counters.requests).toMatchObject({ sent: 7, failed: 6 });
  });

  it('a 401 fails the output with security_exception and its reason, naming no secret', async () => {
    const s = await server({ auth: { username: 'shipper', password: 'right-password' } });
    const h = output(s.url, { api_version: 9, auth: { username: 'shipper', password: 'wrong-password-0123' } });
    await h.out.start();
    await h.out.write(batch(1, 0, 5));
    const err = await rejection(h.out.flush());
    expect(err.message).toMatch(/the server refused the credentials: HTTP 401 security_exception: unable to authenticate user \[shipper\] for REST request \[\/_bulk/);
    expect(summaries(h.lines, FAILED)).toMatchObject([{ status: 401, count: 1, reason: expect.stringContaining('security_exception: unable to authenticate user [shipper]') }]);
    expect(JSON.stringify(h.lines) + err.message).not.toContain('wrong-password-0123');
    expect(h.durable).toEqual([]);
  });

  it('a proxy\'s HTML page is summarised by its title, and a truncated JSON body as a connection failure; both retried until delivered', async () => {
    const s = await server();
    s.requestFaults({ status: 502, count: 2 });
    s.requestFaults({ status: 503, body: 'html' });
    s.requestFaults({ status: 500, body: 'truncated', count: 2 });
    const h = output(s.url);
    await h.out.start();
    await h.out.write(batch(1, 0, 10));
    await h.out.flush();
    expect(s.count('app')).toBe(10);
    expect(h.durable).toEqual([1]);
    const reasons = summaries(h.lines, FAILED).map((l) => [l.status, l.count, l.reason]);
    expect(reasons).toContainEqual([502, 2, 'HTTP 502 (HTML: 502 Bad Gateway)']);
    expect(reasons).toContainEqual([503, 1, 'HTTP 503 (HTML: 503 Service Unavailable)']);
    expect(reasons).toContainEqual([undefined, 2, expect.stringMatching(/^ConnectionError: /)]);
    expect(h.counters.requests).toMatchObject({ failed: 5 });
  });
});

describe('the fault menu, through the real client', () => {
  it('per-item 403 (a missing privilege) and 404 (a missing index) are retried alone, never dead-lettered, until indexed', async () => {
    const s = await server();
    // The first two attempts of every third item are refused.
    s.itemFaults((item) => (item.attempt <= 2 && Number.parseInt(item.id!, 16) % 3 === 0 ? (Number.parseInt(item.id!, 16) % 2 === 0 ? 403 : 404) : undefined));
    const h = output(s.url);
    await h.out.start();
    await h.out.write(batch(1, 0, 30));
    await h.out.flush();
    expect(s.count('app')).toBe(30);
    expect(s.stats.duplicates409).toBe(0);
    expect(h.counters.events).toMatchObject({ indexed: 30, retried: 20 });
    expect(h.counters.events.dead_lettered).toBeUndefined();
    const retried = summaries(h.lines, 'elasticsearch items rejected; retrying them');
    expect(retried.map((l) => [l.status, l.errorType])).toEqual(expect.arrayContaining([[403, 'security_exception'], [404, 'index_not_found_exception']]));
  });

  it('sends again only the items answered other than 2xx/409/400 (per-item 429, 503, 403, 404), alone; 400 is dead-lettered, 409 is done', async () => {
    const s = await server();
    const b = batch(1, 0, 7);
    const n = (id: string | undefined) => Number.parseInt(id!, 16);
    // Item 4 is already there (a re-send meeting its earlier write).
    const pre = output(s.url);
    await pre.out.start();
    await pre.out.write({ seq: 1, ...sliceRecords(b, 4, 5) });
    await pre.out.flush();
    s.itemFaults((item) => {
      const i = n(item.id);
      if (i === 1 && item.attempt === 1) return 429;
      if (i === 2 && item.attempt <= 2) return 404;
      if (i === 3) return 400;
      if (i === 5 && item.attempt === 1) return 403;
      if (i === 6 && item.attempt === 1) return 503;
      return undefined;
    });
    const h = output(s.url);
    await h.out.start();
    const from = s.requests.length;
    await h.out.write(b);
    await h.out.flush();
    const sent = s.requests.slice(from).filter((r) => r.path === '/_bulk').map((r) =>
      r.decoded.toString().split('\n').filter((_, i) => i % 2 === 0 && _ !== '').map((a) => n((JSON.parse(a) as { create: { _id: string } }).create._id)),
    );
    expect(sent).toEqual([[0, 1, 2, 3, 4, 5, 6], [1, 2, 5, 6], [2]]);
    expect(h.counters.events).toMatchObject({ indexed: 5, duplicate: 1, dead_lettered: 1, retried: 5 });
    expect(deadLetters(h)).toMatchObject([{ _id: b.ids[3], status: 400, error: { type: 'document_parsing_exception' } }]);
    expect(h.durable).toEqual([1]);
  });

  it.each([
    { status: 400, why: /the server refused the request: HTTP 400 illegal_argument_exception: The bulk request must be terminated/ },
    { status: 403, why: /the server refused the credentials: HTTP 403 security_exception: action \[indices:data\/write\/bulk\] is unauthorized/ },
    { status: 404, why: /the server refused the request: HTTP 404 index_not_found_exception: no such index/ },
    { status: 406, why: /the server refused the request: HTTP 406 Content-Type header \[text\/plain\] is not supported/ },
  ])('a whole request answered $status fails the output with ES\'s reason: sent once, nothing acknowledged or dead-lettered', async ({ status, why }) => {
    const s = await server();
    s.requestFaults({ status: status as RequestFault['status'] });
    const h = output(s.url);
    await h.out.start();
    await h.out.write(batch(1, 0, 5));
    expect((await rejection(h.out.flush())).message).toMatch(why);
    expect(s.stats.bulkRequests).toBe(1);
    expect(h.durable).toEqual([]);
    expect(() => deadLetters(h)).toThrow(/ENOENT/);
  });

  it.each([408, 502, 504])('a whole request answered %d (a proxy) is sent again whole until delivered', async (status) => {
    const s = await server();
    s.requestFaults({ status: status as RequestFault['status'], count: 3 });
    const h = output(s.url);
    await h.out.start();
    await h.out.write(batch(1, 0, 5));
    await h.out.flush();
    expect(s.count('app')).toBe(5);
    expect(h.durable).toEqual([1]);
    expect(h.counters.requests).toMatchObject({ sent: 4, failed: 3 });
  });

  it('a body trickled slower than request_timeout allows is cut at request_timeout, sent again, and its 409s count as done', async () => {
    const s = await server();
    // 8 bytes every 500 ms: never idle for the 1 s allowed; the answer (~100 bytes gzipped) takes over 6 s.
    s.slowResponses(1, 500);
    const h = output(s.url, { request_timeout: '1s' });
    await h.out.start();
    await h.out.write(batch(1, 0, 50));
    await h.out.flush();
    expect(h.counters.requests.failed).toBeGreaterThanOrEqual(1);
    expect(summaries(h.lines, FAILED)[0]!.reason).toBe('TimeoutError: no complete answer within request_timeout (1000 ms)');
    expect(h.counters.events).toMatchObject({ duplicate: 50 });
    expect(s.count('app')).toBe(50);
    expect(h.durable).toEqual([1]);
  });

  it('request timeouts end to end: answers held past request_timeout are retried; once they come in time, the re-sent documents are 409s, nothing twice', async () => {
    const s = await server();
    const h = output(s.url, { request_timeout: '1s' });
    await h.out.start();
    s.delay(20_000);
    await h.out.write(batch(1, 0, 40));
    await waitUntil('two timed-out requests', () => (h.counters.requests.failed ?? 0) >= 2);
    s.delay(0);
    await h.out.flush();
    expect(s.count('app')).toBe(40);
    expect(new Set(s.ids('app')).size).toBe(40);
    expect(h.counters.events).toMatchObject({ duplicate: 40 });
    expect(summaries(h.lines, FAILED)[0]!.reason).toMatch(/Timeout/);
    expect(h.durable).toEqual([1]);
  });
});

describe('413 (http.max_content_length)', () => {
  it.each(['close', 'keep-alive'] as const)('on the default gzip path (measured decompressed, Connection: %s) the request is split until it fits; a document too large alone is dead-lettered', async (tooLarge) => {
    const s = await server({ maxContentLength: 32 * 1024, tooLarge });
    const h = output(s.url);
    await h.out.start();
    const all = batch(1, 0, 1000);
    // One event larger than the limit on its own (decompressed; it compresses to almost nothing).
    const b = withRecords(all, { 500: JSON.stringify({ '@timestamp': '2024-05-01T00:00:00.000Z', message: 'y'.repeat(40 * 1024), event: { id: all.ids[500] } }) });
    await h.out.write(b);
    await h.out.flush();
    const bulks = s.requests.filter((r) => r.path === '/_bulk');
    expect(bulks.every((r) => r.headers['content-encoding'] === 'gzip')).toBe(true);
    // Every gzip body was small on the wire: the 413s were for the decompressed size.
    expect(bulks.filter((r) => r.status === 413).length).toBeGreaterThan(0);
    expect(s.stats.tooLarge).toBe(bulks.filter((r) => r.status === 413).length);
    expect(s.count('app')).toBe(999);
    expect(s.stats.duplicates409).toBe(0);
    expect(h.counters.requests.split).toBeGreaterThan(0);
    expect(deadLetters(h)).toMatchObject([{ _id: b.ids[500], status: 413, error: { type: 'request_entity_too_large' } }]);
    expect(h.durable).toEqual([1]);
  });
});

describe('data streams', () => {
  it('a batch sent again after a rollover is indexed again: the documented duplicate window (a re-send without rollover is all 409s)', async () => {
    const s = await server();
    const h = output(s.url, { index: undefined, data_stream: { dataset: 'app', namespace: 'test' } });
    await h.out.start();
    await h.out.write(batch(1, 0, 10));
    await h.out.flush();
    // The buffer sends a batch again after a crash or a rebuild: same documents, same _ids.
    await h.out.write(batch(2, 0, 10));
    await h.out.flush();
    expect(h.counters.events).toMatchObject({ indexed: 10, duplicate: 10 });
    s.rollover('logs-app-test');
    await h.out.write(batch(3, 0, 10));
    await h.out.flush();
    expect(h.counters.events).toMatchObject({ indexed: 20, duplicate: 10 });
    expect(s.count('logs-app-test')).toBe(20);
    expect(new Set(s.ids('logs-app-test')).size).toBe(10);
  });
  it('an event without a usable @timestamp is refused by the data stream (400) and dead-lettered with ES\'s reason; the others go in', async () => {
    const s = await server();
    const h = output(s.url, { index: undefined, data_stream: { dataset: 'app', namespace: 'test' } });
    await h.out.start();
    const all = batch(1, 0, 3);
    const b = withRecords(all, {
      1: JSON.stringify({ message: 'no time', event: { id: all.ids[1] } }),
      2: JSON.stringify({ '@timestamp': 'not a date', message: 'bad time', event: { id: all.ids[2] } }),
    });
    await h.out.write(b);
    await h.out.flush();
    expect(s.count('logs-app-test')).toBe(1);
    expect(deadLetters(h)).toMatchObject([
      { _id: b.ids[1], status: 400, error: { type: 'document_parsing_exception', reason: expect.stringContaining('data stream timestamp field [@timestamp] is missing') } },
      { _id: b.ids[2], status: 400, error: { type: 'document_parsing_exception', reason: expect.stringContaining('failed to parse field [@timestamp] of type [date]') } },
    ]);
    expect(h.durable).toEqual([1]);
  });
});

describe('GET / and the server behind the URL', () => {
  it.each([
    { fault: { status: 500 as const }, why: /cannot read the server version \(GET \/\): HTTP 500 illegal_state_exception: injected internal server error/ },
    { fault: { status: 502 as const }, why: /cannot read the server version \(GET \/\): HTTP 502 \(HTML: 502 Bad Gateway\)/ },
  ])('GET / answered $fault.status fails the start with the reason; the next start succeeds', async ({ fault, why }) => {
    const s = await server();
    s.requestFaults({ ...fault, on: 'root' });
    const first = output(s.url);
    expect((await rejection(first.out.start())).message).toMatch(why);
    const second = output(s.url);
    await second.out.start();
    await second.out.write(batch(1, 0, 3));
    await second.out.flush();
    expect(s.count('app')).toBe(3);
  });

  it('a refused connection at GET / names the cause', async () => {
    const s = await server();
    await s.down('refuse');
    const h = output(s.url);
    expect((await rejection(h.out.start())).message).toMatch(/cannot read the server version \(GET \/\): ConnectionError: .*ECONNREFUSED/);
  });

  it('a server that is not Elasticsearch (no X-Elastic-Product, or JSON without a version) is refused with a clear reason', async () => {
    const answers = [
      { headers: { 'content-type': 'application/json' }, body: '{"name":"not-es","tagline":"hello"}', why: /did not identify as Elasticsearch \(no X-Elastic-Product header\)/ },
      { headers: { 'content-type': 'text/html' }, body: '<html><title>Sign in</title></html>', why: /did not identify as Elasticsearch \(no X-Elastic-Product header\)/ },
      { headers: { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' }, body: '{"name":"x"}', why: /GET \/ did not report an Elasticsearch version of 7\.14 or later \(version\.number: undefined\)/ },
    ];
    for (const a of answers) {
      const other = http.createServer((_req, res) => {
        res.writeHead(200, a.headers);
        res.end(a.body);
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => other.close(resolve)));
      const h = output(`http://127.0.0.1:${(other.address() as AddressInfo).port}`);
      expect((await rejection(h.out.start())).message).toMatch(a.why);
    }
  });

  it.each(['6.8.23', '7.10.2'])('Elasticsearch %s is refused by name (the client needs 7.14+: earlier versions send no product header)', async (version) => {
    const s = await server({ version });
    const h = output(s.url);
    const err = await rejection(h.out.start());
    expect(err.message).toContain(`Elasticsearch ${version} is not supported`);
    expect(err.message).toContain('7.14 or later');
  });

  it('7.17 end to end: plain media types (no compatible-with), typeless create actions', async () => {
    const s = await server({ version: '7.17.0' });
    const h = output(s.url);
    await h.out.start();
    await h.out.write(batch(1, 0, 20));
    await h.out.flush();
    expect(s.count('app')).toBe(20);
    expect(h.lines.find((l) => l.msg === 'elasticsearch output ready')).toMatchObject({ version: '7.17.0' });
    const bulks = s.requests.filter((r) => r.path === '/_bulk');
    for (const r of bulks) {
      expect(r.headers['content-type']).toBe('application/x-ndjson');
      expect(r.headers.accept).toBe('application/json');
      const actions = r.decoded.toString().split('\n').filter((_, i) => i % 2 === 0 && _ !== '');
      for (const a of actions) expect(Object.keys((JSON.parse(a) as { create: object }).create).sort()).toEqual(['_id', '_index']);
    }
  });
});

describe('index template install failures', () => {
  it.each([
    { on: 'component_template' as const, over: {} },
    { on: 'index_template' as const, over: {} },
    { on: 'index_template' as const, over: { index: undefined, data_stream: { dataset: 'app', namespace: 'test' } } },
  ])('a failed $on PUT fails the start with the reason; nothing is sent; the next start installs and delivers', async ({ on, over }) => {
    const s = await server();
    s.requestFaults({ status: 503, on });
    const config = { index_template: { enabled: true, name: 'ls' }, ...over };
    const first = output(s.url, config);
    expect((await rejection(first.out.start())).message).toMatch(/cannot install the index template: HTTP 503 cluster_block_exception/);
    expect(s.stats.bulkRequests).toBe(0);
    const second = output(s.url, config);
    await second.out.start();
    expect(s.indexTemplates.get('ls')).toMatchObject({ composed_of: ['ls-ecs-mappings'], ...('data_stream' in over && { data_stream: {} }) });
    await second.out.write(batch(1, 0, 3));
    await second.out.flush();
    expect(s.count('data_stream' in over ? 'logs-app-test' : 'app')).toBe(3);
  });
});

describe('ordered acknowledgement with concurrency: 2', () => {
  it('a later batch done first is not acknowledged before the earlier one; then both at once', async () => {
    const s = await server();
    const slowIds = new Set(batch(1, 0, 10).ids);
    let release = false;
    s.itemFaults((item) => (slowIds.has(item.id!) && !release ? 429 : undefined));
    const h = output(s.url, { concurrency: 2 });
    await h.out.start();
    await h.out.write(batch(1, 0, 10));
    await h.out.write(batch(2, 10, 10));
    await waitUntil('the second batch indexed', () => s.count('app') === 10 && !s.ids('app').some((id) => slowIds.has(id)));
    await waitUntil('the first batch refused again', () => (h.counters.events.retried ?? 0) >= 20);
    expect(h.durable).toEqual([]);
    release = true;
    await h.out.flush();
    expect(h.durable).toEqual([2]);
    expect(s.count('app')).toBe(20);
  });

  it('an earlier batch failing while a later one succeeds acknowledges nothing; a restarted output re-sends both and indexes exactly the missing ones', async () => {
    const s = await server();
    const h = output(s.url, { concurrency: 2 });
    await h.out.start();
    // Batch 1's request is refused (whichever connection brings it first); batch 2's goes through.
    const first = batch(1, 0, 10).ids[0]!;
    s.requestFaults({ status: 403, where: (body) => body.includes(`"_id":"${first}"`) });
    await h.out.write(batch(1, 0, 10));
    await h.out.write(batch(2, 10, 10)).catch(() => {});
    await rejection(h.out.flush());
    await h.out.close().catch(() => {});
    expect(h.durable).toEqual([]);
    const deliveredBefore = s.count('app');
    expect(s.ids('app').every((id) => Number.parseInt(id, 16) >= 10)).toBe(true);
    // What the delivery loop does after a failure: a new output, the buffer rewound to the oldest unacknowledged batch.
    const again = output(s.url, { concurrency: 2 }, h.dir);
    await again.out.start();
    await again.out.write(batch(1, 0, 10));
    await again.out.write(batch(2, 10, 10));
    await again.out.flush();
    expect(again.durable.at(-1)).toBe(2);
    expect(again.counters.events).toMatchObject({ indexed: 20 - deliveredBefore });
    expect(again.counters.events.duplicate ?? 0).toBe(deliveredBefore);
    expect(s.count('app')).toBe(20);
    expect(new Set(s.ids('app')).size).toBe(20);
  });
});

describe('local faults', () => {
  it('an unreadable secret file fails the start naming the file and the error code, not the contents', async () => {
    const s = await server({ auth: { username: 'u', password: 'p' } });
    const dir = tempDir();
    const asDir = join(dir, 'password-is-a-directory');
    mkdirSync(asDir);
    for (const [file, code] of [[join(dir, 'missing'), 'ENOENT'], [asDir, 'EISDIR']] as const) {
      const h = output(s.url, { auth: { username: 'u', password_file: file } });
      expect((await rejection(h.out.start())).message).toBe(`cannot read the secret file ${file}: ${code}`);
    }
    writeFileSync(join(dir, 'ok'), 'p\n');
    const h = output(s.url, { auth: { username: 'u', password_file: join(dir, 'ok') } });
    await h.out.start();
  });

  it('a dead-letter write failing half-way is truncated back (no torn line), fails the output, acknowledges nothing; the re-send writes it whole', async () => {
    const s = await server();
    s.itemFaults((item) => (Number.parseInt(item.id!, 16) % 5 === 0 ? 400 : undefined));
    const h = output(s.url);
    await h.out.start();
    await h.out.write(batch(1, 0, 5));
    await h.out.flush();
    expect(deadLetters(h)).toHaveLength(1);
    const file = join(h.dir, 'dead_letter', 'es.ndjson');
    const before = readFileSync(file);
    writeFault.armed = true;
    await h.out.write(batch(2, 5, 5));
    expect((await rejection(h.out.flush())).message).toMatch(/EIO/);
    expect(writeFault.armed).toBe(false);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(h.durable).toEqual([1]);
    await h.out.close().catch(() => {});
    const again = output(s.url, {}, h.dir);
    await again.out.start();
    await again.out.write(batch(2, 5, 5));
    await again.out.flush();
    expect(again.durable).toEqual([2]);
    expect(deadLetters(h).map((l) => Number.parseInt(l._id, 16))).toEqual([0, 5]);
  });
});
