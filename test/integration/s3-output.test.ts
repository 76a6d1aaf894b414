// logship (dist/cli.js) with an `s3` output against s3rver on 127.0.0.1 (test/support/s3-server.ts), or against
// LOGSHIP_S3_ENDPOINT + LOGSHIP_S3_BUCKET with AWS credentials from the environment (see test/unit/s3-output.test.ts;
// here the test also creates a bucket named `<LOGSHIP_S3_BUCKET>-late-<random>`).
//
// A bucket that does not exist yet: the output fails by name, logship keeps running and rebuilds it with backoff,
// nothing is acknowledged, and once the bucket exists every line arrives exactly once.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { sleep, useHarness, type LogshipProcess } from '../support/logship-process.js';
import { S3RVER_KEYS, useS3Server } from '../support/s3-server.js';
import { s3Messages, s3ShippingConfig } from '../support/s3-shipping.js';

const s3 = useS3Server({ engine: true });

const REBUILD_LOG = 'output failed; rebuilding it and delivering again from the oldest unacknowledged record';

describe('s3 output through logship', () => {
  const h = useHarness();

  it('reports a missing bucket by name, keeps everything buffered, and delivers every line once the bucket exists', async () => {
    const root = await h.tmp('s3');
    const file = path.join(root, 'logs', 'app.log');
    const lines = Array.from({ length: 2000 }, (_, i) => `line-${i} ${'x'.repeat(i % 50)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const bucket = `${s3.server.bucket}-late-${randomBytes(4).toString('hex')}`;
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const cfg = await s3Config(root, file, bucket, base);
    const proc = h.start(cfg);

    // The start-up line names the bucket, the writer id and the kind of credentials, never a secret.
    const started = await waitForLog(proc, (r) => r.bucket === bucket && typeof r.writerId === 'string');
    if (s3.server.local) expect(started.credentials).toBe(`static keys from ${path.join(root, 'key-id')}`);
    else expect(started.credentials).toMatch(/^the AWS SDK default chain: /);
    if (s3.server.local) expect(proc.stderr).not.toContain(S3RVER_KEYS.secretAccessKey);
    const failure = await waitForLog(proc, (r) => r.msg === REBUILD_LOG && String(r.err).includes(`bucket "${bucket}": NoSuchBucket`));
    expect(String(failure.err)).toMatch(/the bucket does not exist/);
    expect(proc.running).toBe(true);

    await s3.server.client.send(new CreateBucketCommand({ Bucket: bucket }));
    await waitForMessages(proc, bucket, base, lines.length);
    expect((await proc.stop()).code).toBe(0);
    const received = await messages(bucket, base);
    expect(received.length).toBe(lines.length);
    expect([...received].sort()).toEqual([...lines].sort());
  }, 180_000);

  it('retries throttling (503 SlowDown) from the buffer and delivers every line once', async ({ skip }) => {
    if (s3.server.faults === undefined) return skip();
    const root = await h.tmp('s3');
    const file = path.join(root, 'logs', 'app.log');
    const lines = Array.from({ length: 1000 }, (_, i) => `slow-${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    s3.server.faults.push({ match: (method, url) => method === 'PUT' && url.startsWith(`/${s3.server.bucket}/${base}`), status: 503, code: 'SlowDown', times: 3 });
    const proc = h.start(await s3Config(root, file, s3.server.bucket, base));

    await waitForMessages(proc, s3.server.bucket, base, lines.length);
    const retried = proc.logRecords().filter((r) => r.msg === REBUILD_LOG && /failed: SlowDown \(HTTP 503\).*retried from the buffer/.test(String(r.err)));
    // Each throttled upload fails the output (a failure while it closes is not logged again), and all three were answered.
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(s3.server.faults.every((f) => f.times === 0)).toBe(true);
    expect((await proc.stop()).code).toBe(0);
    const received = await messages(s3.server.bucket, base);
    expect(received.length).toBe(lines.length);
    expect([...received].sort()).toEqual([...lines].sort());
  }, 180_000);
  it('loses nothing while the server is unreachable: the failure is reported, everything is delivered once it is back', async ({ skip }) => {
    if (s3.server.outage === undefined) return skip();
    const root = await h.tmp('s3');
    const file = path.join(root, 'logs', 'app.log');
    const before = Array.from({ length: 1000 }, (_, i) => `before-${i}`);
    const during = Array.from({ length: 1000 }, (_, i) => `during-${i}`);
    writeFileSync(file, `${before.join('\n')}\n`);
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    s3.server.outage.down = true;
    try {
      const proc = h.start(await s3Config(root, file, s3.server.bucket, base));
      await waitForLog(proc, (r) => r.msg === REBUILD_LOG && /failed: (ECONNRESET|socket hang up).*retried from the buffer/i.test(String(r.err)));
      appendFileSync(file, `${during.join('\n')}\n`);
      // Still down after the new lines are read: a second failure, later than the append.
      const failures = () => proc.logRecords().filter((r) => r.msg === REBUILD_LOG).length;
      const seen = failures();
      await waitForLog(proc, () => failures() > seen);
      expect(await s3.server.list(base)).toEqual([]);
      s3.server.outage.down = false;

      await waitForMessages(proc, s3.server.bucket, base, before.length + during.length);
      expect((await proc.stop()).code).toBe(0);
      const received = await messages(s3.server.bucket, base);
      expect([...received].sort()).toEqual([...before, ...during].sort());
    } finally {
      s3.server.outage.down = false;
    }
  }, 240_000);
  it('two instances with their own state writing one prefix never share a key: the same file shipped by both arrives twice', async () => {
    const root = await h.tmp('s3');
    const file = path.join(root, 'logs', 'app.log');
    const lines = Array.from({ length: 1000 }, (_, i) => `shared-${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    // Same file, same events (same event ids), same bucket and prefix; separate state directories.
    const procs = [];
    for (const n of [1, 2]) {
      const dir = path.join(root, `instance-${n}`);
      mkdirSync(dir);
      procs.push(h.start(await s3Config(dir, file, s3.server.bucket, base)));
    }
    await waitForMessages(procs[0]!, s3.server.bucket, base, 2 * lines.length);
    for (const p of procs) expect((await p.stop()).code).toBe(0);

    const received = await messages(s3.server.bucket, base);
    const counts = new Map<string, number>();
    for (const m of received) counts.set(m, (counts.get(m) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...lines].sort());
    expect([...counts.values()].every((c) => c === 2)).toBe(true);
    const writers = new Set((await s3.server.list(base)).map((k) => k.slice(k.lastIndexOf('/') + 1).split('-')[0]));
    expect(writers.size).toBe(2);
  }, 180_000);
  it('kill -9 during uploads, three times, loses nothing (at-least-once: duplicates are counted, not ruled out yet)', async ({ skip }) => {
    if (s3.server.requests === undefined) return skip();
    const root = await h.tmp('s3');
    const file = path.join(root, 'logs', 'app.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `killed-${i} ${'y'.repeat(i % 40)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const cfg = await s3Config(root, file, s3.server.bucket, base, { max_age: '1s', max_bytes: '64KiB' });
    const uploads = () => s3.server.requests!.filter((r) => r.method === 'PUT' && r.url.startsWith(`/${s3.server.bucket}/${base}`)).length;

    for (let kill = 1; kill <= 3; kill++) {
      const proc = h.start(cfg);
      // Killed once it has sent one more upload: right after it, or with the next one in flight.
      const target = uploads() + 1;
      const deadline = Date.now() + 120_000;
      while (uploads() < target) {
        if (Date.now() > deadline || !proc.running) throw new Error(`${uploads()} of ${target} uploads\n${proc.describe()}`);
        await sleep(20);
      }
      await proc.kill9();
    }

    const proc = h.start(cfg);
    // Up and running (the earlier runs may already have uploaded every line) before it is stopped.
    await waitForLog(proc, (r) => typeof r.writerId === 'string');
    const deadline = Date.now() + 120_000;
    const wanted = new Set(lines);
    for (let got = new Set(await messages(s3.server.bucket, base, true)); [...wanted].some((l) => !got.has(l)); got = new Set(await messages(s3.server.bucket, base, true))) {
      if (Date.now() > deadline || !proc.running) throw new Error(`${got.size} of ${lines.length} distinct lines in the bucket\n${proc.describe()}`);
      await sleep(500);
    }
    expect((await proc.stop()).code).toBe(0);
    const received = await messages(s3.server.bucket, base);
    expect(new Set(received)).toEqual(wanted);
    h.note(`kill -9 x3: ${received.length - lines.length} duplicate lines of ${lines.length}`);
  }, 300_000);
});

/** A config tailing `file` into an `s3` output to `bucket` under `base`, objects closed after 1 s unless `object` says otherwise. */
function s3Config(root: string, file: string, bucket: string, base: string, object: Record<string, string> = { max_age: '1s' }): Promise<string> {
  return s3ShippingConfig(s3.server, root, file, { bucket, prefix: `${base}%Y/`, object });
}

/** Every event's message in `bucket` under `base` (see s3Messages). */
function messages(bucket: string, base: string, whileRunning = false): Promise<string[]> {
  return s3Messages(s3.server, base, { bucket, whileRunning });
}

/** Waits (generously: the rebuild backoff grows to 30 s) until `count` events are in the bucket. */
async function waitForMessages(proc: LogshipProcess, bucket: string, base: string, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (let got = await messages(bucket, base, true); got.length < count; got = await messages(bucket, base, true)) {
    if (Date.now() > deadline || !proc.running) throw new Error(`${got.length} of ${count} lines in the bucket\n${proc.describe()}`);
    await sleep(500);
  }
}

async function waitForLog(proc: LogshipProcess, match: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = proc.logRecords().find(match);
    if (found) return found;
    if (Date.now() > deadline || !proc.running) throw new Error(`log line not seen\n${proc.describe()}`);
    await sleep(100);
  }
}
