// Issue 2, integration 4: delete and recreate, files that appear after start,
// 200 files under one `**` glob, exclude.
import { appendFileSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { checkNumbered, OutputReader, summarize, waitForNumbered, type NumberedSpec } from '../support/output.js';
import { formatLines } from '../support/writer.js';
import { waitForLog } from '../support/buffer-files.js';

const SETTLE_MS = 2_500;

describe('file discovery', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('delete and recreate the file: the content of every generation arrives', async () => {
    const root = await h.tmp('disc-recreate');
    const log = path.join(root, 'logs', 'app.log');
    writeFileSync(log, formatLines(1, 500));
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitForNumbered(reader, { last: 500 }, { proc, what: 'generation 1 (lines 1-500)' });

    // Recreated larger than the old offset (an inode reused here would look like growth)…
    unlinkSync(log);
    writeFileSync(log, formatLines(501, 1500));
    await waitForNumbered(reader, { last: 1500 }, { proc, what: 'generation 2 (lines 501-1500)' });
    // …and smaller than it.
    unlinkSync(log);
    writeFileSync(log, formatLines(1501, 1600));
    await waitForNumbered(reader, { last: 1600 }, { proc, what: 'generation 3 (lines 1501-1600)' });
    // The last generation keeps being tailed.
    appendFileSync(log, formatLines(1601, 1700));
    await waitForNumbered(reader, { last: 1700 }, { proc, what: 'appended lines 1601-1700' });

    await sleep(SETTLE_MS);
    const exit = await proc.stop();
    reader.poll();
    const r = checkNumbered(reader.events, { last: 1700 });
    console.log(`[discovery recreate] ${summarize(r)}`);
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    expect(new Set(reader.events.map((e) => e.id)).size, 'event.id values must be unique').toBe(reader.events.length);
  });

  it('picks up a file (and its directories) that appear after start, and keeps tailing it', async () => {
    const root = await h.tmp('disc-late');
    const logs = path.join(root, 'logs');
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(logs, '**', '*.log')] }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    // Nothing matches yet: the files below appear after logship's first scan.
    await waitForLog(proc, 'tailing started');
    expect(proc.logRecords().find((r) => r.msg === 'tailing started'), 'the first scan found nothing').toMatchObject({ files: 0 });

    const dir = path.join(logs, 'late', 'deeper');
    mkdirSync(dir, { recursive: true });
    const late = path.join(dir, 'late.log');
    writeFileSync(late, formatLines(1, 300, 'late-'));
    writeFileSync(path.join(logs, 'top.log'), formatLines(1, 100, 'top-'));
    await waitForNumbered(reader, [{ prefix: 'late-', last: 300 }, { prefix: 'top-', last: 100 }], { proc, what: 'files created after start' });
    appendFileSync(late, formatLines(301, 600, 'late-'));
    const spec: NumberedSpec[] = [{ prefix: 'late-', last: 600 }, { prefix: 'top-', last: 100 }];
    await waitForNumbered(reader, spec, { proc, what: 'lines appended to the late file' });

    await sleep(SETTLE_MS);
    const exit = await proc.stop();
    reader.poll();
    const r = checkNumbered(reader.events, spec);
    console.log(`[discovery late] ${summarize(r)}`);
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    expect(reader.events.filter((e) => e.message.startsWith('late-')).every((e) => e.path?.endsWith('late.log'))).toBe(true);
  });

  it('200 files matched by one ** glob: every line of every file; excluded files are not read', async () => {
    const root = await h.tmp('disc-many');
    const base = path.join(root, 'logs');
    const FILES = 200;
    const LINES = 50;
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      // Depth 1 to 3: logs/d7/f007.log, logs/d7/sub/f017.log, logs/d7/sub/deep/f027.log …
      const depth = ['', 'sub', path.join('sub', 'deep')][i % 3]!;
      const dir = path.join(base, `d${i % 10}`, depth);
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `f${String(i).padStart(3, '0')}.log`);
      files.push(file);
      // Half the lines before start, the other half appended while running.
      writeFileSync(file, formatLines(1, LINES / 2, `f${String(i).padStart(3, '0')}-`, 60));
    }
    // Decoys the excludes must keep out: by file name, and by full-path glob.
    for (let i = 0; i < 10; i++) {
      writeFileSync(path.join(base, `d${i}`, `noise${i}.skip.log`), formatLines(1, 20, 'skip-', 60));
    }
    mkdirSync(path.join(base, 'private', 'x'), { recursive: true });
    writeFileSync(path.join(base, 'private', 'x', 'secret.log'), formatLines(1, 20, 'private-', 60));
    writeFileSync(path.join(base, 'private', 'top.log'), formatLines(1, 20, 'private-', 60));

    const cfg = await writeConfig(
      root,
      baseConfig(root, [
        {
          name: 'many',
          paths: [path.join(base, '**', '*.log')],
          exclude: ['*.skip.log', path.join(base, 'private', '**')],
        },
      ]),
    );
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    const half = files.map((_, i) => ({ prefix: `f${String(i).padStart(3, '0')}-`, last: LINES / 2 }));
    await waitForNumbered(reader, half, { proc, what: `first ${LINES / 2} lines of ${FILES} files` });
    files.forEach((file, i) => appendFileSync(file, formatLines(LINES / 2 + 1, LINES, `f${String(i).padStart(3, '0')}-`, 60)));
    const all = files.map((_, i) => ({ prefix: `f${String(i).padStart(3, '0')}-`, last: LINES }));
    await waitForNumbered(reader, all, { proc, what: `all ${LINES} lines of ${FILES} files` });

    // Give a rescan the chance to (wrongly) pick up an excluded file.
    await sleep(SETTLE_MS);
    const exit = await proc.stop();
    reader.poll();
    const r = checkNumbered(reader.events, all);
    const leaked = reader.events.filter((e) => /^(skip|private)-/.test(e.message));
    const leakedFiles = [...new Set(leaked.map((e) => e.path))];
    console.log(`[discovery 200 files] ${summarize(r)}; excluded leaked from: ${leakedFiles.join(', ') || 'none'}`);
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    expect(leakedFiles, 'excluded files must not be read').toEqual([]);
    expect(new Set(reader.events.map((e) => e.id)).size, 'event.id values must be unique').toBe(reader.events.length);
    // Every file's events carry its own path.
    const wrongPath = reader.events.filter((e) => {
      const prefix = e.message.slice(0, 4);
      return !e.path?.endsWith(`${prefix}.log`);
    });
    expect(wrongPath.length, `events with a wrong log.file.path, e.g. ${JSON.stringify(wrongPath[0]?.raw)}`).toBe(0);
  });
});
