// Issue 2, integration 5: kill -9 logship at random moments while a writer
// appends 100,000 lines, restart it each time, then let it finish: every line
// at least once, duplicates only for what was in flight, and a duplicate always
// carries the same event.id as its first copy.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, OutputReader, summarize, waitForNumbered } from '../support/output.js';
import { startWriter } from '../support/writer.js';
import { prng } from '../support/prng.js';

const TOTAL = 100_000;
const WRITER_RATE = 4_000; // lines/s: the writer runs ~25 s, through all the kills
const KILLS = 5;
const CHECKPOINT_MS = 1_000;
const SYNC_MS = 1_000;
/**
 * Each run lives 2.5-4.5 s before its kill -9: long enough to have written a
 * checkpoint (the first comes ~1.2-1.5 s after start), so "in flight" has a
 * meaning. A run killed before its first checkpoint makes its successor
 * resume from the previous run's checkpoint, and duplicates then pile up
 * across runs (measured: 65,103 with four of five runs killed at 0.7-1.5 s).
 */
const UPTIME_MS: [number, number] = [2_500, 4_500];
/**
 * What can be in flight at a kill: events the output wrote but no checkpoint
 * covers yet, i.e. what logship delivered in the last sync interval plus one
 * checkpoint interval, plus slack for a loaded 2-core machine. The test
 * measures deliveries over that window before every kill and asserts the
 * duplicates stay within their sum.
 */
const IN_FLIGHT_WINDOW_MS = CHECKPOINT_MS + SYNC_MS + 1_500;
/** And a fixed, generous ceiling on top (a restart from offset 0 each time would exceed it). */
const MAX_DUPLICATES = 50_000;

// Small seeded PRNG, so a failing schedule can be replayed with LOGSHIP_CRASH_SEED.

describe('crash and restart', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    `kill -9 at ${KILLS} random moments during a ${TOTAL.toLocaleString('en')}-line run: every line at least once, duplicates bounded, ids stable`,
    async () => {
      const seed = Number(process.env.LOGSHIP_CRASH_SEED ?? Date.now() % 1_000_000);
      const rand = prng(seed);
      const root = await h.tmp('crash');
      const log = path.join(root, 'logs', 'app.log');
      const cfg = await writeConfig(
        root,
        baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }], { sync_interval: `${SYNC_MS}ms` }),
      );
      const reader = new OutputReader(path.join(root, 'out'));
      h.note(`crash seed ${seed}`);

      const writer = startWriter({ file: log, count: TOTAL, rate: WRITER_RATE });
      let writerDone = false;
      writer.done.then(() => (writerDone = true), () => {});

      // Timeline of how many events the output held, polled while the runs come and go.
      const timeline: { t: number; events: number }[] = [];
      const sample = () => {
        reader.poll();
        timeline.push({ t: Date.now(), events: reader.events.length });
      };
      const deliveredSince = (t: number) => {
        const now = timeline[timeline.length - 1]!.events;
        // The last sample at or before t (the window's start); 0 before the first.
        let before = 0;
        for (const s of timeline) if (s.t <= t) before = s.events;
        return now - before;
      };

      const kills: { run: number; uptimeMs: number; present: number; events: number; inFlightBound: number; writerDone: boolean }[] = [];
      let proc: LogshipProcess = h.start(cfg);
      sample();
      for (let k = 0; k < KILLS; k++) {
        const uptime = UPTIME_MS[0] + Math.floor(rand() * (UPTIME_MS[1] - UPTIME_MS[0]));
        const killAt = proc.startedAt + uptime;
        while (Date.now() < killAt) {
          await sleep(Math.min(200, Math.max(0, killAt - Date.now())));
          sample();
        }
        expect(proc.running, `run #${k + 1} died on its own: ${proc.describe()}`).toBe(true);
        const killedAt = Date.now();
        await proc.kill9();
        await sleep(50);
        sample();
        kills.push({
          run: k + 1,
          uptimeMs: killedAt - proc.startedAt,
          present: checkNumbered(reader.events, { last: TOTAL }).present,
          events: reader.events.length,
          inFlightBound: deliveredSince(killedAt - IN_FLIGHT_WINDOW_MS),
          writerDone,
        });
        await sleep(Math.floor(rand() * 300));
        proc = h.start(cfg);
        sample();
      }

      const w = await writer.done;
      h.note(`writer: ${w.written} lines in ${w.ms} ms; kills: ${JSON.stringify(kills)}`);
      await waitForNumbered(reader, { last: TOTAL }, { proc, what: `all ${TOTAL} lines after ${KILLS} kills` });
      const exit = await proc.stop();
      reader.poll();
      const r = checkNumbered(reader.events, { last: TOTAL });
      const torn = reader.tornTails();
      const bound = kills.reduce((a, k) => a + k.inFlightBound, 0);
      console.log(
        `[crash] seed=${seed} writer=${w.ms}ms kills=${JSON.stringify(kills.map((x) => ({ uptimeMs: x.uptimeMs, present: x.present, inFlight: x.inFlightBound, writerDone: x.writerDone })))}; ` +
          `${summarize(r)}; events=${reader.events.length}; in-flight bound=${bound}; ` +
          `bad NDJSON lines=${reader.badLines.length}; torn object tails=${torn.length}`,
      );

      expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
      expect(r.missing.length, summarize(r)).toBe(0);
      expect(r.idMismatches, 'a duplicate must carry the same event.id as its first copy').toEqual([]);
      expect(r.idCollisions, 'different lines must not share an event.id').toEqual([]);
      expect(r.missingIds, 'events without event.id').toBe(0);
      expect(kills.filter((k) => !k.writerDone).length, 'the writer should still be appending during the kills').toBeGreaterThanOrEqual(KILLS - 1);
      expect(
        r.duplicates,
        `duplicates must stay within what was in flight at the kills (deliveries in the ${IN_FLIGHT_WINDOW_MS} ms before each; seed ${seed})`,
      ).toBeLessThanOrEqual(bound);
      expect(r.duplicates, `duplicates over the fixed ceiling (seed ${seed})`).toBeLessThanOrEqual(MAX_DUPLICATES);
      // A restarted output must not glue its first record onto a record torn by the kill.
      expect(reader.badLines.slice(0, 3), 'lines in the output that are not JSON objects').toEqual([]);
    },
    150_000,
  );
});
