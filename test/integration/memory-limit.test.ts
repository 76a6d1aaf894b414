// logship run sizes itself to a memory limit given the way a Kubernetes
// Downward API resourceFieldRef gives it (LOGSHIP_MEMORY_LIMIT, in bytes).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLimit } from '../../src/runtime/container-limits.js';
import { baseConfig, sleep, useHarness, writeConfig } from '../support/logship-process.js';

const h = useHarness();
const hasExecve = typeof (process as { execve?: unknown }).execve === 'function';

async function budgetRecord(p: ReturnType<typeof h.start>): Promise<Record<string, unknown>> {
  for (;;) {
    const rec = p.logRecords().find((r) => typeof r.msg === 'string' && (r.msg as string).startsWith('memory budget'));
    if (rec) return rec;
    if (!p.running) throw new Error(`exited before logging its memory budget; ${p.describe()}`);
    await sleep(50);
  }
}

/** Stopped only once running: the budget is logged before the signal handlers are installed, and a SIGTERM then is Node's default kill. */
async function stopWhenRunning(p: ReturnType<typeof h.start>): Promise<number | null> {
  while (!p.logRecords().some((r) => r.msg === 'tailing started')) {
    if (!p.running) throw new Error(`exited before it started tailing; ${p.describe()}`);
    await sleep(50);
  }
  return (await p.stop()).code;
}

describe('memory limit awareness', () => {
  it('logs the budget from LOGSHIP_MEMORY_LIMIT and sizes the V8 heap where Node can re-execute in place', async () => {
    const root = await h.tmp('memlimit');
    const cfg = await writeConfig(root, baseConfig(root, [{ paths: [path.join(root, 'logs/*.log')] }]));
    const p = h.start(cfg, { LOGSHIP_MEMORY_LIMIT: String(128 * 1024 * 1024), LOGSHIP_LOG_LEVEL: 'info', NODE_OPTIONS: '' });
    const rec = await budgetRecord(p);
    expect(rec).toMatchObject({ limitMiB: 128, source: 'LOGSHIP_MEMORY_LIMIT', targetRssMiB: 96 });
    expect(rec.v8Flags).toMatch(/^--max-old-space-size=\d+ --max-semi-space-size=\d+$/);
    if (hasExecve) {
      // Same PID, new command line: the kernel shows the flags the process runs with.
      expect(rec.heap).toBe('sized');
      const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
      for (const flag of (rec.v8Flags as string).split(' ')) expect(cmdline).toContain(flag);
    } else {
      expect(rec.heap).toBe('unsupported');
      expect(rec.msg).toContain(`NODE_OPTIONS="${rec.v8Flags as string}"`);
    }
    expect(await stopWhenRunning(p)).toBe(0);
  });

  // Where the tests themselves run under a cgroup limit, logship would find it: the first test covers that case.
  it.skipIf(memoryLimit({}) !== undefined)('without a limit caps only the young generation, re-executing where Node can', async () => {
    const root = await h.tmp('memlimit-none');
    const cfg = await writeConfig(root, baseConfig(root, [{ paths: [path.join(root, 'logs/*.log')] }]));
    const p = h.start(cfg, { LOGSHIP_MEMORY_LIMIT: '', LOGSHIP_LOG_LEVEL: 'debug', NODE_OPTIONS: '' });
    let rec: Record<string, unknown> | undefined;
    while (!(rec = p.logRecords().find((r) => String(r.msg).startsWith('no container memory limit found')))) {
      if (!p.running) throw new Error(`exited before logging its heap sizing; ${p.describe()}`);
      await sleep(50);
    }
    expect(rec.v8Flags).toBe('--max-semi-space-size=16');
    if (hasExecve) {
      expect(rec.heap).toBe('sized');
      expect(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=16');
    } else {
      expect(rec.heap).toBe('unsupported');
    }
    expect(await stopWhenRunning(p)).toBe(0);
  });

  it('leaves heap flags the user set alone', async () => {
    const root = await h.tmp('memlimit-user');
    const cfg = await writeConfig(root, baseConfig(root, [{ paths: [path.join(root, 'logs/*.log')] }]));
    const p = h.start(cfg, { LOGSHIP_MEMORY_LIMIT: '256Mi', LOGSHIP_LOG_LEVEL: 'info', NODE_OPTIONS: '--max-old-space-size=200' });
    const rec = await budgetRecord(p);
    expect(rec).toMatchObject({ heap: 'user', v8Flags: '--max-old-space-size=200', limitMiB: 256 });
    expect(await stopWhenRunning(p)).toBe(0);
  });

  it('refuses to start on an unreadable LOGSHIP_MEMORY_LIMIT, naming it', async () => {
    const root = await h.tmp('memlimit-bad');
    const cfg = await writeConfig(root, baseConfig(root, [{ paths: [path.join(root, 'logs/*.log')] }]));
    const p = h.start(cfg, { LOGSHIP_MEMORY_LIMIT: 'plenty' });
    expect((await p.exited).code).toBe(1);
    expect(p.stderr).toContain('LOGSHIP_MEMORY_LIMIT: expected a size like 134217728, 128Mi or 128MiB, got \\"plenty\\"');
  });
});
