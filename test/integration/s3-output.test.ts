// logship (dist/cli.js) with an `s3` output against s3rver on 127.0.0.1 (test/support/s3-server.ts), or against
// LOGSHIP_S3_ENDPOINT + LOGSHIP_S3_BUCKET with AWS credentials from the environment (see test/unit/s3-output.test.ts;
// here the test also creates a bucket named `<LOGSHIP_S3_BUCKET>-late-<random>`).
//
// A bucket that does not exist yet: the output fails by name, logship keeps running and rebuilds it with backoff,
// nothing is acknowledged, and once the bucket exists every line arrives exactly once.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { S3RVER_KEYS, startS3Server, type S3TestServer } from '../support/s3-server.js';

const REBUILD_LOG = 'output failed; rebuilding it and delivering again from the oldest unacknowledged record';

describe('s3 output through logship', () => {
  const h = useHarness();
  let server: S3TestServer;
  beforeAll(async () => {
    requireEngine();
    server = await startS3Server();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reports a missing bucket by name, keeps everything buffered, and delivers every line once the bucket exists', async () => {
    const root = await h.tmp('s3');
    const file = path.join(root, 'logs', 'app.log');
    const lines = Array.from({ length: 2000 }, (_, i) => `line-${i} ${'x'.repeat(i % 50)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const bucket = `${server.bucket}-late-${randomBytes(4).toString('hex')}`;
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const credentials: Record<string, string> = {};
    if (server.local) {
      writeFileSync(path.join(root, 'key-id'), S3RVER_KEYS.accessKeyId);
      writeFileSync(path.join(root, 'secret'), S3RVER_KEYS.secretAccessKey);
      Object.assign(credentials, { access_key_id_file: path.join(root, 'key-id'), secret_access_key_file: path.join(root, 'secret') });
    }
    const cfg = await writeConfig(root, {
      inputs: [{ name: 'app', paths: [file], start_at: 'beginning', poll_interval: '250ms' }],
      buffer: { path: path.join(root, 'state') },
      checkpoint: { interval: '1s' },
      outputs: [
        {
          name: 'archive',
          type: 's3',
          bucket,
          region: server.region,
          endpoint: server.endpoint,
          force_path_style: true,
          ...(server.local && { credentials }),
          prefix: `${base}%Y/`,
          object: { max_age: '1s' },
        },
      ],
    });
    const proc = h.start(cfg);

    const failure = await waitForLog(proc, (r) => r.msg === REBUILD_LOG && String(r.err).includes(`bucket "${bucket}": NoSuchBucket`));
    expect(String(failure.err)).toMatch(/the bucket does not exist/);
    expect(proc.running).toBe(true);

    await server.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const read = async (): Promise<string[]> => {
      const got: string[] = [];
      for (const key of await server.list(base, bucket)) {
        const body = gunzipSync((await server.get(key, bucket)).body);
        for (const l of body.toString('utf8').split('\n')) if (l !== '') got.push((JSON.parse(l) as { message: string }).message);
      }
      return got;
    };
    // Generous: the rebuild backoff grows while the bucket is missing (up to 30 s).
    const deadline = Date.now() + 120_000;
    let received = await read();
    while (received.length < lines.length) {
      if (Date.now() > deadline || !proc.running) throw new Error(`${received.length} of ${lines.length} lines in the bucket\n${proc.describe()}`);
      await sleep(500);
      received = await read();
    }
    expect((await proc.stop()).code).toBe(0);
    received = await read();
    expect(received.length).toBe(lines.length);
    expect([...received].sort()).toEqual([...lines].sort());
  }, 180_000);
});

async function waitForLog(proc: ReturnType<ReturnType<typeof useHarness>['start']>, match: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = proc.logRecords().find(match);
    if (found) return found;
    if (Date.now() > deadline || !proc.running) throw new Error(`log line not seen\n${proc.describe()}`);
    await sleep(100);
  }
}
