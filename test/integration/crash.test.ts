// Issue 2, integration 5: kill -9 logship at random moments while a writer
// appends numbered lines, restart it each time, then let it finish: every line
// at least once, duplicates only for what was in flight, and a duplicate always
// carries the same event.id as its first copy.
//
// The writer runs until the test stops it after the last kill, and a run is
// killed only once the writer has added lines since it started and the run has
// written a checkpoint of its own, so the kills land in a live stream however
// slow the machine is. What was in flight at a kill is measured from the state
// on disk right after it (test/support/crash-window.ts), not from a time window.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bufferDir, checkpointOffset, fileSize } from '../support/buffer-files.js';
import { unackedWindow } from '../support/crash-window.js';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, expectEveryLineWithStableIds, OutputReader, summarize, waitForNumbered } from '../support/output.js';
import { startWriter } from '../support/writer.js';
import { prng } from '../support/prng.js';

const WRITER_RATE = 4_000; // lines/s
/** The writer's ceiling, never reached: the test stops it after the last kill. */
const WRITER_MAX = 999_999;
const LINE_BYTES = 100; // the writer's default
const KILLS = 5;
const SYNC_MS = 1_000;
/** Lines the writer must have added since a run started before that run may be killed. */
const FRESH_LINES = 1_000;
/** How far the writer may run ahead of logship's checkpoint before it is held (see RunningWriter.pace). */
const MAX_AHEAD = 20_000;
/**
 * Each run lives at least 2.5-4.5 s (random) and until it has moved the
 * checkpoint itself, so "in flight" has a meaning: a run killed before its
 * first checkpoint makes its successor resume from the previous run's
 * checkpoint, and duplicates then pile up across runs (measured: 65,103 with
 * four of five runs killed at 0.7-1.5 s).
 */
const UPTIME_MS: [number, number] = [2_500, 4_500];
/** How long a run may take to reach a kill's precondition before the test calls it stuck. */
const PRECONDITION_TIMEOUT_MS = 90_000;

describe('crash and restart', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    `kill -9 at ${KILLS} random moments while a writer appends: every line at least once, duplicates within what was in flight, ids stable`,
    async () => {
      const seed = Number(process.env.LOGSHIP_CRASH_SEED ?? Date.now() % 1_000_000);
      const rand = prng(seed);
      const root = await h.tmp('crash');
      const state = path.join(root, 'state');
      const log = path.join(root, 'logs', 'app.log');
      const cfg = await writeConfig(
        root,
        baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }], { name: 'out', sync_interval: `${SYNC_MS}ms` }),
      );
      const buf = bufferDir(state, 'out');
      const reader = new OutputReader(path.join(root, 'out'));
      h.note(`crash seed ${seed}`);

      const writer = startWriter({ file: log, count: WRITER_MAX, rate: WRITER_RATE, lineBytes: LINE_BYTES });
      let writerDone = false;
      writer.done.then(() => (writerDone = true), () => {});
      const writtenLines = () => Math.floor(fileSize(log) / LINE_BYTES);

      const kills: { run: number; uptimeMs: number; written: number; checkpointLine: number; present: number; inFlight: number; writerDone: boolean }[] = [];
      let proc: LogshipProcess = h.start(cfg);
      let startLines = writtenLines();
      let startCheckpoint = checkpointOffset(state, log);
      for (let k = 0; k < KILLS; k++) {
        const killAt = proc.startedAt + UPTIME_MS[0] + Math.floor(rand() * (UPTIME_MS[1] - UPTIME_MS[0]));
        const armed = () => Date.now() >= killAt && writtenLines() >= startLines + FRESH_LINES && checkpointOffset(state, log) > startCheckpoint;
        const stuckAt = Date.now() + PRECONDITION_TIMEOUT_MS;
        while (!armed()) {
          if (!proc.running || Date.now() > stuckAt) {
            throw new Error(
              `run #${k + 1}: ${proc.running ? `not armed within ${PRECONDITION_TIMEOUT_MS / 1000} s` : 'died on its own'}: writer at line ${writtenLines()} ` +
                `(run started at ${startLines}), checkpoint ${checkpointOffset(state, log)} (run started at ${startCheckpoint})\n${proc.describe()}`,
            );
          }
          await sleep(Math.min(200, Math.max(20, killAt - Date.now())));
          writer.pace(writtenLines() - checkpointOffset(state, log) / LINE_BYTES, MAX_AHEAD);
        }
        const killedAt = Date.now();
        const written = writtenLines();
        await proc.kill9();
        reader.poll();
        const w = unackedWindow({ delivered: reader.events, buf, state, log, lineBytes: LINE_BYTES, upTo: writtenLines() });
        kills.push({
          run: k + 1,
          uptimeMs: killedAt - proc.startedAt,
          written,
          checkpointLine: w.checkpointLine,
          present: checkNumbered(reader.events, { last: written }).present,
          inFlight: w.bufferRedelivery + w.bufferRepeats + w.reread,
          writerDone,
        });
        await sleep(Math.floor(rand() * 300));
        startLines = writtenLines();
        startCheckpoint = checkpointOffset(state, log);
        proc = h.start(cfg);
      }

      const w = await writer.stop();
      const total = w.last;
      h.note(`writer: ${w.written} lines in ${w.ms} ms; kills: ${JSON.stringify(kills)}`);
      await waitForNumbered(reader, { last: total }, { proc, what: `all ${total} lines after ${KILLS} kills`, timeoutMs: 120_000 });
      const exit = await proc.stop();
      reader.poll();
      const r = checkNumbered(reader.events, { last: total });
      const torn = reader.tornTails();
      const bound = kills.reduce((a, k) => a + k.inFlight, 0);
      console.log(
        `[crash] seed=${seed} writer=${w.written} lines in ${w.ms}ms kills=${JSON.stringify(kills)}; ` +
          `${summarize(r)}; events=${reader.events.length}; in-flight bound=${bound}; ` +
          `bad NDJSON lines=${reader.badLines.length}; torn object tails=${torn.length}`,
      );

      expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
      expectEveryLineWithStableIds(r);
      expect(kills.filter((k) => k.writerDone).map((k) => k.run), 'the writer runs until the test stops it: it must not have ended during the kills').toEqual([]);
      expect(
        r.duplicates,
        `duplicates must stay within what was in flight at the kills (measured from the buffer and checkpoint on disk at each; seed ${seed})`,
      ).toBeLessThanOrEqual(bound);
      // No fixed ceiling besides: how far the output lags behind reading (so how much is in flight at a kill)
      // depends on the machine's speed; under load 113,961 duplicates over 75,200 lines were all in flight.
      // A restart from an older position (offset 0) would re-deliver lines outside that bound and fail above.
      // A restarted output must not glue its first record onto a record torn by the kill.
      expect(reader.badLines.slice(0, 3), 'lines in the output that are not JSON objects').toEqual([]);
    },
    300_000,
  );
});
