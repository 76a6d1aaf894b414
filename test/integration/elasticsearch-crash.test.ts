// Issue 5: kill -9 logship 10 times while it delivers to Elasticsearch, with
// requests in flight at each kill; then let it finish. The server must hold
// every line exactly once: a re-sent document has the same _id (event.id),
// so its create is answered 409 and counted as delivered, never indexed twice.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { esOutput, shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { esTarget } from '../support/es-target.js';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, summarize } from '../support/output.js';
import { prng } from '../support/prng.js';
import { startWriter } from '../support/writer.js';

const N = 40_000;
const RATE = 2_000; // lines/s: the writer runs ~20 s, past the last kill
const KILLS = 10;
const UPTIME_MS: [number, number] = [1_000, 2_500];

describe('elasticsearch: kill -9 during delivery', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    `${KILLS} kills during a ${N.toLocaleString('en')}-line run: every line indexed exactly once, the re-sends absorbed as 409s`,
    async () => {
      const seed = Number(process.env.LOGSHIP_CRASH_SEED ?? Date.now() % 1_000_000);
      const rand = prng(seed);
      h.note(`crash seed ${seed}`);
      const target = await esTarget();
      try {
        // Slow answers keep requests in flight when the kill comes.
        target.server?.delay(100);
        const root = await h.tmp('es-crash');
        const log = path.join(root, 'logs', 'app.log');
        const index = 'ls-crash';
        await target.deleteIndices(index);
        const cfg = await writeConfig(root, {
          ...baseConfig(root, [{ name: 'app', paths: [log] }]),
          outputs: [esOutput(target, { index, batch: { max_bytes: '64KiB', timeout: '200ms' } })],
        });
        const writer = startWriter({ file: log, count: N, rate: RATE });
        const kills: { uptimeMs: number; docs: number }[] = [];
        let proc: LogshipProcess = h.start(cfg);
        for (let k = 0; k < KILLS; k++) {
          const uptime = UPTIME_MS[0] + Math.floor(rand() * (UPTIME_MS[1] - UPTIME_MS[0]));
          await sleep(Math.max(0, proc.startedAt + uptime - Date.now()));
          expect(proc.running, `run #${k + 1} died on its own: ${proc.describe()}`).toBe(true);
          await proc.kill9();
          kills.push({ uptimeMs: Date.now() - proc.startedAt, docs: await target.count(index) });
          proc = h.start(cfg);
        }
        target.server?.delay(0);
        await writer.done;
        await waitForDocs(target, index, N, { proc, timeoutMs: 120_000 });
        await sleep(1_000);
        expect((await proc.stop()).code).toBe(0);

        const report = checkNumbered(await shippedDocs(target, index), { last: N });
        const duplicates409 = target.server?.stats.duplicates409;
        console.log(`[es-crash] seed=${seed} kills=${JSON.stringify(kills)} 409s absorbed=${duplicates409} ${summarize(report)}`);
        h.note(`kills ${JSON.stringify(kills)}; 409s ${duplicates409}`);
        // Deliveries were under way at the kills, not all before or after them.
        expect(kills.filter((k) => k.docs > 0 && k.docs < N).length).toBeGreaterThanOrEqual(KILLS - 2);
        expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0, unexpected: 0 });
        expect(await target.ids(index)).toHaveLength(N);
      } finally {
        await target.close();
      }
    },
    240_000,
  );
});
