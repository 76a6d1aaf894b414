// Issue 14, "The first ten minutes": a real `logship run` whose file output
// cannot write (its prefix directory is a plain file) until the test frees it
// logs "delivery resumed" with how long it was down and its backlog, then
// "delivery caught up" with the events it delivered, and delivers every line.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitForLog } from '../support/buffer-files.js';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

describe('delivery resumed', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('a blocked file output that is freed: resumed (time down, backlog), caught up, every line delivered', async () => {
    const root = await h.tmp('resumed');
    const file = path.join(root, 'logs', 'app.log');
    const lines = Array.from({ length: 200 }, (_, i) => `line-${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const out = path.join(root, 'out');
    mkdirSync(out, { recursive: true });
    const blocker = path.join(out, 'blocked');
    writeFileSync(blocker, 'not a directory');
    const cfg = await writeConfig(root, { ...baseConfig(root, [{ paths: [file] }], { prefix: 'blocked/' }), log: { level: 'debug' } });
    const proc = h.start(cfg);
    // The watch has seen the failure (the records it failed to write are in the buffer).
    await waitForLog(proc, 'delivery watch: output failing', 120_000);
    expect(proc.logRecords().some((r) => String(r.msg).startsWith('delivery resumed'))).toBe(false);

    rmSync(blocker);
    const deadline = Date.now() + 120_000;
    while (!proc.logRecords().some((r) => String(r.msg).startsWith('delivery caught up'))) {
      if (Date.now() > deadline || !proc.running) throw new Error(`no "delivery caught up" logged\n${proc.describe()}`);
      await sleep(100);
    }
    const logs = proc.logRecords();
    const r = logs.find((l) => String(l.msg).startsWith('delivery resumed'))!;
    const c = logs.find((l) => String(l.msg).startsWith('delivery caught up'))!;
    expect(r).toMatchObject({ output: 'file-0', level: 'info' });
    expect(r.downForMs).toBeGreaterThan(0);
    expect(r.msg).toMatch(/^delivery resumed: output file-0 was failing for [\d.]+ s, with \d+ events buffered$/);
    expect(r.backlogEvents).toBeGreaterThan(0);
    expect(c.events).toBeGreaterThanOrEqual(r.backlogEvents as number);
    expect(logs.indexOf(r)).toBeLessThan(logs.indexOf(c));
    const reader = new OutputReader(out);
    await waitFor(reader, () => reader.events.length >= lines.length, () => `${reader.events.length} of ${lines.length}`, { proc, what: 'every line after the outage' });
    expect((await proc.stop()).code).toBe(0);
  });
});
