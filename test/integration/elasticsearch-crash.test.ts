// Issue 5: kill -9 logship 10 times while it delivers to Elasticsearch, with
// requests in flight at each kill; then let it finish. The server must hold
// every line exactly once: a re-sent document has the same _id (event.id),
// so its create is answered 409 and counted as delivered, never indexed twice.
// The writer runs until the test stops it after the last kill; a run is killed
// once it is past its random uptime, the writer has added lines since it
// started and the run has sent a _bulk of its own, so every kill lands in a
// live delivery however slow the machine is.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointOffset, fileSize } from '../support/buffer-files.js';
import { esOutput, shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { esTarget } from '../support/es-target.js';
import { appLogScene, requireEngine, sleep, useHarness, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, summarize } from '../support/output.js';
import { crashRandom } from '../support/prng.js';
import { startWriter } from '../support/writer.js';

const RATE = 2_000; // lines/s
/** The writer's ceiling, never reached: the test stops it after the last kill. */
const WRITER_MAX = 999_999;
const LINE_BYTES = 100; // the writer's default
const KILLS = 10;
const UPTIME_MS: [number, number] = [1_000, 2_500];
/** Lines the writer must have added since a run started before that run may be killed. */
const FRESH_LINES = 500;
/** How far the writer may run ahead of logship's checkpoint before it is held (see RunningWriter.pace). */
const MAX_AHEAD = 20_000;
/** How long a run may take to reach a kill's precondition before the test calls it stuck. */
const PRECONDITION_TIMEOUT_MS = 90_000;

describe('elasticsearch: kill -9 during delivery', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    `${KILLS} kills during delivery: every line indexed exactly once, the re-sends absorbed as 409s`,
    async () => {
      const { seed, rand } = crashRandom(h.note);
      const target = await esTarget();
      try {
        // Slow answers keep requests in flight when the kill comes.
        target.server?.delay(100);
        const index = 'ls-crash';
        await target.deleteIndices(index);
        const { log, state, cfg } = await appLogScene(h, 'es-crash', esOutput(target, { index, batch: { max_bytes: '64KiB', timeout: '200ms' } }));
        const writer = startWriter({ file: log, count: WRITER_MAX, rate: RATE, lineBytes: LINE_BYTES });
        let writerDone = false;
        writer.done.then(() => (writerDone = true), () => {});
        const writtenLines = () => Math.floor(fileSize(log) / LINE_BYTES);
        // With the in-process server: the run has sent a _bulk of its own. A real cluster: the index grew.
        const deliveries = async () => target.server?.stats.bulkRequests ?? (await target.count(index));
        const kills: { uptimeMs: number; docs: number; written: number; writerDone: boolean }[] = [];
        let proc: LogshipProcess = h.start(cfg);
        let startLines = writtenLines();
        let startDeliveries = await deliveries();
        for (let k = 0; k < KILLS; k++) {
          const killAt = proc.startedAt + UPTIME_MS[0] + Math.floor(rand() * (UPTIME_MS[1] - UPTIME_MS[0]));
          const stuckAt = Date.now() + PRECONDITION_TIMEOUT_MS;
          while (!(Date.now() >= killAt && writtenLines() >= startLines + FRESH_LINES && (await deliveries()) > startDeliveries)) {
            if (!proc.running || Date.now() > stuckAt) {
              throw new Error(
                `run #${k + 1}: ${proc.running ? `not armed within ${PRECONDITION_TIMEOUT_MS / 1000} s` : 'died on its own'}: writer at line ${writtenLines()} ` +
                  `(run started at ${startLines}), deliveries ${await deliveries()} (run started at ${startDeliveries})\n${proc.describe()}`,
              );
            }
            await sleep(Math.min(100, Math.max(10, killAt - Date.now())));
            writer.pace(writtenLines() - checkpointOffset(state, log) / LINE_BYTES, MAX_AHEAD);
          }
          const written = writtenLines();
          await proc.kill9();
          kills.push({ uptimeMs: Date.now() - proc.startedAt, docs: await target.count(index), written, writerDone });
          startLines = writtenLines();
          startDeliveries = await deliveries();
          proc = h.start(cfg);
        }
        target.server?.delay(0);
        const N = (await writer.stop()).last;
        await waitForDocs(target, index, N, { proc, timeoutMs: 180_000 });
        expect((await proc.stop()).code).toBe(0);

        const report = checkNumbered(await shippedDocs(target, index), { last: N });
        const duplicates409 = target.server?.stats.duplicates409;
        console.log(`[es-crash] seed=${seed} kills=${JSON.stringify(kills)} 409s absorbed=${duplicates409} ${summarize(report)}`);
        h.note(`kills ${JSON.stringify(kills)}; 409s ${duplicates409}`);
        // Deliveries were under way at the kills, not all before or after them.
        expect(kills.filter((k) => k.writerDone), 'the writer runs until the test stops it: it must not have ended during the kills').toEqual([]);
        expect(kills.filter((k) => k.docs === 0), 'kills before any document was indexed').toEqual([]);
        // The title's claim: re-sent documents reached the server and were answered 409 (a real cluster does not expose the count).
        if (target.server) expect(duplicates409, 're-sends absorbed as 409 (none means the kills never interrupted a delivery)').toBeGreaterThan(0);
        expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0, unexpected: 0 });
        expect(await target.ids(index)).toHaveLength(N);
      } finally {
        await target.close();
      }
    },
    240_000,
  );
});
