// Issue 2, integration 1-3: rotation while a writer appends as fast as it can.
// logship runs as a real child process; the numbered writer is another one.
import { appendFileSync, copyFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitForLog } from '../support/buffer-files.js';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, OutputReader, summarize, waitForNumbered } from '../support/output.js';
import { copyTruncate, renameCreate, whileStopped } from '../support/rotate.js';
import { formatLine, formatLines, runWriter, startWriter, type RotationMode } from '../support/writer.js';

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

// Issue 9 item 4: a generation logship never saw whole must be found by its
// content wherever it sits among the copies, however many rotations happened
// between two polls. logship is frozen (SIGSTOP) while the test rotates, so
// the rotations land between two polls on any machine, however slow.
describe('several rotations between two polls', () => {
  const h = useHarness();
  beforeAll(requireEngine);
  const PER_GENERATION = 500;

  interface FrozenRun {
    rotations: number;
    rotate: (file: string) => void;
    /** app.log holds only the first 20 bytes of line 1 when logship opens it: its identity is provisional. */
    provisional?: boolean;
    /** logship starts between the copy and the truncation of a copytruncate rotation. */
    midRotation?: boolean;
    /** app.log is empty when logship opens it: nothing is known of the first generation. */
    empty?: boolean;
    /** Every generation starts with the same line, as many applications' logs do. */
    banner?: boolean;
  }

  async function frozenRun(label: string, o: FrozenRun) {
    const root = await h.tmp(`rot-frozen-${label}`);
    const log = path.join(root, 'logs', 'app.log');
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]));
    let next = 1;
    const write = (count: number) => {
      appendFileSync(log, formatLines(next, next + count - 1));
      next += count;
    };
    const BANNER = 'application started, logging to app.log\n';
    const newGeneration = (count: number) => {
      if (o.banner) appendFileSync(log, BANNER);
      write(count);
    };
    let proc: LogshipProcess;
    const reader = new OutputReader(path.join(root, 'out'));
    if (o.provisional) {
      writeFileSync(log, formatLine(1).slice(0, 20));
      proc = h.start(cfg);
      await waitForLog(proc, 'tailing started', 60_000);
    } else if (o.empty) {
      writeFileSync(log, '');
      proc = h.start(cfg);
      await waitForLog(proc, 'tailing started', 60_000);
    } else {
      newGeneration(PER_GENERATION);
      if (o.midRotation) copyFileSync(log, `${log}.1`);
      proc = h.start(cfg);
      await waitForNumbered(reader, { last: next - 1 }, { proc, what: 'the first generation' });
    }
    await whileStopped(proc, () => {
      if (o.provisional) {
        appendFileSync(log, formatLine(1).slice(20));
        next = 2;
        write(PER_GENERATION - 1);
      } else if (o.midRotation) {
        truncateSync(log, 0);
        newGeneration(PER_GENERATION);
      } else if (o.empty) {
        write(PER_GENERATION);
      } else {
        write(100); // the generation's tail, unread when it is rotated away
      }
      for (let i = 0; i < o.rotations; i++) {
        o.rotate(log);
        newGeneration(PER_GENERATION);
      }
    });
    const total = next - 1;
    await waitForNumbered(reader, { last: total }, { proc, what: `${total} lines after ${o.rotations} rotations in one pause` });
    // A line written after everything arrived, and waited for: logship has
    // polled again since, so a generation read twice would show by now.
    write(1);
    await waitForNumbered(reader, { last: total + 1 }, { proc, what: 'the line written after the rotations' });
    const exit = await proc.stop();
    reader.poll();
    const banners = reader.events.filter((e) => e.message === BANNER.trimEnd());
    const r = checkNumbered(reader.events.filter((e) => !banners.includes(e)), { last: total + 1 });
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    expect(r.unexpected, summarize(r)).toBe(0);
    expect(banners.length, 'one banner line per generation').toBe(o.banner ? o.rotations + 1 : 0);
    expect(new Set(reader.events.map((e) => e.id)).size, 'event.id values must be unique').toBe(reader.events.length);
    return proc;
  }

  it('3 copytruncate rotations between two polls: every line once', async () => {
    await frozenRun('ct3', { rotations: 3, rotate: copyTruncate });
  });

  it('5 copytruncate rotations between two polls: every line once', async () => {
    await frozenRun('ct5', { rotations: 5, rotate: copyTruncate });
  });

  it('5 copytruncate rotations between two polls of a file that was empty when opened: every line once', async () => {
    await frozenRun('ct5-empty', { rotations: 5, rotate: copyTruncate, empty: true });
  });

  it('3 copytruncate rotations between two polls, every generation starting with the same banner line: every line once', async () => {
    await frozenRun('ct3-banner', { rotations: 3, rotate: copyTruncate, banner: true });
  });

  it('5 rename rotations between two polls: every line once', async () => {
    await frozenRun('rn5', { rotations: 5, rotate: renameCreate });
  });

  it('9 copytruncate rotations (10 kept) of a generation whose identity was still provisional: found as app.log.9', async () => {
    const proc = await frozenRun('ct9-provisional', { rotations: 9, rotate: copyTruncate, provisional: true });
    expect(proc.logRecords().filter((r) => typeof r.msg === 'string' && r.msg.startsWith('file truncated and no copy'))).toEqual([]);
  });

  it('logship starts between the copy and the truncation of a copytruncate, then 2 more rotations: every line once', async () => {
    await frozenRun('ct-mid', { rotations: 2, rotate: copyTruncate, midRotation: true });
  });

  it('copytruncate with logrotate numbering (10 kept) under a full-speed writer started as logship opened the file: all 20,000 lines once', async () => {
    const root = await h.tmp('rot-ct-keep');
    const log = path.join(root, 'logs', 'app.log');
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]));
    // The writer starts once logship tracks the (empty) file: a writer done
    // before logship looks leaves only rotated copies, which no glob here names.
    writeFileSync(log, '');
    const proc = h.start(cfg);
    await waitForLog(proc, 'tailing started', 60_000);
    const reader = new OutputReader(path.join(root, 'out'));
    const w = await runWriter({ file: log, count: TOTAL, mode: 'copytruncate', rotateEvery: ROTATE_EVERY, keep: 10 });
    h.note(`writer: ${w.written} lines in ${w.ms} ms, ${w.rotations.length} rotations`);
    await waitForNumbered(reader, { last: TOTAL }, { proc, what: `${TOTAL} lines` });
    appendFileSync(log, formatLine(TOTAL + 1));
    await waitForNumbered(reader, { last: TOTAL + 1 }, { proc, what: 'the line written after the writer ended' });
    const exit = await proc.stop();
    reader.poll();
    const r = checkNumbered(reader.events, { last: TOTAL + 1 });
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(r.missing.length, summarize(r)).toBe(0);
    expect(r.duplicates, summarize(r)).toBe(0);
    expect(new Set(reader.events.map((e) => e.id)).size, 'event.id values must be unique').toBe(reader.events.length);
  });
});
