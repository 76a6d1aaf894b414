// Issue 4, "corrupt a byte in the middle of a segment and truncate another
// mid-record; restart → the damaged records are quarantined and counted,
// every other record is delivered, `buffer verify` reports both".
//
// The buffer is filled by a real run: a `stdout` output whose pipe the test
// does not read (so nothing is acknowledged), 64 KiB segments (so there are
// many), then kill -9 once every line is durably in the buffer (checkpoint at
// the end of the file: the restart reads nothing again, every event comes from
// the buffer). What the killed run had pushed into the pipe is read afterwards
// (it was delivered, and may be delivered again: at-least-once). The test
// decodes the segments itself (test/support/buffer-files.ts), damages two of
// them, and knows exactly which lines are damaged.
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readdirSync, readSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, CLI, requireEngine, sleep, useHarness, writeConfig, type Harness } from '../support/logship-process.js';
import { parseNumbered, ranges } from '../support/output.js';
import {
  bufferDir,
  checkpointOffset,
  fileSize,
  outputStats,
  PAYLOAD_FIXED,
  readAck,
  readSegments,
  RECORD_HEADER,
  StdoutCollector,
  type SegmentFile,
  type SegmentRecord,
} from '../support/buffer-files.js';
import { formatLines } from '../support/writer.js';

const LINES = 3_000;
const LINE_BYTES = 200;
/**
 * Lines appended at a time, each step only once the buffer holds the one
 * before: every step is its own batch (~1 per 64 KiB segment), so there are
 * many segments however slowly logship reads (a batch is never split).
 */
const STEP_LINES = 100;

function lineOf(r: SegmentRecord): number {
  return parseNumbered((JSON.parse(r.json) as { message: string }).message)?.n ?? NaN;
}

interface Filled {
  root: string;
  state: string;
  buf: string;
  cfgPath: string;
  /** Lines the killed run pushed into stdout before it died. */
  firstRun: Set<number>;
  segments: SegmentFile[];
}

/** Runs logship until every line is durably in its buffer and nothing is acknowledged, then kill -9. */
async function fillBuffer(h: Harness, label: string): Promise<Filled> {
  const root = await h.tmp(label);
  const state = path.join(root, 'state');
  const log = path.join(root, 'logs', 'app.log');
  const cfg = baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]);
  cfg.buffer = { path: state, segment_size: '64KiB', max_size: '1GiB' };
  cfg.outputs = [{ name: 'out', type: 'stdout' }];
  const cfgPath = await writeConfig(root, cfg);
  const proc = h.start(cfgPath);
  const first = new StdoutCollector(proc.child.stdout!);
  first.pause();
  const lastBuffered = () => {
    const last = readSegments(bufferDir(state, 'out')).flatMap((g) => g.records.slice(-1)).at(-1);
    return last ? lineOf(last) : 0;
  };
  for (let from = 1; from <= LINES; from += STEP_LINES) {
    const to = from + STEP_LINES - 1;
    appendFileSync(log, formatLines(from, to, '', LINE_BYTES));
    const stepDeadline = Date.now() + 60_000;
    while (lastBuffered() < to) {
      expect(proc.running, proc.describe()).toBe(true);
      if (Date.now() > stepDeadline) throw new Error(`lines ${from}-${to} did not reach the buffer within 60 s (it ends at line ${lastBuffered()})\n${proc.describe()}`);
      await sleep(20);
    }
  }
  const size = fileSize(log);
  const deadline = Date.now() + 120_000;
  while (checkpointOffset(state, log) < size) {
    expect(proc.running, proc.describe()).toBe(true);
    if (Date.now() > deadline) throw new Error(`the buffer did not take every line within 120 s (checkpoint ${checkpointOffset(state, log)} of ${size})\n${proc.describe()}`);
    await sleep(100);
  }
  // kill -9, not SIGTERM: a graceful stop would wait out shutdown.timeout behind the unread pipe, and the buffer is what the test keeps.
  await proc.kill9();
  first.resume();
  await first.done; // the process is gone: its stdout ends once read
  const buf = bufferDir(state, 'out');
  const segments = readSegments(buf);
  // Every record carries its event id beside the JSON, equal to the JSON's own event.id.
  for (const seg of segments) for (const r of seg.records) expect(r.eventId).toBe((JSON.parse(r.json) as { event: { id: string } }).event.id);
  return { root, state, buf, cfgPath, firstRun: new Set(first.events.map((e) => e.n)), segments };
}

