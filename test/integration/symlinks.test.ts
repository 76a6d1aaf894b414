// Issue 9 item 5: a file reachable by several paths (a symlink beside it, a
// hard link, a directory symlink loop under `**`) is tailed once.
import { appendFileSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitForLog } from '../support/buffer-files.js';
import { baseConfig, requireEngine, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, OutputReader, summarize, waitForNumbered, type NumberedSpec } from '../support/output.js';
import { formatLines } from '../support/writer.js';

describe('a file reachable by several paths', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  /** Lines arrive once each; a last line written after the first batch shows logship polled (and rescanned) since. */
  async function expectOnce(proc: LogshipProcess, reader: OutputReader, append: () => void, spec: NumberedSpec[], last: NumberedSpec[]) {
    await waitForNumbered(reader, spec, { proc, what: 'the first lines' });
    append();
    await waitForNumbered(reader, last, { proc, what: 'the lines appended later' });
    const exit = await proc.stop();
    reader.poll();
    const r = checkNumbered(reader.events, last);
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    expect(new Set(reader.events.map((e) => e.id)).size, 'event.id values must be unique').toBe(reader.events.length);
  }

  const aliasRecords = (proc: LogshipProcess) => proc.logRecords().filter((r) => r.msg === 'file reachable by several paths; tailed once, under path');

  it('a symlink beside its target, both matched by the glob: every line once, under the real path', async () => {
    const root = await h.tmp('sym-file');
    const logs = path.join(root, 'logs');
    const real = path.join(logs, 'real.log');
    writeFileSync(real, formatLines(1, 300));
    symlinkSync('real.log', path.join(logs, 'link.log'));
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(logs, '*.log')], rescan_interval: '500ms' }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await expectOnce(proc, reader, () => appendFileSync(real, formatLines(301, 600)), [{ last: 300 }], [{ last: 600 }]);
    expect(new Set(reader.events.map((e) => e.path))).toEqual(new Set([real]));
    expect(aliasRecords(proc).map((r) => [r.path, r.alias])).toEqual([[real, path.join(logs, 'link.log')]]);
  });

  it('a hard link beside the file: every line once, under the first path in sort order', async () => {
    const root = await h.tmp('sym-hard');
    const logs = path.join(root, 'logs');
    const b = path.join(logs, 'b.log');
    writeFileSync(b, formatLines(1, 300));
    linkSync(b, path.join(logs, 'a.log'));
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(logs, '*.log')], rescan_interval: '500ms' }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await expectOnce(proc, reader, () => appendFileSync(b, formatLines(301, 600)), [{ last: 300 }], [{ last: 600 }]);
    expect(new Set(reader.events.map((e) => e.path))).toEqual(new Set([path.join(logs, 'a.log')]));
  });

  it('a directory symlink loop under **: two files tracked, every line once', async () => {
    const root = await h.tmp('sym-loop');
    const logs = path.join(root, 'logs');
    mkdirSync(path.join(logs, 'a'));
    mkdirSync(path.join(logs, 'b'));
    const one = path.join(logs, 'a', 'one.log');
    const two = path.join(logs, 'b', 'two.log');
    writeFileSync(one, formatLines(1, 200, 'one-'));
    writeFileSync(two, formatLines(1, 200, 'two-'));
    symlinkSync('..', path.join(logs, 'a', 'up')); // logs/a/up/a/up/a/… for ever
    symlinkSync('../a', path.join(logs, 'b', 'to-a'));
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(logs, '**', '*.log')], rescan_interval: '500ms' }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitForLog(proc, 'tailing started', 60_000);
    expect(proc.logRecords().find((r) => r.msg === 'tailing started')).toMatchObject({ files: 2 });
    await expectOnce(
      proc,
      reader,
      () => {
        appendFileSync(one, formatLines(201, 400, 'one-'));
        appendFileSync(two, formatLines(201, 400, 'two-'));
      },
      [{ prefix: 'one-', last: 200 }, { prefix: 'two-', last: 200 }],
      [{ prefix: 'one-', last: 400 }, { prefix: 'two-', last: 400 }],
    );
    expect(new Set(reader.events.map((e) => e.path))).toEqual(new Set([one, two]));
  });

  it('a directory symlink leading out of the glob base is still followed', async () => {
    const root = await h.tmp('sym-out');
    const logs = path.join(root, 'logs');
    const elsewhere = path.join(root, 'elsewhere');
    mkdirSync(elsewhere);
    const file = path.join(elsewhere, 'app.log');
    writeFileSync(file, formatLines(1, 200));
    symlinkSync(elsewhere, path.join(logs, 'app'));
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(logs, '**', '*.log')], rescan_interval: '500ms' }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await expectOnce(proc, reader, () => appendFileSync(file, formatLines(201, 400)), [{ last: 200 }], [{ last: 400 }]);
    expect(new Set(reader.events.map((e) => e.path))).toEqual(new Set([path.join(logs, 'app', 'app.log')]));
  });
});
