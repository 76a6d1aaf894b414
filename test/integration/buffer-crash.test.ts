// Issue 4, "kill -9 at 30 random moments": a writer appends numbered lines
// while `logship run` (file output, disk buffer with 256 KiB segments so that
// rollovers are frequent) is killed -9 thirty times at seeded random moments
// and restarted. The writer runs until the last kill is done (the test stops
// it), and each kill waits for the writer to have added lines since the run
// started, so every kill lands in a live stream however slow the machine is.
// After a final graceful stop the output must hold every line;
// the duplicates are reported and must stay within the un-acked window, which
// the test measures from the state on disk at each kill (the process is dead,
// so the state is frozen):
//
//   - buffer records past ack.json's acked_id whose line was already
//     delivered (the restart delivers them again), plus records of a line
//     that the un-acked part of the buffer holds more than once;
//   - lines past the checkpoint (the restart reads them again) that were
//     already delivered or are in the un-acked part of the buffer.
//
// Summed over the kills, that bounds every extra copy (each re-delivery comes
// from the buffer replay or the re-read that follows some kill). A fixed
// ceiling on top catches a restart from the beginning. Each kill is also
// classified by what the disk shows it interrupted (a torn segment tail, a
// segment just rolled over, fully acknowledged segments not yet unlinked, a
// temp file of an atomic write, start-up), to show the moments are spread.
import { existsSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, expectEveryLineWithStableIds, OutputReader, summarize, waitForNumbered } from '../support/output.js';
import { startWriter } from '../support/writer.js';
import { bufferDir, checkpointOffset, fileSize, readAck } from '../support/buffer-files.js';
import { unackedWindow, type UnackedWindow } from '../support/crash-window.js';
import { prng } from '../support/prng.js';

const KILLS = 30;
const LINE_BYTES = 100; // the writer's default: line n starts at byte (n - 1) * 100
const WRITER_RATE = 2_500; // lines/s
/** The writer's ceiling, never reached: the test stops it after the last kill (999,999 keeps line numbers 6 digits wide). */
const WRITER_MAX = 999_999;
/** Lines the writer must have added since a run started before that run may be killed: each run has fresh lines to lose. */
const FRESH_LINES = 500;
/** How far the writer may run ahead of logship's checkpoint before it is held (see RunningWriter.pace). */
const MAX_AHEAD = 20_000;
/** Uptime before a 'time' kill -9 (from spawn): the low end lands in start-up and recovery, the rest in steady work. */
const UPTIME_MS: [number, number] = [400, 3_000];
/**
 * When an event-triggered kill is armed: a random uptime in this range, and
 * not before the run has acknowledged something of its own (ack.json moved
 * past where it stood at the run's start). A run killed at its very first ack
 * write every time never acknowledges anything, and the re-delivered backlog
 * snowballs (measured: 191,520 duplicates of 150,000 lines, all within the
 * measured bound).
 */
const ARM_MS: [number, number] = [1_200, 2_400];
/** How long a run may take to reach a kill's precondition (fresh lines, its first ack) before the test calls it stuck. */
const PRECONDITION_TIMEOUT_MS = 90_000;
const RESTART_GAP_MS = 300;
const SEGMENT_SIZE = '256KiB';
/**
 * A fixed ceiling on top of the measured bound, per line written. Measured:
 * 25,450-51,325 duplicates of ~160,000 lines over 30 kills (5 seeds), and
 * 452,825 of 685,075 on a loaded machine (logship far behind the writer, so
 * the un-acked window is large), each time within the measured bound. A restart
 * from the beginning of the file, or of the buffer, at every kill would be
 * about KILLS / 2 copies per line.
 */
const MAX_DUPLICATES_PER_LINE = 2;
/** For the report only: deliveries in the last seconds before each kill, the older crash test's estimate. */
const RECENT_WINDOW_MS = 3_000;

type Trigger = 'time' | 'rollover' | 'ack' | 'unlink' | 'checkpoint';
/** Kinds of kill in the schedule, in equal shares (time twice), shuffled by the seed. */
const TRIGGERS: Trigger[] = ['time', 'rollover', 'ack', 'time', 'unlink', 'checkpoint'];
/** How long an armed trigger waits for its file event before killing anyway. */
const ARM_WINDOW_MS = 1_500;

