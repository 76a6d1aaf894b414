// The `s3` output through the real AWS SDK against s3rver, started here on 127.0.0.1 (test/support/s3-h.server.ts).
//
// Against a real bucket or MinIO instead: set LOGSHIP_S3_ENDPOINT (e.g. http://127.0.0.1:9000) and LOGSHIP_S3_BUCKET,
// with credentials in the AWS SDK's usual environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION). Every
// test writes under its own `logship-test-<random>/` prefix and leaves its objects there.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { WRITE_CHUNK_BYTES } from '../../outputs/objects/open-object.js';
import { s3OutputSchema } from '../../outputs/s3/config.js';
import { createS3Output, type S3OutputOptions } from '../../outputs/s3/index.js';
import { classify, S3RequestError, s3RequestError } from '../../outputs/s3/request-errors.js';
import { writerIdPath } from '../../outputs/s3/writer-id.js';
import type { EventBatch } from '../../src/output/contract.js';
import { eventBatch } from '../support/records.js';
import { useS3Harness } from '../support/s3-unit.js';

const logger = pino({ level: 'silent' });
const MiB = 1024 * 1024;
const DAY1 = Date.UTC(2024, 4, 1, 23, 0, 0);
const HOUR = 3_600_000;

const h = useS3Harness('s3');

/** A fresh key prefix, so tests (and runs against a real bucket) never see each other's objects. */
function runPrefix(): string {
  return `logship-test-${randomBytes(6).toString('hex')}/`;
}

function setup(raw: Record<string, unknown>, opts: { stateDir?: string; options?: S3OutputOptions } = {}) {
  const config = h.config(raw);
  const stateDir = opts.stateDir ?? h.tempDir();
  const durable: number[] = [];
  const counters = { events: {}, requests: {} as Record<string, number> };
  const out = createS3Output(config, { logger, counters, stateDir, onDurable: (seq) => durable.push(seq) }, opts.options);
  h.track(out);
  return { out, durable, stateDir, counters };
}

/** A batch of `n` events one second apart from `time`, ids `i<seq>x<i>`, each with some incompressible text. */
function batch(seq: number, n: number, time: number): EventBatch {
  const records: string[] = [];
  const times: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = time + i * 1000;
    const id = `i${seq}x${i}`;
    records.push(JSON.stringify({ '@timestamp': new Date(t).toISOString(), event: { id }, message: `event ${i} of ${seq} ${randomBytes(12).toString('hex')}` }));
    times.push(t);
    ids.push(id);
  }
  return eventBatch(seq, records, { times, ids });
}

const linesOf = (b: EventBatch) => b.data.toString('utf8').split('\n').filter((l) => l !== '');

