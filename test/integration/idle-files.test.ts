// Issue 9, item 12: idle files are polled less often, but never given up on.
// fs.watch is the fast path; with it switched off (LOGSHIP_NO_FS_WATCH=1, as
// on a volume whose events are lost) the poll alone must still find new files
// and appends to files that have been idle long enough to back off. And
// ignore_older: an old file is left closed, then tailed once modified.
import { appendFileSync, readdirSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

const NO_WATCH = { LOGSHIP_NO_FS_WATCH: '1' };

async function waitForLog(proc: LogshipProcess, what: string, pred: (r: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rec = proc.logRecords().find(pred);
    if (rec) return rec;
    if (!proc.running) throw new Error(`logship exited while waiting for ${what}\n${proc.describe()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s\n${proc.describe()}`);
    await sleep(200);
  }
}

const messages = (reader: OutputReader) => reader.events.map((e) => e.message);

/** Paths under `dir` the process holds open now (Linux: /proc/PID/fd). */
function openUnder(pid: number, dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith(dir + path.sep)) out.push(target);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

describe('idle files', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('without fs.watch events, polling alone ships a file that appears and lines appended to a long-idle file', async () => {
    const root = await h.tmp('idle-nowatch');
    const logs = path.join(root, 'logs');
    writeFileSync(path.join(logs, 'old.log'), 'old 1\n');
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(logs, '*.log')], poll_interval: '100ms', rescan_interval: '1s' }]));
    const proc = h.start(cfg, NO_WATCH);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => messages(reader).includes('old 1'), () => messages(reader).join(','), { proc, what: 'old 1' });

    writeFileSync(path.join(logs, 'new.log'), 'new 1\n');
    await waitFor(reader, () => messages(reader).includes('new 1'), () => messages(reader).join(','), { proc, what: 'the file that appeared (found by the rescan alone)', stallMs: 60_000 });

    // Long enough for old.log's poll interval to back off to its cap (10 x 100 ms); no watch event will come.
    await sleep(3000);
    appendFileSync(path.join(logs, 'old.log'), 'old 2\n');
    await waitFor(reader, () => messages(reader).includes('old 2'), () => messages(reader).join(','), { proc, what: 'the line appended to the idle file', stallMs: 60_000 });

    expect((await proc.stop()).code, proc.describe()).toBe(0);
    reader.poll();
    expect(messages(reader).sort()).toEqual(['new 1', 'old 1', 'old 2']);
  });

  it('ignore_older leaves an old file closed and tails it from its end once it is modified', async () => {
    const root = await h.tmp('idle-ignore-older');
    const logs = path.join(root, 'logs');
    const old = path.join(logs, 'old.log');
    writeFileSync(old, 'stale 1\nstale 2\n');
    const twoDaysAgo = (Date.now() - 2 * 86_400_000) / 1000;
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    writeFileSync(path.join(logs, 'fresh.log'), 'fresh 1\n');
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(logs, '*.log')], ignore_older: '1h', rescan_interval: '1s' }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => messages(reader).includes('fresh 1'), () => messages(reader).join(','), { proc, what: 'fresh 1' });
    await waitForLog(proc, 'the ignore_older line', (r) => r.msg === 'files not modified within ignore_older are left closed until they change' && r.files === 1);
    // Not opened: no fd of logship's points at it.
    expect(openUnder(proc.pid!, logs)).not.toContain(old);

    appendFileSync(old, 'later 1\n');
    await waitFor(reader, () => messages(reader).includes('later 1'), () => messages(reader).join(','), { proc, what: 'the line written after the old file was modified', stallMs: 60_000 });
    const picked = await waitForLog(proc, 'the pick-up line', (r) => r.msg === 'file left closed by ignore_older was modified; tailing what was written since');
    expect(picked.offset).toBe('stale 1\nstale 2\n'.length);

    expect((await proc.stop()).code, proc.describe()).toBe(0);
    reader.poll();
    expect(messages(reader).sort()).toEqual(['fresh 1', 'later 1']);
  });

  it('max_open_files: 2 with 5 files written in turns: every line once, never more than 2 of them open', async () => {
    const root = await h.tmp('idle-max-open');
    const logs = path.join(root, 'logs');
    const files = [1, 2, 3, 4, 5].map((i) => path.join(logs, `f${i}.log`));
    for (const [i, f] of files.entries()) writeFileSync(f, `f${i + 1} round 0\n`);
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(logs, '*.log')], max_open_files: 2, poll_interval: '100ms', rescan_interval: '1s' }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    let maxOpen = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      if (!proc.running) return;
      maxOpen = Math.max(maxOpen, openUnder(proc.pid!, logs).length);
      samples++;
    }, 10);
    try {
      const ROUNDS = 8;
      for (let r = 0; r <= ROUNDS; r++) {
        if (r > 0) for (const [i, f] of files.entries()) appendFileSync(f, `f${i + 1} round ${r}\n`);
        const want = files.map((_, i) => `f${i + 1} round ${r}`);
        await waitFor(reader, () => want.every((m) => messages(reader).includes(m)), () => `round ${r}: have ${messages(reader).length} lines`, { proc, what: `round ${r} of every file`, stallMs: 60_000 });
      }
      expect((await proc.stop()).code, proc.describe()).toBe(0);
      reader.poll();
      const got = messages(reader).sort();
      const expected = files.flatMap((_, i) => Array.from({ length: ROUNDS + 1 }, (_, r) => `f${i + 1} round ${r}`)).sort();
      expect(got, 'every line exactly once').toEqual(expected);
      expect(samples).toBeGreaterThan(0);
      expect(maxOpen, `log files open at once (of ${samples} samples of /proc/${proc.pid}/fd)`).toBeLessThanOrEqual(2);
    } finally {
      clearInterval(sampler);
    }
  });
});