/** The window the disk state shows at a kill (the parts of the bound, see the header), and how the kill came. */
interface KillRecord extends Omit<UnackedWindow, 'segments'> {
  run: number;
  trigger: string;
  uptimeMs: number;
  /** What the disk state shows the kill interrupted. */
  phase: string[];
  recent: number;
  /** Lines the writer had written at the kill. */
  written: number;
  writerDone: boolean;
}

describe('buffer: kill -9 at random moments', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    `kill -9 at ${KILLS} random moments (appends, fsyncs, rollovers, ack/unlink): every line arrives, duplicates within the un-acked window, ids stable`,
    async () => {
      const seed = Number(process.env.LOGSHIP_CRASH_SEED ?? Date.now() % 1_000_000);
      const rand = prng(seed);
      console.log(`[buffer-crash] seed ${seed} (replay with LOGSHIP_CRASH_SEED=${seed})`);
      h.note(`buffer-crash seed ${seed}`);
      const root = await h.tmp('bcrash');
      const state = path.join(root, 'state');
      const log = path.join(root, 'logs', 'app.log');
      const cfg = baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }], { name: 'out', sync_interval: '500ms' });
      cfg.buffer = { path: state, segment_size: SEGMENT_SIZE, sync_interval: '200ms' };
      const cfgPath = await writeConfig(root, cfg);
      const buf = bufferDir(state, 'out');
      const reader = new OutputReader(path.join(root, 'out'));

      const writer = startWriter({ file: log, count: WRITER_MAX, rate: WRITER_RATE, lineBytes: LINE_BYTES });
      let writerDone = false;
      writer.done.then(() => (writerDone = true), () => {});
      /** Whole lines in the file so far (line n ends at byte n * LINE_BYTES). */
      const writtenLines = () => Math.floor(fileSize(log) / LINE_BYTES);
      const ackedNow = () => readAck(buf)?.acked_id ?? -1;

      const timeline: { t: number; events: number }[] = [];
      const sample = () => {
        reader.poll();
        timeline.push({ t: Date.now(), events: reader.events.length });
        writer.pace(writtenLines() - checkpointOffset(state, log) / LINE_BYTES, MAX_AHEAD);
      };
      const deliveredSince = (t: number) => {
        let before = 0;
        for (const s of timeline) if (s.t <= t) before = s.events;
        return timeline[timeline.length - 1]!.events - before;
      };

      /** The un-acked window at a kill, from the frozen state (see the header), and what the kill interrupted. */
      const analyse = (proc: LogshipProcess, upTo: number): Omit<KillRecord, 'run' | 'trigger' | 'uptimeMs' | 'recent' | 'written' | 'writerDone'> => {
        const { segments, ...window } = unackedWindow({ delivered: reader.events, buf, state, log, lineBytes: LINE_BYTES, upTo });
        const { ackedId, unacked } = window;
        const phase: string[] = [];
        if (!proc.logRecords().some((r) => r.msg === 'tailing started')) phase.push('start-up');
        const last = segments.at(-1);
        if (last && last.trailing > 0) phase.push(`torn tail (${last.trailing} B)`);
        if (last && last.records.length === 0 && segments.length > 1) phase.push('just rolled over');
        if (segments.some((s) => s.damageAt !== undefined)) phase.push('damaged record!');
        // A segment all of whose records are acknowledged (the next one starts at or below acked_id + 1).
        const ackedSegs = segments.filter((_s, i) => i + 1 < segments.length && segments[i + 1]!.firstId - 1 <= ackedId).length;
        if (ackedSegs > 0) phase.push(`${ackedSegs} acked segment(s) not unlinked`);
        if (existsSync(path.join(state, 'checkpoints.json.tmp'))) phase.push('checkpoints.json.tmp left');
        phase.push(`${segments.length} segment(s), last ${last?.records.length ?? 0} records, ${unacked} un-acked`);
        return { phase, ...window };
      };

      // The schedule: each kill waits a random uptime and for the writer to have added FRESH_LINES since
      // the run started (an event trigger also for the run's first ack), then either fires at once ('time') or waits for
      // the next file event in the buffer or state directory (inotify via fs.watch) and fires inside
      // its callback, i.e. within a millisecond or so of logship creating a segment (rollover: open,
      // magic, fsync, fsync dir), rewriting ack.json in place (ack: write, fsync, then unlink),
      // unlinking a segment, or writing checkpoints.json.tmp. A trigger that does not come
      // within ARM_WINDOW_MS falls back to a plain kill.
      const triggers: Trigger[] = [];
      for (let i = 0; i < KILLS; i++) triggers.push(TRIGGERS[i % TRIGGERS.length]!);
      for (let i = triggers.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [triggers[i], triggers[j]] = [triggers[j]!, triggers[i]!];
      }

      const kills: KillRecord[] = [];
      let proc: LogshipProcess = h.start(cfgPath);
      let startLines = writtenLines();
      let startAcked = ackedNow();
      sample();
      for (let k = 0; k < KILLS; k++) {
        const trigger = triggers[k]!;
        const uptime = UPTIME_MS[0] + Math.floor(rand() * (UPTIME_MS[1] - UPTIME_MS[0]));
        const armAt = proc.startedAt + (trigger === 'time' ? uptime : ARM_MS[0] + Math.floor(rand() * (ARM_MS[1] - ARM_MS[0])));
        const armed = () => Date.now() >= armAt && writtenLines() >= startLines + FRESH_LINES && (trigger === 'time' || ackedNow() > startAcked);
        const stuckAt = Date.now() + PRECONDITION_TIMEOUT_MS;
        while (!armed()) {
          if (!proc.running || Date.now() > stuckAt) {
            throw new Error(
              `run #${k + 1} (${trigger}): ${proc.running ? `not armed within ${PRECONDITION_TIMEOUT_MS / 1000} s` : 'died on its own'}: ` +
                `writer at line ${writtenLines()} (run started at ${startLines}), acked id ${ackedNow()} (run started at ${startAcked}); writer done: ${writerDone}\n${proc.describe()}`,
            );
          }
          await sleep(Math.min(200, Math.max(20, armAt - Date.now())));
          sample();
        }
        const victim = proc;
        let fired = 'time';
        if (trigger !== 'time') {
          fired = await new Promise<string>((resolve) => {
            const watchers: FSWatcher[] = [];
            const finish = (how: string) => {
              for (const w of watchers) w.close();
              clearTimeout(timer);
              resolve(how);
            };
            const onEvent = (dir: string) => (_event: string, name: string | Buffer | null) => {
              const file = String(name ?? '');
              const hit =
                (trigger === 'rollover' && /^seg-.*\.log$/.test(file) && existsSync(path.join(dir, file))) ||
                (trigger === 'ack' && file === 'ack.json') ||
                (trigger === 'unlink' && /^seg-.*\.log$/.test(file) && !existsSync(path.join(dir, file))) ||
                (trigger === 'checkpoint' && file === 'checkpoints.json.tmp');
              if (!hit) return;
              victim.child.kill('SIGKILL'); // at once, inside the callback
              finish(`${trigger} (${file})`);
            };
            for (const dir of trigger === 'checkpoint' ? [state] : [buf]) {
              try {
                watchers.push(watch(dir, onEvent(dir)));
              } catch {
                // The directory does not exist yet (first run): fall back to time.
              }
            }
            const timer = setTimeout(() => finish(`missed ${trigger}: time (none within ${ARM_WINDOW_MS} ms)`), ARM_WINDOW_MS);
          });
        }
        const killedAt = Date.now();
        const written = writtenLines();
        await victim.kill9();
        sample();
        kills.push({
          run: k + 1,
          trigger: fired,
          uptimeMs: killedAt - victim.startedAt,
          recent: deliveredSince(killedAt - RECENT_WINDOW_MS),
          written,
          writerDone,
          ...analyse(victim, writtenLines()),
        });
        await sleep(Math.floor(rand() * RESTART_GAP_MS));
        startLines = writtenLines();
        startAcked = ackedNow();
        proc = h.start(cfgPath);
        sample();
      }

      const w = await writer.stop();
      const total = w.last;
      h.note(`writer: ${w.written} lines in ${w.ms} ms; kills: ${JSON.stringify(kills)}`);
      expect(statSync(log).size, 'the stopped writer left whole lines').toBe(total * LINE_BYTES);
      await waitForNumbered(reader, { last: total }, { proc, what: `all ${total} lines after ${KILLS} kills`, timeoutMs: 180_000 });
      const exit = await proc.stop();
      reader.poll();
      const r = checkNumbered(reader.events, { last: total });
      const bound = kills.reduce((a, k) => a + k.bufferRedelivery + k.bufferRepeats + k.reread, 0);
      const recent = kills.reduce((a, k) => a + k.recent, 0);
      const tornCuts = h.procs.reduce((a, p) => a + p.logRecords().filter((l) => String(l.msg).startsWith('buffer: torn record')).length, 0);
      const quarantines = h.procs.reduce((a, p) => a + p.logRecords().filter((l) => String(l.msg).startsWith('buffer: damaged bytes')).length, 0);
      const phases = new Map<string, number>();
      for (const k of kills) for (const p of [`trigger ${k.trigger.replace(/ \(.*/, '')}`, ...k.phase]) {
        const key = p.replace(/\d+/g, 'N');
        phases.set(key, (phases.get(key) ?? 0) + 1);
      }
      console.log(
        `[buffer-crash] seed=${seed} writer=${w.ms}ms; ${summarize(r)}; events=${reader.events.length}; ` +
          `duplicates=${r.duplicates} <= un-acked bound ${bound} (deliveries in the ${RECENT_WINDOW_MS} ms before each kill: ${recent}); ` +
          `torn tails cut on restart: ${tornCuts}; quarantines: ${quarantines}; bad NDJSON lines: ${reader.badLines.length}\n` +
          `[buffer-crash] kill moments: ${[...phases].map(([p, n]) => `${p} ×${n}`).join('; ')}\n` +
          kills
            .map(
              (k) =>
                `  #${k.run} ${k.trigger}, up ${k.uptimeMs} ms: ${k.phase.join(', ')}; checkpoint line ${k.checkpointLine}, acked id ${k.ackedId}, ` +
                `un-acked ${k.unacked}; bound ${k.bufferRedelivery}+${k.bufferRepeats}+${k.reread}; recent ${k.recent}; writer at line ${k.written}${k.writerDone ? ' (writer done!)' : ''}`,
            )
            .join('\n'),
      );

      expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
      expectEveryLineWithStableIds(r);
      expect(reader.badLines.slice(0, 3), 'lines in the output that are not JSON objects (valid NDJSON)').toEqual([]);
      expect(quarantines, 'a kill -9 must never look like damage (only torn tails, which are cut)').toBe(0);
      expect(kills.filter((k) => k.writerDone).map((k) => k.run), 'the writer runs until the test stops it: it must not have ended during the kills').toEqual([]);
      expect(r.duplicates, `duplicates must stay within the un-acked window measured at the kills (seed ${seed})`).toBeLessThanOrEqual(bound);
      expect(r.duplicates, `duplicates over the fixed ceiling (seed ${seed})`).toBeLessThanOrEqual(MAX_DUPLICATES_PER_LINE * total);
    },
    900_000,
  );

  // Found by these tests (a bug once, seen failing before its fix).
  // Found by this test's final stop: Agent.stop() stops the tailers that exist;
  // one that arrives while run() is still starting (opening buffers, loading
  // parser modules) finds none, and the tailers created afterwards are never
  // stopped, so logship runs on after SIGTERM. A slow-loading parser module
  // holds the window open here; a buffer replaying a large last segment, or a
  // busy machine, opens it for real (seen in 1 of 30 restarts).
  it('a SIGTERM during start-up (before the tailers exist) still stops logship', async () => {
    const root = await h.tmp('bcrash-early-term');
    const marker = path.join(root, 'module-loading');
    const modulePath = path.join(root, 'slow-parser.mjs');
    writeFileSync(
      modulePath,
      `import { writeFileSync } from 'node:fs';\n` +
        `writeFileSync(${JSON.stringify(marker)}, 'loading');\n` +
        `await new Promise((r) => setTimeout(r, 1500));\n` +
        `export default { name: 'slow', create() { return { parse(text) { return { text }; } }; } };\n`,
    );
    writeFileSync(path.join(root, 'logs', 'app.log'), 'hello\n');
    const cfg = baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')], parser: { module: modulePath } }]);
    const proc = h.start(await writeConfig(root, cfg));
    const deadline = Date.now() + 10_000;
    while (!existsSync(marker)) {
      if (Date.now() > deadline || !proc.running) throw new Error(`setup: the parser module was not loaded within 10 s\n${proc.describe()}`);
      await sleep(20);
    }
    proc.child.kill('SIGTERM');
    const exit = await Promise.race([proc.exited, sleep(8_000).then(() => 'still running 8 s after SIGTERM')]);
    console.log(`[buffer-crash] SIGTERM during start-up: ${JSON.stringify(exit)}; log: ${proc.logRecords().map((r) => r.msg).join(' | ')}`);
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
  });
});