/** Two segments away from the first (whose records may have reached the pipe) and from the last (the torn-tail rules apply there). */
function pickSegments(f: Filled): [SegmentFile, SegmentFile] {
  const segs = f.segments;
  const clean = (s: SegmentFile) => s.trailing === 0 && s.damageAt === undefined && s.records.length >= 2 && s.records.every((r) => !f.firstRun.has(lineOf(r)));
  const candidates = segs.slice(1, -1).filter(clean);
  if (candidates.length < 2) {
    throw new Error(
      `need two whole middle segments that the first run did not deliver; got ${segs.length} segments ` +
        `(${segs.map((s) => `${s.name}: ${s.records.length} records`).join(', ')}), first run delivered ${f.firstRun.size} lines`,
    );
  }
  return [candidates[Math.floor(candidates.length / 3)]!, candidates[Math.floor((2 * candidates.length) / 3)]!];
}

function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0x20; // 'x' <-> 'X', '{' <-> '[', …: the record still parses as text, only the CRC can tell
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

interface Damaged {
  /** The record holding the flipped byte, and its segment. */
  a: { seg: SegmentFile; rec: SegmentRecord; line: number; at: number };
  /** The last record of the other segment, cut in the middle. */
  b: { seg: SegmentFile; rec: SegmentRecord; line: number; cutAt: number };
}

/** One byte flipped in the payload of the record in the middle of one segment; another segment cut in the middle of its last record. */
function damage(f: Filled): Damaged {
  const [segA, segB] = pickSegments(f);
  const mid = Math.floor(segA.size / 2);
  const recA = segA.records.find((r) => r.start <= mid && mid < r.end)!;
  // The middle byte, moved into the record's JSON if it fell in the header (a damaged length is another case, below).
  const at = Math.min(Math.max(mid, recA.start + RECORD_HEADER + PAYLOAD_FIXED + 2), recA.end - 2);
  flipByte(segA.file, at);
  const recB = segB.records.at(-1)!;
  const cutAt = recB.start + Math.floor((recB.end - recB.start) / 2);
  truncateSync(segB.file, cutAt);
  return {
    a: { seg: segA, rec: recA, line: lineOf(recA), at },
    b: { seg: segB, rec: recB, line: lineOf(recB), cutAt },
  };
}

/**
 * Restarts with stdout read and waits until the restart has acknowledged the
 * whole buffer (ack.json at the id of the last record the killed run left):
 * by then everything it delivers is on stdout, a damaged record slipping
 * through included. Then stops gracefully. `expected` names what a stuck
 * restart failed to deliver.
 */
async function restartAndDrain(h: Harness, f: Filled, expected: Set<number>) {
  const lastId = Math.max(...f.segments.map((s) => s.records.at(-1)?.id ?? -1));
  const proc = h.start(f.cfgPath);
  const out = new StdoutCollector(proc.child.stdout!);
  const deadline = Date.now() + 120_000;
  const acked = () => readAck(f.buf)?.acked_id ?? -1;
  while (acked() < lastId) {
    if (!proc.running || Date.now() > deadline) {
      const have = new Set(out.events.map((e) => e.n));
      const missing = [...expected].filter((n) => !have.has(n) && !f.firstRun.has(n));
      throw new Error(
        `restart did not acknowledge the buffer up to id ${lastId} within 120 s (acked ${acked()}): missing ${ranges(missing)} ` +
          `(the killed run had delivered ${f.firstRun.size} lines: ${ranges([...f.firstRun], 5)})\n${proc.describe()}`,
      );
    }
    await sleep(200);
  }
  const exit = await proc.stop();
  await out.done; // the process is gone: its stdout ends once read
  return { proc, out, exit };
}

