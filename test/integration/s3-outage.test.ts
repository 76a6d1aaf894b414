// Issue 12: the S3 server down for 60 s in the middle of a run. logship (dist/cli.js) ships to s3rver behind the
// test proxy (test/support/s3-server.ts), whose outage switch drops every connection. Lines written before and
// during the outage: the failure is logged and shown on /health, nothing is acknowledged while it lasts, and once
// the server is back every line arrives exactly once.
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { S3RVER_KEYS, useS3Server } from '../support/s3-server.js';

const s3 = useS3Server({ engine: true });

const REBUILD_LOG = 'output failed; rebuilding it and delivering again from the oldest unacknowledged record';
const OUTAGE_MS = 60_000;

describe('s3 output, server down for 60 s', () => {
  const h = useHarness();

  it('reports the failure in the log and on /health, keeps everything buffered, and delivers every line once after', async ({ skip }) => {
    if (s3.server.outage === undefined) return skip();
    const outage = s3.server.outage;
    const root = await h.tmp('s3-outage');
    const file = path.join(root, 'logs', 'app.log');
    const before = Array.from({ length: 2000 }, (_, i) => `before-${i} ${randomBytes(24).toString('hex')}`);
    const during = Array.from({ length: 2000 }, (_, i) => `during-${i} ${randomBytes(24).toString('hex')}`);
    writeFileSync(file, `${before.join('\n')}\n`);
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const proc = h.start(await config(root, file, base));
    const port = (await until('the status server', proc, () => proc.logRecords().find((r) => r.msg === 'status server listening (/livez /readyz /metrics)'))).port as number;
    await until('the first lines acknowledged', proc, () => ackedId(root) === before.length - 1);

    const downAt = Date.now();
    outage.down = true;
    try {
      appendFileSync(file, `${during.join('\n')}\n`);
      const failure = await until('the failure logged', proc, () => proc.logRecords().find((r) => r.msg === REBUILD_LOG && r.output === 'archive'));
      expect(String(failure.err)).toMatch(/retried from the buffer/);
      const failing = await until('/health failing', proc, async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health?format=json`);
        const body = (await res.json()) as { problems: { check: string; output: string | null; reason: string }[] };
        return res.status === 503 && body.problems.find((p) => p.check === 'output_failing' && p.output === 'archive');
      });
      expect(failing.reason).toMatch(/archive/);
      // The outage itself lasts 60 s; nothing is acknowledged meanwhile.
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
      expect(ackedId(root)).toBe(before.length - 1);
    } finally {
      outage.down = false;
    }

    await until('every line acknowledged', proc, () => ackedId(root) === before.length + during.length - 1, 180_000);
    await until('/health ok', proc, async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200);
    expect((await proc.stop()).code).toBe(0);
    const received = await messages(base);
    expect(received.length).toBe(before.length + during.length);
    expect(new Set(received)).toEqual(new Set([...before, ...during]));
  }, 400_000);
});

async function config(root: string, file: string, base: string): Promise<string> {
  writeFileSync(path.join(root, 'key-id'), S3RVER_KEYS.accessKeyId);
  writeFileSync(path.join(root, 'secret'), S3RVER_KEYS.secretAccessKey);
  return writeConfig(root, {
    inputs: [{ name: 'app', paths: [file], start_at: 'beginning', poll_interval: '250ms' }],
    buffer: { path: path.join(root, 'state') },
    checkpoint: { interval: '1s' },
    server: { listen: '127.0.0.1:0', health: { output_failure_grace: '1s' } },
    outputs: [
      {
        name: 'archive',
        type: 's3',
        bucket: s3.server.bucket,
        region: s3.server.region,
        endpoint: s3.server.endpoint,
        force_path_style: true,
        credentials: { access_key_id_file: path.join(root, 'key-id'), secret_access_key_file: path.join(root, 'secret') },
        prefix: `${base}%Y/`,
        object: { max_age: '1s' },
      },
    ],
  });
}

function ackedId(root: string): number {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'state', 'buffers', 'archive', 'ack.json'), 'utf8')) as { acked_id: number }).acked_id;
  } catch {
    return -1;
  }
}

/** Polls `probe` until it gives something truthy (generous deadline: the rebuild backoff grows to 30 s). */
async function until<T>(what: string, proc: LogshipProcess, probe: () => T | false | undefined | Promise<T | false | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (!proc.running) throw new Error(`logship exited while waiting for ${what}: ${proc.describe()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s: ${proc.describe()}`);
    await sleep(200);
  }
}

async function messages(base: string): Promise<string[]> {
  const got: string[] = [];
  for (const key of await s3.server.list(base)) {
    for (const l of gunzipSync((await s3.server.get(key)).body).toString('utf8').split('\n')) if (l !== '') got.push((JSON.parse(l) as { message: string }).message);
  }
  return got;
}
