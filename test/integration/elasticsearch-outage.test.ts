// Issue 5: Elasticsearch down in the middle of a run (first refusing
// connections, then answering 503): logship keeps reading into its disk
// buffer (its checkpoint keeps moving), then delivers everything when the
// server is back: 0 lost, 0 duplicates. Each phase lasts until logship has
// met the fault (a failure logged / answered) and read PHASE_LINES more lines
// into its buffer, however long that takes; the writer runs until the test
// stops it after the outage.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointOffset, fileSize } from '../support/buffer-files.js';
import { esOutput, shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { esTarget, usingRealEs } from '../support/es-target.js';
import { appLogScene, requireEngine, sleep, useHarness } from '../support/logship-process.js';
import { checkNumbered, summarize } from '../support/output.js';
import { startWriter } from '../support/writer.js';

const RATE = 1_000; // lines/s
/** The writer's ceiling, never reached: the test stops it after the outage. */
const WRITER_MAX = 999_999;
const LINE_BYTES = 100; // the writer's default
/** Lines read into the buffer while down, in each phase, before the phase ends. */
const PHASE_LINES = 10_000;
/** A phase that does not reach its end state in this long is a failure (logship stopped reading). */
const PHASE_TIMEOUT_MS = 120_000;

describe.skipIf(usingRealEs())('elasticsearch outage', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    'down mid-run (refused, then 503s), each phase until logship met it and read 10,000 lines on: reading goes on into the buffer, then everything is delivered exactly once',
    async () => {
      const target = await esTarget();
      const server = target.server!;
      try {
        const index = 'ls-outage';
        const { log, state, cfg } = await appLogScene(h, 'es-outage', esOutput(target, { index, retry: { initial_backoff: '100ms', max_backoff: '2s' } }));
        const writer = startWriter({ file: log, count: WRITER_MAX, rate: RATE, lineBytes: LINE_BYTES });
        const proc = h.start(cfg);
        await waitForDocs(target, index, 3_000, { proc });
        const failuresLogged = () => proc.logRecords().filter((r) => r.msg === 'elasticsearch requests failed; retrying').length;
        /** Waits until `met()` (logship ran into the fault) and the checkpoint is PHASE_LINES past where the phase began. */
        const phase = async (name: string, met: () => boolean) => {
          const from = checkpointOffset(state, log);
          const deadline = Date.now() + PHASE_TIMEOUT_MS;
          while (!(met() && checkpointOffset(state, log) >= from + PHASE_LINES * LINE_BYTES)) {
            if (!proc.running || Date.now() > deadline) {
              throw new Error(
                `${name} phase: ${proc.running ? `not done within ${PHASE_TIMEOUT_MS / 1000} s` : 'logship exited'}: fault met ${met()}, ` +
                  `checkpoint ${checkpointOffset(state, log)} (phase began at ${from}), writer at byte ${fileSize(log)}\n${proc.describe()}`,
              );
            }
            await sleep(200);
          }
        };

        await server.down('refuse');
        const downAt = Date.now();
        const atDown = { docs: server.count(index), offset: checkpointOffset(state, log), failuresLogged: failuresLogged() };
        await phase('refuse', () => failuresLogged() > atDown.failuresLogged);
        const afterRefuse = { docs: server.count(index), offset: checkpointOffset(state, log), requestFailures: server.stats.requestFailures };
        await server.down('503');
        await phase('503', () => server.stats.requestFailures > afterRefuse.requestFailures);
        const afterOutage = { docs: server.count(index), offset: checkpointOffset(state, log) };
        await server.up();
        const outageMs = Date.now() - downAt;
        h.note(`at down ${JSON.stringify(atDown)}, after refuse ${JSON.stringify(afterRefuse)}, after 503s ${JSON.stringify(afterOutage)}`);

        // Nothing could be indexed while down, yet the checkpoint moved: lines went into the buffer.
        expect(afterOutage.docs).toBe(atDown.docs);
        expect(afterRefuse.offset).toBeGreaterThanOrEqual(atDown.offset + PHASE_LINES * LINE_BYTES);
        expect(afterOutage.offset).toBeGreaterThanOrEqual(afterRefuse.offset + PHASE_LINES * LINE_BYTES);
        expect(proc.running, proc.describe()).toBe(true);

        const N = (await writer.stop()).last;
        await waitForDocs(target, index, N, { proc, timeoutMs: 180_000 });
        expect((await proc.stop()).code).toBe(0);
        const report = checkNumbered(await shippedDocs(target, index), { last: N });
        expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0 });
        expect(server.ids(index)).toHaveLength(N);
        expect(server.stats.requestFailures, 'the 503 phase answered requests').toBeGreaterThan(0);
        const failed = proc.logRecords().filter((r) => r.msg === 'elasticsearch requests failed; retrying');
        expect(failed.length, 'request failures are logged by reason with counts').toBeGreaterThan(0);
        // Summaries, not a line per failure: under 40 lines per minute of outage (one per reason every 10 s).
        expect(failed.length, `${failed.length} summary lines over ${outageMs} ms of outage`).toBeLessThan(40 * Math.max(1, outageMs / 60_000));
      } finally {
        await target.close();
      }
    },
    240_000,
  );
});
