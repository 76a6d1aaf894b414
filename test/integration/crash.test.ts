// Issue 2, integration 5: kill -9 logship at random moments while a writer
// appends 100,000 lines, restart it each time, then let it finish: every line
// at least once, duplicates only for what was in flight, and a duplicate always
// carries the same event.id as its first copy.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, OutputReader, summarize, waitForNumbered } from '../support/output.js';
import { startWriter } from '../support/writer.js';

const TOTAL = 100_000;
const WRITER_RATE = 8_000; // lines/s: the writer runs ~12.5 s, through all the kills
const KILLS = 5;
/**
 * What may be in flight at a kill: events written by the output but not yet
 * covered by a checkpoint, i.e. about one checkpoint interval (1 s) plus one
 * sync interval (1 s) of reading. At the writer's pace that is ~16,000 lines
 * per kill, and more while logship catches up after a restart; 50,000 over five
 * kills is generous but finite: a restart from offset 0 each time would
 * duplicate far more.
 */
const MAX_DUPLICATES = 50_000;

// Small seeded PRNG, so a failing schedule can be replayed with LOGSHIP_CRASH_SEED.
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('crash and restart', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    `kill -9 at ${KILLS} random moments during a ${TOTAL.toLocaleString('en')}-line run: every line at least once, duplicates bounded, ids stable`,
    async () => {
      const seed = Number(process.env.LOGSHIP_CRASH_SEED ?? Date.now() % 1_000_000);
      const rand = mulberry32(seed);
      const root = await h.tmp('crash');
      const log = path.join(root, 'logs', 'app.log');
      const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]));
      const reader = new OutputReader(path.join(root, 'out'));
      h.note(`crash seed ${seed}`);

      const writer = startWriter({ file: log, count: TOTAL, rate: WRITER_RATE });
      let writerDone = false;
      writer.done.then(() => (writerDone = true), () => {});

      const kills: { run: number; uptimeMs: number; delivered: number; writerDone: boolean }[] = [];
      let proc: LogshipProcess = h.start(cfg);
      for (let k = 0; k < KILLS; k++) {
        const uptime = 400 + Math.floor(rand() * 2100);
        await sleep(uptime);
        expect(proc.running, `run #${k + 1} died on its own: ${proc.describe()}`).toBe(true);
        await proc.kill9();
        reader.poll();
        kills.push({ run: k + 1, uptimeMs: uptime, delivered: checkNumbered(reader.events, { last: TOTAL }).present, writerDone });
        await sleep(Math.floor(rand() * 300));
        proc = h.start(cfg);
      }

      const w = await writer.done;
      h.note(`writer: ${w.written} lines in ${w.ms} ms; kills: ${JSON.stringify(kills)}`);
      await waitForNumbered(reader, { last: TOTAL }, { proc, what: `all ${TOTAL} lines after ${KILLS} kills` });
      const exit = await proc.stop();
      reader.poll();
      const r = checkNumbered(reader.events, { last: TOTAL });
      const torn = reader.tornTails();
      console.log(
        `[crash] seed=${seed} kills=${JSON.stringify(kills.map((x) => ({ uptimeMs: x.uptimeMs, delivered: x.delivered })))} ` +
          `writer=${w.ms}ms; ${summarize(r)}; events=${reader.events.length}; ` +
          `bad NDJSON lines=${reader.badLines.length}; torn object tails=${torn.length}`,
      );

      expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
      expect(r.missing.length, summarize(r)).toBe(0);
      expect(r.idMismatches, 'a duplicate must carry the same event.id as its first copy').toEqual([]);
      expect(r.idCollisions, 'different lines must not share an event.id').toEqual([]);
      expect(r.missingIds, 'events without event.id').toBe(0);
      expect(r.duplicates, `duplicates must stay bounded by what was in flight (seed ${seed})`).toBeLessThanOrEqual(MAX_DUPLICATES);
      // A restarted output must not glue its first record onto a record torn by the kill.
      expect(reader.badLines.slice(0, 3), 'lines in the output that are not JSON objects').toEqual([]);
    },
    150_000,
  );
});
