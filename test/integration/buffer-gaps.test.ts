// Issue 9 item 3 from outside: `logship buffer verify` exits 1 naming records
// missing before the first segment (segment files deleted while stopped) and
// an impossible ack position; `logship run` on such a buffer logs the loss at
// error with its count, delivers the rest, and its stats count the lost records.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiskBuffer } from '../../src/buffer/disk-buffer.js';
import { segmentFirstId } from '../../src/buffer/segment-format.js';
import { batch, segs } from '../support/buffer-test-kit.js';
import { CLI, baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { esOutput, waitForDocs } from '../support/es-shipping.js';
import { esTarget, usingRealEs } from '../support/es-target.js';
import { readOutput } from '../support/output.js';
import { runWriter } from '../support/writer.js';

// Retried: logship may create a file in it (a checkpoint) while it is being removed.
const rmDir = (dir: string) => rm(dir, { recursive: true, force: true, maxRetries: 10 });

function verify(dir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'buffer', 'verify', '--path', dir], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An output's buffer under `state` with 200 records of ~1 KiB in several 64 KiB segments, closed cleanly. */
async function build(state: string, name: string): Promise<string> {
  const dir = path.join(state, 'buffers', name);
  const b = new DiskBuffer({ dir, maxSize: 1024 ** 3, whenFull: 'block', syncInterval: 1_000_000, segmentSize: 64 * 1024, logger: pino({ level: 'silent' }), onDurable: () => {} });
  await b.open();
  for (let s = 0; s < 20; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
  await b.close();
  return dir;
}

describe('missing buffer segments and impossible state, from outside', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('buffer verify exits 1 naming the records missing before the first segment', async () => {
    const root = await h.tmp('gaps');
    const dir = await build(path.join(root, 'state'), 'out');
    const files = await segs(dir);
    expect(verify(dir).status).toBe(0);
    await unlink(path.join(dir, files[0]!));
    const first = segmentFirstId(files[1]!)!;
    const r = verify(dir);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`records 0..${first - 1} are missing before the first segment`);
    expect(r.stderr).toContain(`${first} records lost`);
  });

  it('buffer verify exits 1 naming the records missing after the last segment (the newest deleted)', async () => {
    const root = await h.tmp('gaps-end');
    const dir = await build(path.join(root, 'state'), 'out');
    const files = await segs(dir);
    await unlink(path.join(dir, files.at(-1)!));
    const lastFirst = segmentFirstId(files.at(-1)!)!;
    const r = verify(dir);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`records ${lastFirst}..199 are missing after the last segment (tail.json says the next record is 200): ${200 - lastFirst} records lost`);
  });

  it('buffer verify exits 1 when every segment is gone (tail.json names the next record)', async () => {
    const root = await h.tmp('gaps-all');
    const dir = await build(path.join(root, 'state'), 'out');
    for (const f of await segs(dir)) await unlink(path.join(dir, f));
    const r = verify(dir);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('records 0..199 are missing (no segment files; tail.json says the next record is 200): 200 records lost');
  });

  it('buffer verify exits 1 naming an impossible ack position', async () => {
    const root = await h.tmp('gaps-ack');
    const dir = await build(path.join(root, 'state'), 'out');
    await writeFile(path.join(dir, 'ack.json'), JSON.stringify({ acked_id: 10_000, segment: 0, offset: 8 }));
    const r = verify(dir);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('impossible ack position: acked_id 10000 is past the last record in the segments (199)');
  });

  it('logship run on a buffer whose oldest segment was deleted: the loss is logged with its count and counted, the rest delivered', async () => {
    const root = await h.tmp('gaps-run');
    const state = path.join(root, 'state');
    const dir = await build(state, 'file-0');
    const files = await segs(dir);
    await unlink(path.join(dir, files[0]!));
    const first = segmentFirstId(files[1]!)!;
    const cfg = baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }], { name: 'file-0' });
    const proc = h.start(await writeConfig(root, cfg));
    const out = path.join(root, 'out');
    const deadline = Date.now() + 120_000;
    const delivered = async () => (existsSync(out) ? readOutput(out).events.length : 0);
    while ((await delivered()) < 200 - first) {
      if (!proc.running || Date.now() > deadline) throw new Error(`delivered ${await delivered()} of ${200 - first}: ${proc.describe()}`);
      await sleep(200);
    }
    expect((await proc.stop()).code).toBe(0);
    const lost = proc.logRecords().filter((r) => r.level === 'error' && /missing before the first segment/.test(String(r.msg)));
    expect(lost).toEqual([expect.objectContaining({ firstMissingId: 0, lastMissingId: first - 1, missing: first })]);
    const final = proc.logRecords().find((r) => r.msg === 'final stats' && r.output === 'file-0') as { buffer: { lostRecords: number } } | undefined;
    expect(final?.buffer.lostRecords).toBe(first);
  });

  it.skipIf(usingRealEs())('the state directory deleted while running with the output down: detected, the loss logged with its count and counted; everything after it delivered', async () => {
    const target = await esTarget();
    const server = target.server!;
    try {
      const root = await h.tmp('gaps-vanish');
      const state = path.join(root, 'state');
      const log = path.join(root, 'logs', 'app.log');
      const index = 'ls-vanish';
      const cfg = await writeConfig(root, { ...baseConfig(root, [{ name: 'app', paths: [log] }]), outputs: [esOutput(target, { index })] });
      await server.down('503');
      await runWriter({ file: log, count: 2_000 });
      const proc = h.start(cfg);
      const buf = path.join(state, 'buffers', 'es');
      // Wait until the first lines are in the buffer (its first segment holds records).
      const deadline = Date.now() + 120_000;
      while (!(existsSync(buf) && (await segs(buf)).length > 0 && existsSync(path.join(state, 'checkpoints.json')))) {
        if (!proc.running || Date.now() > deadline) throw new Error(`the buffer never filled: ${proc.describe()}`);
        await sleep(100);
      }
      await rmDir(state);
      await runWriter({ file: log, start: 2_001, count: 2_000 });
      let vanished: Record<string, unknown> | undefined;
      while (!(vanished = proc.logRecords().find((r) => r.level === 'error' && /buffer directory vanished/.test(String(r.msg))))) {
        if (!proc.running || Date.now() > deadline) throw new Error(`the deletion was never reported: ${proc.describe()}`);
        await sleep(100);
      }
      const lost = vanished.lost as number;
      expect(lost).toBeGreaterThan(0);
      await server.up();
      await waitForDocs(target, index, 4_000 - lost, { proc, timeoutMs: 180_000 });
      expect((await proc.stop()).code).toBe(0);
      expect(await target.count(index), 'every line is delivered or counted lost, once').toBe(4_000 - lost);
      const final = proc.logRecords().find((r) => r.msg === 'final stats' && r.output === 'es') as { buffer: { lostRecords: number; dirVanished: number } } | undefined;
      expect(final?.buffer).toMatchObject({ lostRecords: lost, dirVanished: 1 });
    } finally {
      await target.close();
    }
  }, 300_000);
});
