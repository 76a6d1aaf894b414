// An output that cannot write (its directory blocked) from the start: logship
// keeps running, buffers, retries with backoff, and delivers everything once
// the path is usable again: an output outage loses nothing.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

describe('output outage', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('a file output whose directory is blocked is retried, then delivers every line once it is free', async () => {
    const root = await h.tmp('outage');
    const file = path.join(root, 'logs', 'app.log');
    const lines = Array.from({ length: 500 }, (_, i) => `line-${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const out = path.join(root, 'out');
    mkdirSync(out, { recursive: true });
    // The prefix directory the output needs is a plain file: every mkdir under it fails.
    const blocker = path.join(out, 'blocked');
    writeFileSync(blocker, 'not a directory');
    const cfg = await writeConfig(root, baseConfig(root, [{ paths: [file] }], { prefix: 'blocked/' }));
    const proc = h.start(cfg);

    const deadline = Date.now() + 20_000;
    while (!proc.logRecords().some((r) => r.msg === 'output failed; rebuilding it and delivering again from the oldest unacknowledged record')) {
      if (Date.now() > deadline || !proc.running) throw new Error(`no retry logged\n${proc.describe()}`);
      await sleep(100);
    }
    expect(proc.running).toBe(true);

    rmSync(blocker);
    const reader = new OutputReader(out);
    await waitFor(reader, () => reader.events.length >= lines.length, () => `${reader.events.length} of ${lines.length}`, { proc, what: 'every line after the outage' });
    expect((await proc.stop()).code).toBe(0);
    reader.poll();
    const messages = new Set(reader.events.map((e) => e.message));
    expect([...messages].sort()).toEqual([...lines].sort());
  });
});
