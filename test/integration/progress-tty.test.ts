// Issue 14, "The first ten minutes": `logship run` on a terminal (a real
// pseudo-terminal from util-linux `script`) writes readable log lines and a
// progress line with the events shipped; through a pipe its stderr stays JSON
// lines only, with no progress line.
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitForLog } from '../support/buffer-files.js';
import { baseConfig, CLI, requireEngine, sleep, track, useHarness, writeConfig } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Polls until `pred` holds; a generous cap names what never happened. */
async function until(pred: () => boolean, what: string, describe: () => string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs / 1000} s: ${what}\n${describe()}`);
    await sleep(100);
  }
}

describe('progress line on a terminal', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('a terminal gets readable lines and a progress line with the events shipped', async () => {
    const root = await h.tmp('tty');
    const log = path.join(root, 'logs', 'app.log');
    writeFileSync(log, 'one\ntwo\n');
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [log] }], { name: 'local' }));
    // `exec`: the shell script starts is replaced by logship, so script's child is logship itself.
    const script = track(spawn('script', ['-qfc', `exec ${quote(process.execPath)} ${quote(CLI)} run --config ${quote(cfg)}`, '/dev/null'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
    let tty = '';
    script.stdout!.setEncoding('utf8').on('data', (s: string) => (tty += s));
    const exited = new Promise<number | null>((r) => script.once('exit', (code) => r(code)));
    const lines = () => tty.split(/\r?\n/);
    const show = () => `terminal so far:\n${tty.slice(-3000)}`;
    let logshipPid: number | undefined;
    try {
      await until(() => lines().some((l) => l.startsWith('progress: ')), 'a first progress line', show);
      logshipPid = Number(readFileSync(`/proc/${script.pid}/task/${script.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
      const drawn = lines().filter((l) => l.startsWith('progress: ')).length;
      // Events shipped after the first line show as a rate in a later one.
      appendFileSync(log, Array.from({ length: 50 }, (_, i) => `more ${i}\n`).join(''));
      const shippedSome = /^progress: read app [\d.,]+ ev\/s \([\d.]+ [KMGT]?i?B unread\) \| local: shipped (?!0\.0 )[\d.,]+ ev\/s, buffer [\d.]+ [KMGT]?i?B of 1 GiB, [\d,]+ pending, lag [\d.]+ s$/;
      await until(() => lines().filter((l) => l.startsWith('progress: ')).slice(drawn).some((l) => shippedSome.test(l)), 'a progress line with events shipped', show);
      // Readable log lines, not JSON.
      expect(lines().some((l) => /^\d\d:\d\d:\d\d INFO {2}\S/.test(l))).toBe(true);
      expect(lines().some((l) => l.startsWith('{"level"'))).toBe(false);
      process.kill(logshipPid, 'SIGTERM');
      expect(await exited).toBe(0);
      expect(lines().some((l) => /INFO {2}stopped/.test(l))).toBe(true);
    } finally {
      if (logshipPid !== undefined && script.exitCode === null) process.kill(logshipPid, 'SIGKILL');
    }
  });

  // `auto` decides once, at the start: JSON lines mean the readable mode, and with it the progress line, is off.
  it('through a pipe stderr is JSON lines only, with no progress line', async () => {
    const root = await h.tmp('pipe');
    const log = path.join(root, 'logs', 'app.log');
    writeFileSync(log, 'one\n');
    const proc = h.start(await writeConfig(root, baseConfig(root, [{ paths: [log] }])));
    const out = new OutputReader(path.join(root, 'out'));
    await waitFor(out, () => out.events.length >= 1, () => 'no event', { timeoutMs: 120_000, stallMs: 120_000, proc, what: 'the event' });
    expect((await proc.stop()).code).toBe(0);
    await waitForLog(proc, 'stopped', 1000);
    const raw = proc.stderr.split('\n').filter((l) => l !== '');
    expect(raw.length).toBeGreaterThan(0);
    for (const l of raw) expect(() => JSON.parse(l), l).not.toThrow();
    expect(proc.stderr).not.toContain('progress:');
  });
});
