// Issue 9 item 2, a full disk: `buffer.path` on a real 20 MiB tmpfs, most of
// it taken by a filler file, the Elasticsearch output down. logship fills the
// rest, says so once at error, and waits (reading pauses: the source file
// holds the rest). A restart while the disk is full must start. With the
// output back up it must deliver everything on the same full disk (the ack is
// rewritten in place, acknowledged segments are freed, the last one recycled),
// exactly once. Mounting needs root (CI runs as root); anyone else skips, said
// in the test's name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esOutput, shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { esTarget, usingRealEs } from '../support/es-target.js';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, summarize } from '../support/output.js';
import { runWriter } from '../support/writer.js';

const IS_ROOT = process.getuid?.() === 0;
const N = 30_000;
const TMPFS_MB = 20;
/** What the filler leaves free: a few MiB, filled by logship in seconds. */
const FILLER_BYTES = 16 * 1024 * 1024;

/** Waits for a log record matching `pred`, failing if logship exits first. No clock in the assertion: a generous cap only. */
async function waitForLog(proc: LogshipProcess, what: string, pred: (r: Record<string, unknown>) => boolean, timeoutMs = 180_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = proc.logRecords().find(pred);
    if (hit) return hit;
    if (!proc.running) throw new Error(`logship exited before logging ${what}: ${proc.describe()}`);
    if (Date.now() > deadline) throw new Error(`no log line ${what} within ${timeoutMs / 1000} s: ${proc.describe()}`);
    await sleep(200);
  }
}

/** The /metrics text of a running logship (its status server on an ephemeral loopback port). */
async function scrape(proc: LogshipProcess): Promise<string> {
  const rec = await waitForLog(proc, 'the status server', (r) => r.msg === 'status server listening (/livez /readyz /metrics)');
  return (await fetch(`http://127.0.0.1:${String(rec.port)}/metrics`)).text();
}

const diskFullLine = (mnt: string) => (r: Record<string, unknown>) => r.level === 'error' && /disk full/.test(String(r.msg)) && String(r.path).startsWith(mnt);

describe.skipIf(!IS_ROOT || usingRealEs())(`buffer on a full disk (a real ${TMPFS_MB} MiB tmpfs; skipped unless root, which mounting needs)`, () => {
  const h = useHarness();
  let mnt = '';
  beforeAll(() => {
    requireEngine();
    mnt = mkdtempSync(path.join(os.tmpdir(), 'logship-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_MB}m`, 'tmpfs', mnt]);
  });
  afterAll(() => {
    if (!mnt) return;
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it.each([
    { label: 'default segment_size (one segment fills the disk: recycled once delivered)', segment: undefined, sub: 'one' },
    { label: 'segment_size 256KiB (acknowledged segments freed on the full disk)', segment: '256KiB', sub: 'many' },
  ])(
    '$label: waits without dying, restarts on the full disk, then delivers every line exactly once',
    async ({ segment, sub }) => {
      const target = await esTarget();
      const server = target.server!;
      const state = path.join(mnt, sub);
      const filler = path.join(mnt, `filler-${sub}`);
      try {
        const root = await h.tmp('full-disk');
        const log = path.join(root, 'logs', 'app.log');
        const index = `ls-full-disk-${sub}`;
        writeFileSync(filler, Buffer.alloc(FILLER_BYTES, 1));
        await runWriter({ file: log, count: N });
        const cfg = await writeConfig(root, {
          ...baseConfig(root, [{ name: 'app', paths: [log] }]),
          buffer: { path: state, ...(segment && { segment_size: segment }) },
          shutdown: { timeout: '3s' },
          server: { listen: '127.0.0.1:0' },
          outputs: [esOutput(target, { index })],
        });
        await server.down('503');

        // 1. The disk fills: said at error with the path, and logship keeps running.
        const first = h.start(cfg);
        await waitForLog(first, 'disk full', diskFullLine(mnt));
        expect(first.running, first.describe()).toBe(true);
        expect(first.logRecords().filter((r) => r.level === 'fatal'), 'nothing fatal').toEqual([]);
        const metrics = await scrape(first);
        expect(metrics).toMatch(/^logship_buffer_disk_full\{output="es"\} 1$/m);
        expect(metrics).toMatch(/^logship_buffer_write_errors_total\{output="es",reason="ENOSPC"\} [1-9]\d*$/m);

        // 2. A restart while the disk is full: the stop is clean and the start succeeds (and meets the full disk again).
        expect((await first.stop()).code, first.describe()).toBe(0);
        const second = h.start(cfg);
        await waitForLog(second, 'disk full after the restart', diskFullLine(mnt));
        expect(second.running, second.describe()).toBe(true);

        // 3. The output back up, the filler still there: everything is delivered on the full disk.
        await server.up();
        await waitForDocs(target, index, N, { proc: second, timeoutMs: 300_000, stallMs: 60_000 });
        await waitForLog(second, 'appends working again', (r) => /append works again/.test(String(r.msg)));
        expect((await second.stop()).code, second.describe()).toBe(0);
        const report = checkNumbered(await shippedDocs(target, index), { last: N });
        expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0 });
        expect(server.ids(index)).toHaveLength(N);
        for (const p of [first, second]) expect(p.logRecords().filter((r) => r.level === 'fatal'), p.describe()).toEqual([]);
      } finally {
        rmSync(filler, { force: true });
        rmSync(state, { recursive: true, force: true });
        await target.close();
      }
    },
    600_000,
  );
});
