// Issue 2, integration 1-3: rotation while a writer appends as fast as it can.
// logship runs as a real child process; the numbered writer is another one.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { checkNumbered, OutputReader, summarize, waitForNumbered } from '../support/output.js';
import { formatLine, runWriter, startWriter, type RotationMode } from '../support/writer.js';

const TOTAL = 20_000;
const ROTATE_EVERY = 2_000;
// After everything arrived, keep logship running a little longer (past a
// rescan) so a late double read would still show up before we stop it.
const SETTLE_MS = 2_500;

describe('rotation while writing', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  async function tortureRun(mode: RotationMode) {
    const root = await h.tmp(`rot-${mode}`);
    const log = path.join(root, 'logs', 'app.log');
    // Line 1 first, and wait for it: logship must be tracking app.log before
    // the writer starts rotating generations away.
    writeFileSync(log, formatLine(1));
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')], exclude: ['*.gz'] }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitForNumbered(reader, { last: 1 }, { proc, what: 'line 1 (logship tracking app.log)' });

    const w = await runWriter({ file: log, start: 2, count: TOTAL - 1, mode, rotateEvery: ROTATE_EVERY });
    h.note(`writer (${mode}): ${w.written} lines in ${w.ms} ms, ${w.rotations.length} rotations`);
    expect(w.rotations.length).toBe(TOTAL / ROTATE_EVERY - 1);

    await waitForNumbered(reader, { last: TOTAL }, { proc, what: `${TOTAL} lines after ${mode} rotation` });
    await sleep(SETTLE_MS);
    const exit = await proc.stop();
    reader.poll();
    const r = checkNumbered(reader.events, { last: TOTAL });
    console.log(`[rotation ${mode}] writer ${w.ms} ms; ${summarize(r)}; ${reader.events.length} events`);

    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    expect(r.unexpected, summarize(r)).toBe(0);
    const ids = reader.events.map((e) => e.id);
    expect(ids.filter((id) => id === undefined).length, 'events without event.id').toBe(0);
    expect(new Set(ids).size, 'event.id values must be unique').toBe(reader.events.length);
    expect(reader.badLines, 'output objects must be valid NDJSON').toEqual([]);
  }

  it('rename/create rotation every 2,000 lines under a full-speed writer: all 20,000 lines, none twice', async () => {
    await tortureRun('rename');
  });

  it('copytruncate rotation every 2,000 lines under a full-speed writer: all 20,000 lines, none twice', async () => {
    // The writer copies and truncates with no write in between, so there is no
    // window in which a line exists only in neither place: expect every line.
    await tortureRun('copytruncate');
  });

  it('truncate then rewrite more bytes than the old offset: the new content is read from the start', async () => {
    const root = await h.tmp('rot-truncate');
    const log = path.join(root, 'logs', 'app.log');
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    // Generation 1: lines 1-1000 (100 kB). Wait until all shipped, truncate,
    // write 1001-4000 (300 kB, past the old offset) at full speed. Then the
    // opposite: truncate and write 4001-4500 (50 kB, short of the offset).
    const w = await startWriter({
      file: log,
      count: 4500,
      mode: 'truncate-rewrite',
      rotateAt: [1000, 4000],
      beforeRotate: async (after) => {
        await waitForNumbered(reader, { last: after }, { proc, what: `lines 1-${after} before truncation` });
      },
    }).done;
    h.note(`writer: ${JSON.stringify(w)}`);
    await waitForNumbered(reader, { last: 4500 }, { proc, what: 'all lines of the three generations' });
    await sleep(SETTLE_MS);
    const exit = await proc.stop();
    reader.poll();
    const r = checkNumbered(reader.events, { last: 4500 });
    console.log(`[rotation truncate-rewrite] ${summarize(r)}`);

    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    // Each generation starts over at offset 0.
    const offsetOf = (n: number) => reader.events.find((e) => e.message.startsWith(formatLine(n).slice(0, 12)))?.offset;
    expect([offsetOf(1), offsetOf(1001), offsetOf(4001)]).toEqual([0, 0, 0]);
    expect(offsetOf(2001)).toBe(1000 * 100);
    expect(new Set(reader.events.map((e) => e.id)).size, 'event.id values must be unique').toBe(reader.events.length);
  });
});
