// Issue 12, effectively-once across crashes: logship (dist/cli.js) with an `s3` output to s3rver behind the test
// proxy (test/support/s3-server.ts) is killed with SIGKILL ten times, at moments the proxy makes reachable by
// holding one request: before a PutObject reaches the server, after the server stored it but before logship hears
// (right after it "returns" on the server's side), before and after CompleteMultipartUpload (between the last part
// and Complete), before an UploadPart, and at random request counts. The bucket then holds every line exactly once
// across its objects, the proxy saw no key written with two different contents, and no multipart upload is left open.
import { randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitForCheckpoint } from '../support/buffer-files.js';
import { sleep, useHarness } from '../support/logship-process.js';
import { prng } from '../support/prng.js';
import { type HeldRequest, useS3Server } from '../support/s3-server.js';
import { archiveAckedId, s3Messages, s3ShippingConfig } from '../support/s3-shipping.js';

const s3 = useS3Server({ engine: true });

type Moment = 'put-before' | 'put-after' | 'complete-before' | 'complete-after' | 'part-before' | 'random';

describe('s3 output, kill -9 during uploads', () => {
  const h = useHarness();

  it('ten kills at held and random moments: every line once in the bucket, no key with two contents, no upload left open', async ({ skip }) => {
    if (s3.server.proxy === undefined) return skip();
    const proxy = s3.server.proxy;
    const root = await h.tmp('s3-crash');
    const file = path.join(root, 'logs', 'app.log');
    const random = prng(0x5eed12);
    const text = (n: number): string => randomBytes(Math.ceil(n * 0.75)).toString('base64').slice(0, n);
    // 2,500 short lines (five 500-event objects, one PutObject each), 500 lines of 16 KiB (~6 MiB of gzip: one
    // object closed at 5.5 MiB, a multipart upload of a 5 MiB part and a last one), 2,500 short lines again.
    const lines = [
      ...Array.from({ length: 2500 }, (_, i) => `a-${i} ${text(100)}`),
      ...Array.from({ length: 500 }, (_, i) => `b-${i} ${text(16 * 1024)}`),
      ...Array.from({ length: 2500 }, (_, i) => `c-${i} ${text(100)}`),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const cfg = await config(root, file, base);

    const inBase = (url: string): boolean => url.startsWith(`/${s3.server.bucket}/${base}`);
    const matchers: Record<Exclude<Moment, 'random'>, HeldRequest['match']> = {
      'put-before': (m, u) => m === 'PUT' && inBase(u) && !u.includes('uploadId'),
      'put-after': (m, u) => m === 'PUT' && inBase(u) && !u.includes('uploadId'),
      'complete-before': (m, u) => m === 'POST' && inBase(u) && u.includes('uploadId'),
      'complete-after': (m, u) => m === 'POST' && inBase(u) && u.includes('uploadId'),
      'part-before': (m, u) => m === 'PUT' && inBase(u) && u.includes('uploadId'),
    };
    // The moments the issue names come first, while the multipart object is surely not acknowledged yet.
    const moments: Moment[] = ['complete-before', 'complete-after', 'put-after', 'part-before', 'put-before', 'random', 'put-after', 'random', 'put-before', 'random'];
    const reached: string[] = [];
    const uploads = (): number => s3.server.requests!.filter((r) => inBase(r.url) && r.method !== 'GET').length;

    for (const [run, moment] of moments.entries()) {
      const proc = h.start(cfg);
      let held: HeldRequest | undefined;
      let target = 0;
      if (moment === 'random') target = uploads() + 1 + Math.floor(random() * 6);
      else held = proxy.hold(matchers[moment], moment.endsWith('before') ? 'before' : 'after');
      let hit = false;
      void held?.reached.then(() => (hit = true));
      const deadline = Date.now() + 120_000;
      // Held (or the random count reached), or every line acknowledged: then the moment is unreachable, and noted.
      for (;;) {
        if (held !== undefined ? hit : uploads() >= target) break;
        if (archiveAckedId(root) === lines.length - 1) break;
        if (Date.now() > deadline || !proc.running) throw new Error(`run ${run + 1} (${moment}): not reached\n${proc.describe()}`);
        await sleep(50);
      }
      // The first run reads the whole file before it dies, so no later run reads a line again (the input's own
      // at-least-once is not what this test is about).
      if (run === 0) await waitForCheckpoint(path.join(root, 'state'), file, statSync(file).size, proc, 120_000);
      await proc.kill9();
      if (held !== undefined && !hit) removeHold(held);
      h.note(`run ${run + 1} (${moment}): held ${hit}, ${uploads()} requests so far`);
      reached.push(hit || (held === undefined && uploads() >= target) ? moment : `${moment} (not reached)`);
    }
    h.note(`moments: ${reached.join(', ')}`);
    for (const m of ['complete-before', 'complete-after', 'put-after', 'put-before'] as const) expect(reached).toContain(m);

    const last = h.start(cfg);
    const deadline = Date.now() + 180_000;
    while (archiveAckedId(root) !== lines.length - 1) {
      if (Date.now() > deadline || !last.running) throw new Error(`not all lines delivered\n${last.describe()}`);
      await sleep(500);
    }
    expect((await last.stop()).code).toBe(0);

    const received = await s3Messages(s3.server, base);
    expect(received.length).toBe(lines.length);
    expect(new Set(received).size).toBe(lines.length);
    expect(new Set(received)).toEqual(new Set(lines));
    const written = [...proxy.contents].filter(([k]) => k.startsWith(base));
    const twice = written.filter(([, digests]) => digests.length > 1).map(([k]) => k);
    expect(twice).toEqual([]);
    expect([...proxy.openUploads.values()].filter((k) => k.startsWith(base))).toEqual([]);
    h.note(`${written.length} keys written`);
  }, 600_000);
});

function removeHold(held: HeldRequest): void {
  // An unreached hold must not catch a request of the next run: match nothing from now on.
  held.match = () => false;
}

/**
 * A config tailing `file` into an `s3` output under `base`: gzip, 5 MiB parts, objects of 500 events or 5.5 MiB
 * (the big lines' object closes on size; where exactly depends on timing, so later objects start at other records
 * from run to run unless the journal pins them). Closed on age only after 20 s, for the last object (which holds
 * its records in the buffer until it closes): long enough that the big lines' object reaches its size first.
 */
function config(root: string, file: string, base: string): Promise<string> {
  return s3ShippingConfig(
    s3.server,
    root,
    file,
    { prefix: `${base}%Y/`, part_size: '5MiB', request_timeout: '10s', object: { max_events: 500, max_bytes: '5500KiB', max_age: '20s' } },
    { input: { max_line_bytes: '64KiB' } },
  );
}