async function objectLines(key: string): Promise<string[]> {
  const { body } = await h.server.get(key);
  return (key.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8').split('\n').filter((l) => l !== '');
}

describe('s3 output', () => {
  it('delivers every event exactly once into gzip objects keyed <prefix from the first event time><writer id>-<first event id>', async () => {
    const base = runPrefix();
    const { out, durable, stateDir } = setup({ prefix: `${base}dt=%Y-%m-%d/hour=%H/`, object: { max_bytes: '64KiB' } });
    await out.start();
    const sent: string[] = [];
    // 60,000 events over 4.6 hours and two days: five partitions, several 64 KiB objects in each.
    const batches = 20;
    for (let s = 1; s <= batches; s++) {
      const b = batch(s, 3000, DAY1 + (s - 1) * 720 * 1000);
      sent.push(...linesOf(b));
      await out.write(b);
      // Paced like a live input (the delivery loop flushes when reading pauses): with gzip an object's size is
      // known only once its bytes are compressed, so back-to-back writes could overshoot max_bytes (by at most
      // the core's SYNC_BYTES) before the object closes.
      await out.flush();
    }
    await out.close();
    expect(durable.at(-1)).toBe(batches);

    const writerId = readFileSync(writerIdPath(stateDir, 'archive'), 'utf8').trim();
    expect(writerId).toMatch(/^[0-9a-f]{16}$/);
    const keys = await h.server.list(base);
    const keyShape = new RegExp(`^${base}dt=(\\d{4}-\\d\\d-\\d\\d)/hour=(\\d\\d)/${writerId}--?\\d+-(i\\d+x\\d+)\\.ndjson\\.gz$`);
    const received: string[] = [];
    const partitions = new Set<string>();
    for (const key of keys) {
      const m = keyShape.exec(key);
      expect(m, key).not.toBeNull();
      // An object closes after the write-out that crossed max_bytes: at most one write-out (1 MiB before gzip) over it.
      expect((await h.server.get(key)).body.length).toBeLessThan(64 * 1024 + WRITE_CHUNK_BYTES);
      const lines = await objectLines(key);
      const first = JSON.parse(lines[0]!) as { '@timestamp': string; event: { id: string } };
      // The key names the object's first event and the partition of that event's time.
      expect(first.event.id).toBe(m![3]);
      expect(first['@timestamp'].slice(0, 13)).toBe(`${m![1]}T${m![2]}`);
      received.push(...lines);
      partitions.add(`${m![1]}/${m![2]}`);
    }
    // Five hours over two days, and more objects than partitions: max_bytes split them.
    expect([...partitions].sort()).toEqual(['2024-05-01/23', '2024-05-02/00', '2024-05-02/01', '2024-05-02/02', '2024-05-02/03']);
    expect(keys.length).toBeGreaterThan(partitions.size + 2);
    expect(received.length).toBe(sent.length);
    expect(new Set(received).size).toBe(sent.length);
    expect([...received].sort()).toEqual([...sent].sort());

    const head = await h.server.get(keys[0]!);
    expect(head.contentType).toBe('application/x-ndjson');
    expect(head.contentEncoding).toBe('gzip');
  });

  it('closes an object on max_age, and reports records durable only once their object is uploaded', async () => {
    const base = runPrefix();
    let clock = DAY1;
    const { out, durable } = setup({ prefix: base, object: { max_age: '2s' } }, { options: { now: () => clock } });
    await out.start();
    const first = batch(1, 10, DAY1);
    await out.write(first);
    await out.flush();
    // The object is still open: nothing uploaded, nothing acknowledged.
    expect(durable).toEqual([]);
    expect(await h.server.list(base)).toEqual([]);

    clock += 2500;
    const second = batch(2, 10, DAY1 + HOUR);
    await out.write(second);
    await out.close();
    expect(durable.at(-1)).toBe(2);
    const keys = (await h.server.list(base)).sort((a, b) => a.slice(a.lastIndexOf('-')).localeCompare(b.slice(b.lastIndexOf('-'))));
    expect(keys).toHaveLength(2);
    expect(keys.map((k) => k.slice(k.lastIndexOf('-') + 1))).toEqual(['i1x0.ndjson.gz', 'i2x0.ndjson.gz']);
    expect(await objectLines(keys[0]!)).toEqual(linesOf(first));
    expect(await objectLines(keys[1]!)).toEqual(linesOf(second));
  });

  it('names objects deterministically: a replay with the same state rewrites the same keys byte for byte, another state directory never collides', async () => {
    const base = runPrefix();
    const batches = [batch(1, 500, DAY1), batch(2, 500, DAY1 + HOUR)];
    const run = async (stateDir?: string) => {
      const { out, stateDir: used } = setup({ prefix: `${base}%Y/%m/%d/`, object: { max_bytes: '16KiB' } }, { stateDir });
      await out.start();
      for (const b of batches) await out.write(b);
      await out.close();
      return used;
    };
    const stateDir = await run();
    const keys = await h.server.list(base);
    const bodies = await Promise.all(keys.map(async (k) => (await h.server.get(k)).body));

    await run(stateDir);
    expect(await h.server.list(base)).toEqual(keys);
    for (const [i, k] of keys.entries()) expect((await h.server.get(k)).body.equals(bodies[i]!), k).toBe(true);

    await run();
    const all = await h.server.list(base);
    expect(all).toHaveLength(keys.length * 2);
  });

  it('uploads an object above part_size in parts that arrive whole and byte-identical', async () => {
    const base = runPrefix();
    const { out, durable, counters } = setup({ prefix: base, compression: 'none', part_size: '5MiB' });
    await out.start();
    const sent: Buffer[] = [];
    let bytes = 0;
    // About 12 MiB in batches of about 1 MiB: three parts (5, 5 and the rest).
    for (let s = 1; bytes < 12 * MiB; s++) {
      const b = batch(s, 10_000, DAY1);
      sent.push(b.data);
      bytes += b.data.length;
      await out.write(b);
    }
    await out.close();
    expect(durable.length).toBeGreaterThan(0);
    // Create, three parts, complete: counted as logship_output_requests_total{outcome="sent"}.
    expect(counters.requests).toEqual({ sent: 5 });
    const keys = await h.server.list(base);
    expect(keys).toHaveLength(1);
    expect(keys[0]!.endsWith('-i1x0.ndjson')).toBe(true);
    const got = await h.server.get(keys[0]!);
    expect(got.body.length).toBe(bytes);
    expect(got.body.equals(Buffer.concat(sent))).toBe(true);
    if (h.server.requests !== undefined) {
      // Each part as s3rver received it: two of exactly part_size, then the rest; no PutObject.
      const forKey = h.server.requests.filter((r) => r.url.startsWith(`/${h.server.bucket}/${keys[0]}`));
      const parts = forKey.filter((r) => r.method === 'PUT' && r.url.includes('partNumber='));
      expect(parts.map((r) => r.bodyBytes)).toEqual([5 * MiB, 5 * MiB, bytes - 10 * MiB]);
      expect(forKey.filter((r) => r.method === 'PUT')).toHaveLength(3);
      expect(forKey.filter((r) => r.method === 'POST').map((r) => new URL(r.url, 'http://x').searchParams.has('uploadId') ? 'complete' : 'create')).toEqual(['create', 'complete']);
    }
  }, 120_000);

  it('sends encryption, storage class and tags with PutObject and CreateMultipartUpload, as the server receives them', async ({ skip }) => {
    if (h.server.requests === undefined) return skip();
    const base = runPrefix();
    const { out } = setup({
      prefix: base,
      part_size: '5MiB',
      object: { max_bytes: '6MiB' },
      compression: 'none',
      server_side_encryption: 'aws:kms',
      kms_key_id: 'arn:aws:kms:eu-west-1:111122223333:key/logs',
      storage_class: 'STANDARD_IA',
      tags: { team: 'payments', 'retention period': '90 days' },
    });
    await out.start();
    // One object above part_size (multipart), then one small one (PutObject).
    const big = batch(1, 60_000, DAY1);
    expect(big.data.length).toBeGreaterThan(6 * MiB);
    await out.write(big);
    await out.flush();
    await out.write(batch(2, 10, DAY1));
    await out.close();

    const sent = h.server.requests.filter((r) => r.url.startsWith(`/${h.server.bucket}/${base}`));
    const create = sent.filter((r) => r.method === 'POST' && r.url.includes('uploads'));
    const put = sent.filter((r) => r.method === 'PUT' && !r.url.includes('partNumber='));
    expect(create).toHaveLength(1);
    expect(put).toHaveLength(1);
    for (const r of [...create, ...put]) {
      expect(r.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(r.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe('arn:aws:kms:eu-west-1:111122223333:key/logs');
      expect(r.headers['x-amz-storage-class']).toBe('STANDARD_IA');
      expect(r.headers['x-amz-tagging']).toBe('team=payments&retention%20period=90%20days');
      expect(r.headers['content-type']).toBe('application/x-ndjson');
    }
  }, 120_000);

  it('refuses kms_key_id without KMS encryption, and more than 10 tags', () => {
    const base = { type: 's3', bucket: 'b' };
    expect(() => s3OutputSchema.parse({ ...base, kms_key_id: 'k' })).toThrow(/kms_key_id needs server_side_encryption: aws:kms/);
    expect(() => s3OutputSchema.parse({ ...base, server_side_encryption: 'AES256', kms_key_id: 'k' })).toThrow(/kms_key_id needs/);
    const tags = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, 'v']));
    expect(() => s3OutputSchema.parse({ ...base, tags })).toThrow(/at most 10 tags/);
    expect(() => s3OutputSchema.parse({ ...base, part_size: '4MiB' })).toThrow();
  });

  it('reports a missing bucket by name, and acknowledges nothing', async () => {
    const missing = `${h.server.bucket}-missing-${randomBytes(4).toString('hex')}`;
    const { out, durable, counters } = setup({ bucket: missing, prefix: runPrefix() });
    await out.start();
    await out.write(batch(1, 10, DAY1));
    const err = await out.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(S3RequestError);
    expect((err as S3RequestError).kind).toBe('configuration');
    expect((err as Error).message).toMatch(new RegExp(`bucket "${missing}": NoSuchBucket.*does not exist`));
    expect(durable).toEqual([]);
    expect(counters.requests).toEqual({ failed: 1 });
  });

  it('reports rejected credentials by name, and acknowledges nothing', async () => {
    const { out, durable } = setup({ prefix: runPrefix(), credentials: h.keyFiles({ accessKeyId: 'AKIANOTAREALKEY00000', secretAccessKey: 'not-the-secret' }) });
    await out.start();
    await out.write(batch(1, 10, DAY1));
    const err = await out.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(S3RequestError);
    expect((err as S3RequestError).kind).toBe('configuration');
    expect((err as Error).message).toMatch(new RegExp(`bucket "${h.server.bucket}": InvalidAccessKeyId`));
    expect((err as Error).message).not.toContain('not-the-secret');
    expect(durable).toEqual([]);
  });

  it('reports an unreachable endpoint as a transient failure, retried from the buffer', async () => {
    // A port that was free a moment ago and is closed now: the connection is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { out, durable } = setup({ endpoint: `http://127.0.0.1:${port}`, prefix: runPrefix(), credentials: h.keyFiles() });
    await out.start();
    await out.write(batch(1, 10, DAY1));
    const err = await out.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(S3RequestError);
    expect((err as S3RequestError).kind).toBe('transient');
    expect((err as Error).message).toMatch(/PutObject .* to bucket ".*" failed: ECONNREFUSED.*retried from the buffer/);
    expect(durable).toEqual([]);
  });

  it('reports SlowDown as a transient failure; the rebuilt output uploads the same records under the same key', async ({ skip }) => {
    if (h.server.faults === undefined) return skip();
    const base = runPrefix();
    h.server.faults.push({ match: (method, url) => method === 'PUT' && url.startsWith(`/${h.server.bucket}/${base}`), status: 503, code: 'SlowDown', times: 1 });
    const stateDir = h.tempDir();
    const records = batch(1, 100, DAY1);

    const failing = setup({ prefix: base }, { stateDir });
    await failing.out.start();
    await failing.out.write(records);
    const err = await failing.out.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(S3RequestError);
    expect((err as S3RequestError).kind).toBe('transient');
    expect((err as Error).message).toMatch(new RegExp(`PutObject ${base}\\S+ to bucket "${h.server.bucket}" failed: SlowDown \\(HTTP 503\\).*retried from the buffer`));
    expect(failing.durable).toEqual([]);
    expect(await h.server.list(base)).toEqual([]);

    // What the delivery loop does next: a new output over the same state, the same records from the buffer.
    const rebuilt = setup({ prefix: base }, { stateDir });
    await rebuilt.out.start();
    await rebuilt.out.write(records);
    await rebuilt.out.close();
    expect(rebuilt.durable).toEqual([1]);
    const keys = await h.server.list(base);
    expect(keys).toHaveLength(1);
    expect(h.server.requests!.filter((r) => r.fault === 'SlowDown').map((r) => new URL(r.url, h.server.endpoint).pathname)).toEqual([`/${h.server.bucket}/${keys[0]}`]);
    expect(await objectLines(keys[0]!)).toEqual(linesOf(records));
  });

  it('after a failed upload, uploads none of the objects still open: their records replay from the buffer', async ({ skip }) => {
    if (h.server.faults === undefined) return skip();
    const base = runPrefix();
    h.server.faults.push({ match: (method, url) => method === 'PUT' && url.startsWith(`/${h.server.bucket}/${base}2024-05-01/`), status: 500, code: 'InternalError', times: 1 });
    let clock = DAY1;
    const { out, durable } = setup({ prefix: `${base}%F/`, object: { max_age: '2s' } }, { options: { now: () => clock } });
    await out.start();
    await out.write(batch(1, 10, DAY1));
    await out.write(batch(2, 10, DAY1 + 2 * HOUR));
    clock += 2500;
    // The 2024-05-01 object is past max_age: the next record for it closes it, and its upload fails.
    await out.write(batch(3, 10, DAY1));
    await expect(out.flush()).rejects.toThrow(/InternalError/);
    await expect(out.close()).rejects.toThrow(/InternalError/);
    expect(durable).toEqual([]);
    const puts = h.server.requests!.filter((r) => r.method === 'PUT' && r.url.startsWith(`/${h.server.bucket}/${base}`));
    expect(puts.map((r) => r.fault)).toEqual(['InternalError']);
    expect(await h.server.list(base)).toEqual([]);
  });

  it('aborts a multipart upload whose part failed with a 500, and the rebuilt output completes the object whole', async ({ skip }) => {
    if (h.server.faults === undefined) return skip();
    const base = runPrefix();
    h.server.faults.push({ match: (method, url) => method === 'PUT' && url.startsWith(`/${h.server.bucket}/${base}`) && url.includes('partNumber=2'), status: 500, code: 'InternalError', times: 1 });
    const stateDir = h.tempDir();
    const batches: EventBatch[] = [];
    for (let s = 1, bytes = 0; bytes < 11 * MiB; s++) {
      batches.push(batch(s, 10_000, DAY1));
      bytes += batches.at(-1)!.data.length;
    }
    const run = async () => {
      const { out, durable } = setup({ prefix: base, compression: 'none', part_size: '5MiB' }, { stateDir });
      await out.start();
      // The failing part makes a later write reject with the output's sticky error.
      for (const b of batches) await out.write(b).catch(() => {});
      const err = await out.close().then(
        () => undefined,
        (e: unknown) => e,
      );
      return { err, durable };
    };

    const failed = await run();
    expect((failed.err as S3RequestError).kind).toBe('transient');
    expect((failed.err as Error).message).toMatch(/UploadPart \S+ to bucket "[^"]+" failed: InternalError \(HTTP 500\)/);
    expect(failed.durable).toEqual([]);
    const aborts = h.server.requests!.filter((r) => r.method === 'DELETE' && r.url.startsWith(`/${h.server.bucket}/${base}`) && r.url.includes('uploadId='));
    expect(aborts).toHaveLength(1);
    expect(await h.server.list(base)).toEqual([]);

    const rebuilt = await run();
    expect(rebuilt.err).toBeUndefined();
    const keys = await h.server.list(base);
    expect(keys).toHaveLength(1);
    expect((await h.server.get(keys[0]!)).body.equals(Buffer.concat(batches.map((b) => b.data)))).toBe(true);
  }, 120_000);

  it('refuses to start without a region, by name', async () => {
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION, AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_CONFIG_FILE = join(h.tempDir(), 'no-config');
    try {
      const { out } = setup({ region: undefined, prefix: runPrefix() });
      await expect(out.start()).rejects.toThrow(/s3 output "archive": no region: set `region`/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('classifies throttling and server errors as transient, permission errors as configuration', () => {
    expect(classify('SlowDown', 503)).toBe('transient');
    expect(classify('InternalError', 500)).toBe('transient');
    expect(classify('RequestTimeout', 400)).toBe('transient');
    expect(classify('TimeoutError', undefined)).toBe('transient');
    expect(classify('AccessDenied', 403)).toBe('configuration');
    expect(classify('ExpiredToken', 400)).toBe('configuration');
    const slow = s3RequestError('s3 output "a"', 'logs', 'UploadPart', 'k', Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
    expect(slow.message).toBe('s3 output "a": UploadPart k to bucket "logs" failed: SlowDown (HTTP 503): Please reduce your request rate.; retried from the buffer');
    const denied = s3RequestError('s3 output "a"', 'logs', 'PutObject', 'k', Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    expect(denied.message).toMatch(/^s3 output "a": bucket "logs": AccessDenied \(HTTP 403\): access denied/);
  });
});
