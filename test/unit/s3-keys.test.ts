// S3 object keys from name templates (src/output/name-template.ts): Hive partitions from event time, placeholders and
// event fields, as the objects land in the bucket; path-style addressing as the server receives it. Through the real
// AWS SDK to s3rver behind the harness's recording proxy (test/support/s3-h.server.ts), or to LOGSHIP_S3_ENDPOINT.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createS3Output } from '../../outputs/s3/index.js';
import { S3RequestError } from '../../outputs/s3/request-errors.js';
import { writerIdPath } from '../../outputs/s3/writer-id.js';
import { sanitiseValue } from '../../src/output/name-template.js';
import { eventBatch } from '../support/records.js';
import { useS3Harness } from '../support/s3-unit.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 11, 6, 22, 50, 0);

const h = useS3Harness('s3-keys');

function setup(raw: Record<string, unknown>) {
  const config = h.config(raw);
  const stateDir = h.tempDir();
  const durable: number[] = [];
  const out = createS3Output(config, { logger, counters: { events: {}, requests: {} }, stateDir, onDurable: (seq) => durable.push(seq) });
  h.track(out);
  return { out, durable, stateDir };
}

interface TestEvent {
  '@timestamp': string;
  event: { id: string };
  message: string;
  service?: { name: string };
  kubernetes?: { namespace: string | null };
}

const SERVICES = ['checkout', 'Search API', undefined];
const NAMESPACES = ['payments', null, undefined];

/** `n` events a minute apart from T0 (so over two hours and two days), cycling through services and namespaces, some absent. */
function events(seq: number, n: number): { batch: ReturnType<typeof eventBatch>; sent: TestEvent[] } {
  const sent: TestEvent[] = [];
  for (let i = 0; i < n; i++) {
    const t = T0 + i * 60_000;
    const e: TestEvent = { '@timestamp': new Date(t).toISOString(), event: { id: `k${seq}x${i}` }, message: `m${i}` };
    const service = SERVICES[i % 3];
    const namespace = NAMESPACES[Math.floor(i / 3) % 3];
    if (service !== undefined) e.service = { name: service };
    if (namespace !== undefined) e.kubernetes = { namespace };
    sent.push(e);
  }
  return { batch: eventBatch(seq, sent.map((e) => JSON.stringify(e)), { times: sent.map((e) => Date.parse(e['@timestamp'])), ids: sent.map((e) => e.event.id) }), sent };
}

describe('s3 object keys from templates', () => {
  it('files each event under its own Hive partition, namespace and service (absent: the default), every event once', async () => {
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const { out, durable, stateDir } = setup({ prefix: `${base}{kubernetes.namespace}/{service.name:-nosvc}/{host}-{output}/dt=%Y-%m-%d/hour=%H/` });
    await out.start();
    const { batch, sent } = events(1, 150);
    // Buffer records 1…150: a batch's seq is its last record's id.
    await out.write({ ...batch, seq: 150 });
    await out.close();
    expect(durable).toEqual([150]);

    const writerId = readFileSync(writerIdPath(stateDir, 'archive'), 'utf8').trim();
    const host = sanitiseValue(hostname(), 'object-key');
    const shape = new RegExp(`^${base}([^/]+)/([^/]+)/${host.replace(/[.]/g, '\\.')}-archive/dt=(\\d{4}-\\d\\d-\\d\\d)/hour=(\\d\\d)/${writerId}-(\\d+)-(k1x\\d+)\\.ndjson\\.gz$`);
    const keys = await h.server.list(base);
    const received: TestEvent[] = [];
    const partitions = new Set<string>();
    for (const k of keys) {
      const m = shape.exec(k);
      expect(m, k).not.toBeNull();
      const [, namespace, service, day, hour, firstRecord, firstId] = m!;
      // The key names the object's first buffer record and its first event: k1x<i> is record i + 1.
      expect(Number(firstRecord)).toBe(Number(firstId!.slice(3)) + 1);
      const lines = gunzipSync((await h.server.get(k)).body)
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as TestEvent);
      expect(lines[0]!.event.id).toBe(firstId);
      for (const e of lines) {
        // Every event in an object renders to the object's prefix.
        expect(e.kubernetes?.namespace ?? 'unknown').toBe(namespace);
        expect(e.service === undefined ? 'nosvc' : e.service.name.replace(' ', '_')).toBe(service);
        expect(e['@timestamp'].slice(0, 13)).toBe(`${day}T${hour}`);
      }
      partitions.add(`${namespace}/${service}/${day}/${hour}`);
      received.push(...lines);
    }
    // Namespace absent or null → unknown; service absent → nosvc; 150 minutes over four hours and two days.
    const expected = new Set(sent.map((e) => `${e.kubernetes?.namespace ?? 'unknown'}/${e.service?.name.replace(' ', '_') ?? 'nosvc'}/${e['@timestamp'].slice(0, 10)}/${e['@timestamp'].slice(11, 13)}`));
    expect(expected.size).toBe(2 * 3 * 4);
    expect([...partitions].sort()).toEqual([...expected].sort());
    expect(received.map((e) => e.event.id).sort()).toEqual(sent.map((e) => e.event.id).sort());
  }, 120_000);

  it('addresses the bucket in the path with force_path_style, as the server receives it', async ({ skip }) => {
    if (h.server.requests === undefined) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const { out } = setup({ prefix: `${base}{service.name}/` });
    await out.start();
    await out.write(events(1, 3).batch);
    await out.close();
    const puts = h.server.requests.filter((r) => r.method === 'PUT' && r.url.includes(base));
    expect(puts.length).toBe(3);
    const port = new URL(h.server.endpoint).port;
    for (const r of puts) {
      expect(r.url.startsWith(`/${h.server.bucket}/${base}`), r.url).toBe(true);
      // Path style: the host is the endpoint's, not `<bucket>.<endpoint>`.
      expect(r.headers.host).toBe(`127.0.0.1:${port}`);
    }
  }, 60_000);

  it('reports AccessDenied by name with the bucket, and acknowledges nothing', async ({ skip }) => {
    if (h.server.faults === undefined) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    h.server.faults.push({ match: (method, url) => method === 'PUT' && url.includes(base), status: 403, code: 'AccessDenied', times: 1 });
    const { out, durable } = setup({ prefix: base });
    await out.start();
    await out.write(events(1, 5).batch);
    const err = await out.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(S3RequestError);
    expect((err as S3RequestError).kind).toBe('configuration');
    expect((err as S3RequestError).reason).toBe('AccessDenied');
    expect((err as Error).message).toMatch(new RegExp(`bucket "${h.server.bucket}": AccessDenied \\(HTTP 403\\): access denied.*minimal IAM policy`));
    expect(durable).toEqual([]);
  }, 60_000);
});