function allLines(): number[] {
  return Array.from({ length: LINES }, (_, i) => i + 1);
}

describe('buffer: damaged segments', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('a flipped byte mid-segment and a segment cut mid-record: both quarantined and counted, every other record delivered', async () => {
    const f = await fillBuffer(h, 'bcorrupt');
    const d = damage(f);
    h.note(`damaged: line ${d.a.line} in ${d.a.seg.name} [${d.a.rec.start}, ${d.a.rec.end}) byte ${d.a.at}; line ${d.b.line} in ${d.b.seg.name} cut at ${d.b.cutAt} (record [${d.b.rec.start}, ${d.b.rec.end}))`);
    const expected = new Set(allLines().filter((n) => n !== d.a.line && n !== d.b.line));

    const { proc, out, exit } = await restartAndDrain(h, f, expected);
    const stats = outputStats(proc, 'out');
    const second = out.events.map((e) => e.n);
    const counts = new Map<number, number>();
    for (const n of second) counts.set(n, (counts.get(n) ?? 0) + 1);
    const dupes = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
    const quarantine = readdirSync(path.join(f.buf, 'quarantine')).sort();
    const logged = proc.logRecords().filter((r) => r.msg === 'buffer: damaged bytes quarantined; every other record is delivered');
    const expectedBytes = d.a.rec.end - d.a.rec.start + (d.b.cutAt - d.b.rec.start);
    console.log(
      `[buffer-corruption] ${f.segments.length} segments, ${LINES} records; first run delivered ${f.firstRun.size} into the pipe; ` +
        `damaged line ${d.a.line} (${d.a.seg.name} byte ${d.a.at}) and line ${d.b.line} (${d.b.seg.name} cut at ${d.b.cutAt}); ` +
        `restart delivered ${second.length} events; quarantine: ${quarantine.join(', ')}; final stats ${JSON.stringify(stats)}`,
    );

    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(out.badLines, 'stdout must be NDJSON').toEqual([]);
    expect(second.filter((n) => n === d.a.line || n === d.b.line), 'damaged records must not be delivered').toEqual([]);
    const lost = allLines().filter((n) => !counts.has(n) && !f.firstRun.has(n));
    expect(lost, 'only the two damaged lines are missing from what the two runs delivered').toEqual([d.a.line, d.b.line].sort((x, y) => x - y));
    expect(dupes, 'the restart delivers each record once').toEqual([]);
    expect(second.filter((n) => !Number.isInteger(n)).length, 'events that are not numbered lines').toBe(0);
    const ids = out.events.map((e) => e.id);
    expect(new Set(ids).size, 'distinct event.ids').toBe(ids.length);
    expect(stats, `final stats of output "out": ${proc.stderrTail()}`).toMatchObject({ quarantinedPlaces: 2, quarantinedBytes: expectedBytes, pending: 0 });
    expect(quarantine, 'one quarantine file per damaged place, named by segment and offset').toEqual(
      [`${d.a.seg.name}@${d.a.rec.start}-${d.a.rec.end}.bad`, `${d.b.seg.name}@${d.b.rec.start}-${d.b.cutAt}.bad`].sort(),
    );
    expect(logged.length, 'each damage logged once').toBe(2);
    expect(logged.map((r) => `${path.basename(String(r.segment))}@${r.offset}`).sort()).toEqual([`${d.a.seg.name}@${d.a.rec.start}`, `${d.b.seg.name}@${d.b.rec.start}`].sort());
  });

  it(
    '`logship buffer verify` names both damaged segments and offsets (exit 1), and passes once they are delivered (exit 0)',
    async () => {
      const f = await fillBuffer(h, 'bverify');
      const d = damage(f);
      const before = spawnSync(process.execPath, [CLI, 'buffer', 'verify', '--path', f.state], { encoding: 'utf8' });
      const text = before.stdout + before.stderr;
      console.log(`[buffer-corruption] buffer verify (exit ${before.status}):\n${text.trim()}`);
      expect(before.status, text).toBe(1);
      const lines = text.split('\n');
      for (const [seg, offset] of [
        [d.a.seg.name, d.a.rec.start],
        [d.b.seg.name, d.b.rec.start],
      ] as const) {
        expect(
          lines.some((l) => l.includes(seg) && new RegExp(`\\b${offset}\\b`).test(l)),
          `verify must name ${seg} and offset ${offset}:\n${text}`,
        ).toBe(true);
      }

      const expected = new Set(allLines().filter((n) => n !== d.a.line && n !== d.b.line));
      const { exit, proc } = await restartAndDrain(h, f, expected);
      expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
      const after = spawnSync(process.execPath, [CLI, 'buffer', 'verify', '--path', f.state], { encoding: 'utf8' });
      expect(after.status, `verify after the damaged segments were delivered and freed:\n${after.stdout}${after.stderr}`).toBe(0);
    },
  );

  // A bit flip in a record's length field that makes the length run past the
  // end of the segment looks like a record cut by a crash ("incomplete
  // record"), but whole, CRC-valid records follow it: it is damage (one record
  // quarantined), not a torn tail to cut off with everything after it. Before
  // faef9db the rest of a middle segment was quarantined and the rest of the
  // last segment was truncated away.
  async function lengthFieldCase(label: string, which: 'middle' | 'last') {
    const f = await fillBuffer(h, label);
    const seg = which === 'middle' ? pickSegments(f)[0] : f.segments.at(-1)!;
    expect(seg.records.length, `${seg.name} needs a few records`).toBeGreaterThanOrEqual(3);
    const rec = seg.records[Math.floor(seg.records.length / 2)]!;
    // The length's high byte: 16 MiB more, plausible (< 256 MiB) but past the end of the segment.
    const fd = openSync(seg.file, 'r+');
    writeSync(fd, Buffer.from([0x01]), 0, 1, rec.start + 3);
    closeSync(fd);
    const line = lineOf(rec);
    const after = seg.records.filter((r) => r.start > rec.start).map(lineOf);
    const { proc, out, exit } = await restartAndDrain(h, f, new Set(allLines().filter((n) => n !== line)));
    const delivered = new Set([...out.events.map((e) => e.n), ...f.firstRun]);
    const lost = allLines().filter((n) => !delivered.has(n));
    const stats = outputStats(proc, 'out');
    console.log(
      `[buffer-corruption] length field of line ${line} damaged (${seg.name} offset ${rec.start}, ${which} segment, ${after.length} good records after it): ` +
        `lost ${lost.length} lines [${ranges(lost, 5)}]; final stats ${JSON.stringify(stats)}; ` +
        `logged: ${proc
          .logRecords()
          .filter((r) => r.level === 'warn' || r.level === 'error')
          .map((r) => `${r.level}: ${r.msg} (${path.basename(String(r.segment))}@${r.offset}, ${r.bytes} B)`)
          .join(' | ')}`,
    );
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(lost, `only line ${line} may be lost; the ${after.length} whole records after it in ${seg.name} must be delivered`).toEqual([line]);
    expect(stats).toMatchObject({ quarantinedPlaces: 1 });
  }

  it('a damaged length field in a middle segment: that record quarantined, the good records after it delivered', async () => {
    await lengthFieldCase('blen-mid', 'middle');
  });

  it('a damaged length field in the last segment: quarantined, not cut off as a torn tail with the good records after it', async () => {
    await lengthFieldCase('blen-last', 'last');
  });
});
