// The S3 output's metrics (logship_output_* upload metrics) as /metrics exposes them, after real uploads through the AWS SDK to s3rver:
// objects, stored bytes, parts, request durations (a histogram), failures by reason, open objects and their age.
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createS3Output } from '../../outputs/s3/index.js';
import type { OutputCounters } from '../../src/output/contract.js';
import { createMetrics, type MetricsSource } from '../../src/server/metrics.js';
import { eventBatch } from '../support/records.js';
import { useS3Harness } from '../support/s3-unit.js';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 11, 6, 21, 0, 0);

const h = useS3Harness('s3-metrics');

/** An output on `counters` (the lane's: they outlive a rebuild). */
function output(raw: Record<string, unknown>, counters: OutputCounters) {
  const out = createS3Output(h.config(raw), { logger, counters, stateDir: h.tempDir(), onDurable: () => {} });
  h.track(out);
  return out;
}

function batch(seq: number, n: number, bytesEach: number): ReturnType<typeof eventBatch> {
  const jsons = Array.from({ length: n }, (_, i) => JSON.stringify({ '@timestamp': new Date(T0 + i).toISOString(), event: { id: `m${seq}x${i}` }, message: randomBytes(bytesEach / 2).toString('hex') }));
  return eventBatch(seq, jsons, { times: jsons.map((_, i) => T0 + i), ids: jsons.map((_, i) => `m${seq}x${i}`) });
}

/** The value of one series in an exposition, or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('s3 metrics', () => {
  it('counts objects, stored bytes, parts, request durations and failures by reason; open objects and their age while one is open', async ({ skip }) => {
    if (!h.server.local) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const counters: OutputCounters = { events: {}, requests: {} };
    const source: MetricsSource = { inputs: () => [], outputs: () => [{ output: 'archive', buffer: { bytes: 0, pending: 0, droppedEvents: 0, quarantinedPlaces: 0, quarantinedBytes: 0, lostRecords: 0, diskFull: false, dirVanished: 0, writeErrors: {} } as never, counters }], checkpoint: () => ({ writeErrors: {}, diskFull: false }) };
    const registry = createMetrics(source);

    // A throttled PutObject fails the first output; the rebuilt one (same counters, as the lane keeps them) uploads.
    h.server.faults!.push({ match: (method, url) => method === 'PUT' && url.includes(base) && !url.includes('partNumber='), status: 503, code: 'SlowDown', times: 1 });
    const first = output({ prefix: base, compression: 'none' }, counters);
    await first.start();
    await first.write(batch(1, 10, 100));
    const open = await registry.metrics();
    expect(value(open, 'logship_output_open_objects{output="archive"}')).toBe(1);
    expect(value(open, 'logship_output_oldest_open_object_age_seconds{output="archive"}')).toBeGreaterThanOrEqual(0);
    await expect(first.close()).rejects.toThrow(/SlowDown/);

    const second = output({ prefix: base, compression: 'none' }, counters);
    await second.start();
    await second.write(batch(1, 10, 100));
    await second.close();
    // Then an object in parts.
    const third = output({ prefix: base, compression: 'none', part_size: '5MiB', object: { max_bytes: '6MiB' } }, counters);
    await third.start();
    await third.write(batch(2, 60_000, 100));
    await third.close();

    const text = await registry.metrics();
    const keys = await h.server.list(base);
    const stored = (await Promise.all(keys.map(async (k) => (await h.server.get(k)).body.length))).reduce((a, b) => a + b, 0);
    const partRequests = h.server.requests!.filter((r) => r.method === 'PUT' && r.url.includes(base) && r.url.includes('partNumber=')).length;
    expect(keys).toHaveLength(2);
    expect(value(text, 'logship_output_objects_uploaded_total{output="archive"}')).toBe(2);
    expect(value(text, 'logship_output_uploaded_bytes_total{output="archive"}')).toBe(stored);
    // Uncompressed objects: what was stored is what was appended.
    expect(value(text, 'logship_output_uploaded_raw_bytes_total{output="archive"}')).toBe(stored);
    expect(value(text, 'logship_output_upload_parts_total{output="archive"}')).toBe(partRequests);
    expect(partRequests).toBeGreaterThanOrEqual(2);
    expect(value(text, 'logship_output_upload_failures_total{output="archive",reason="SlowDown"}')).toBe(1);
    expect(value(text, 'logship_output_open_objects{output="archive"}')).toBe(0);
    expect(value(text, 'logship_output_oldest_open_object_age_seconds{output="archive"}')).toBe(0);
    // PutObject twice (one throttled, one uploaded); each histogram's +Inf bucket is its count.
    expect(text).toContain('# TYPE logship_output_upload_request_duration_seconds histogram');
    expect(value(text, 'logship_output_upload_request_duration_seconds_count{output="archive",request="PutObject"}')).toBe(2);
    expect(value(text, 'logship_output_upload_request_duration_seconds_bucket{output="archive",request="PutObject",le="+Inf"}')).toBe(2);
    expect(value(text, 'logship_output_upload_request_duration_seconds_count{output="archive",request="UploadPart"}')).toBe(partRequests);
    expect(value(text, 'logship_output_upload_request_duration_seconds_count{output="archive",request="CompleteMultipartUpload"}')).toBe(1);
    expect(value(text, 'logship_output_upload_request_duration_seconds_sum{output="archive",request="UploadPart"}')).toBeGreaterThan(0);
  }, 120_000);

  it('counts gzip objects both as stored and before compression: the two give the compression ratio', async ({ skip }) => {
    if (!h.server.local) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const counters: OutputCounters = { events: {}, requests: {} };
    const registry = createMetrics({ inputs: () => [], outputs: () => [{ output: 'archive', buffer: { bytes: 0, pending: 0, droppedEvents: 0, quarantinedPlaces: 0, quarantinedBytes: 0, lostRecords: 0, diskFull: false, dirVanished: 0, writeErrors: {} } as never, counters }], checkpoint: () => ({ writeErrors: {}, diskFull: false }) });
    const out = output({ prefix: base, compression: 'gzip' }, counters);
    await out.start();
    await out.write(batch(1, 2_000, 200));
    await out.close();
    const bodies = await Promise.all((await h.server.list(base)).map(async (k) => (await h.server.get(k)).body));
    const text = await registry.metrics();
    expect(value(text, 'logship_output_uploaded_bytes_total{output="archive"}')).toBe(bodies.reduce((n, b) => n + b.length, 0));
    expect(value(text, 'logship_output_uploaded_raw_bytes_total{output="archive"}')).toBe(bodies.reduce((n, b) => n + gunzipSync(b).length, 0));
  }, 60_000);
});
