// Issue 10 §3: logship restarted after rotations that happened while it was
// down. The checkpointed generation must be found again (renamed beside its
// path, or as a copytruncate copy) and every line shipped exactly once across
// the two runs; a checkpointed file that is gone is logged, not fatal.
import { appendFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, OutputReader, summarize, waitForNumbered, type NumberedSpec } from '../support/output.js';
import { copyTruncate } from '../support/rotate.js';
import { formatLines } from '../support/writer.js';

describe('restart after rotations while logship was down', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  async function firstRun(label: string) {
    const root = await h.tmp(`restart-${label}`);
    const log = path.join(root, 'logs', 'app.log');
    writeFileSync(log, formatLines(1, 500));
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]));
    const reader = new OutputReader(path.join(root, 'out'));
    const proc = h.start(cfg);
    await waitForNumbered(reader, { last: 500 }, { proc, what: 'lines 1-500 in the first run' });
    expect(await proc.stop(), proc.describe()).toEqual({ code: 0, signal: null });
    return { root, log, cfg, reader };
  }

  async function secondRun(cfg: string, reader: OutputReader, spec: NumberedSpec | NumberedSpec[]): Promise<LogshipProcess> {
    const proc = h.start(cfg);
    await waitForNumbered(reader, spec, { proc, what: 'every line after the restart' });
    expect(await proc.stop(), proc.describe()).toEqual({ code: 0, signal: null });
    reader.poll();
    const r = checkNumbered(reader.events, spec);
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    expect(r.unexpected, summarize(r)).toBe(0);
    expect(new Set(reader.events.map((e) => e.id)).size, 'event.id values must be unique').toBe(reader.events.length);
    return proc;
  }

  it('renamed while down, more written to the new file: resumes in the renamed generation, every line once', async () => {
    const { log, cfg, reader } = await firstRun('rename');
    appendFileSync(log, formatLines(501, 600));
    renameSync(log, `${log}.1`);
    writeFileSync(log, formatLines(601, 800));
    const proc = await secondRun(cfg, reader, { last: 800 });
    expect(proc.logRecords().find((r) => r.msg === 'resuming a checkpointed file from its rotated name')).toMatchObject({ at: `${log}.1`, offset: 500 * 100 });
  });

  it('copytruncated while down: resumes in the copy, then reads the new content, every line once', async () => {
    const { log, cfg, reader } = await firstRun('copytruncate');
    appendFileSync(log, formatLines(501, 600));
    copyTruncate(log);
    appendFileSync(log, formatLines(601, 800));
    const proc = await secondRun(cfg, reader, { last: 800 });
    expect(proc.logRecords().find((r) => r.msg === 'resuming a checkpointed file from its rotated name')).toMatchObject({ at: `${log}.1` });
  });

  it('copytruncated three times while down: resumes in the oldest copy, reads the two missed generations and the file, every line once', async () => {
    const { log, cfg, reader } = await firstRun('copytruncate3');
    let next = 501;
    for (let i = 0; i < 3; i++) {
      appendFileSync(log, formatLines(next, next + 99));
      next += 100;
      copyTruncate(log);
    }
    appendFileSync(log, formatLines(next, next + 99));
    await secondRun(cfg, reader, { last: next + 99 });
  });

  it('the checkpointed file deleted while down: logged at warn, no crash, the other files flow', async () => {
    const { root, log, cfg, reader } = await firstRun('gone');
    rmSync(log);
    writeFileSync(path.join(root, 'logs', 'other.log'), formatLines(1, 100, 'other-'));
    const proc = await secondRun(cfg, reader, [{ last: 500 }, { prefix: 'other-', last: 100 }]);
    expect(proc.logRecords().find((r) => typeof r.msg === 'string' && r.msg.startsWith('checkpointed file not found'))).toMatchObject({ level: 'warn', path: log });
  });
});
