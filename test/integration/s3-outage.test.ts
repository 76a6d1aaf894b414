// Issue 12: the S3 server down for 60 s in the middle of a run. logship (dist/cli.js) ships to s3rver behind the
// test proxy (test/support/s3-server.ts), whose outage switch drops every connection. Lines written before and
// during the outage: the failure is logged and shown on /health, nothing is acknowledged while it lasts, and once
// the server is back every line arrives exactly once.
import { randomBytes } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusPortOf } from '../support/admin.js';
import { sleep, until, useHarness } from '../support/logship-process.js';
import { useS3Server } from '../support/s3-server.js';
import { archiveAckedId, s3Messages, s3ShippingConfig } from '../support/s3-shipping.js';

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
    const proc = h.start(
      await s3ShippingConfig(s3.server, root, file, { prefix: `${base}%Y/`, object: { max_age: '1s' } }, { top: { server: { listen: '127.0.0.1:0', health: { output_failure_grace: '1s' } } } }),
    );
    const port = await statusPortOf(proc);
    await until('the first lines acknowledged', proc, () => archiveAckedId(root) === before.length - 1);

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
      expect(archiveAckedId(root)).toBe(before.length - 1);
    } finally {
      outage.down = false;
    }

    await until('every line acknowledged', proc, () => archiveAckedId(root) === before.length + during.length - 1, 180_000);
    await until('/health ok', proc, async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200);
    expect((await proc.stop()).code).toBe(0);
    const received = await s3Messages(s3.server, base);
    expect(received.length).toBe(before.length + during.length);
    expect(new Set(received)).toEqual(new Set([...before, ...during]));
  }, 400_000);
});
