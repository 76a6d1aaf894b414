// Issue 15: the opensearch output under kill -9 and an outage, through the real
// @opensearch-project/opensearch client to the OpenSearch personality of the test
// server (or a real cluster with LOGSHIP_OPENSEARCH_URL: the kill test runs there
// too; the outage needs the in-process server). Every wait is for a state, never
// for a speed: a run is killed once it is past its random uptime, the writer has
// added lines since it started and the run has delivered something of its own.
import { describe, expect, it } from 'vitest';
import { checkpointOffset, fileSize } from '../support/buffer-files.js';
import { shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { appLogScene, requireEngine, until, useHarness } from '../support/logship-process.js';
import { osOutput } from '../support/opensearch-shipping.js';
import { openSearchTarget, usingRealOpenSearch } from '../support/opensearch-target.js';
import { checkNumbered, summarize } from '../support/output.js';
import { crashRandom } from '../support/prng.js';
import { startWriter } from '../support/writer.js';

/** The writer's ceiling, never reached: each test stops it. */
const WRITER_MAX = 999_999;
const LINE_BYTES = 100; // the writer's default
/** How long a run may take to reach a precondition before the test calls it stuck. */
const STATE_TIMEOUT_MS = 90_000;

describe('opensearch output: faults', () => {
  const h = useHarness();

  it('kill -9 five times during delivery: every line indexed exactly once (re-sends answered 409 by their _id)', async () => {
    requireEngine();
    const KILLS = 5;
    const { seed, rand } = crashRandom(h.note);
    const target = await openSearchTarget();
    try {
      // Slow answers keep requests in flight when the kill comes.
      target.server?.delay(100);
      const index = 'ls-os-crash';
      await target.deleteIndices(index);
      const { log, state, cfg } = await appLogScene(h, 'os-crash', osOutput(target, { index, batch: { max_bytes: '64KiB', timeout: '200ms' } }));
      const writer = startWriter({ file: log, count: WRITER_MAX, rate: 1_000, lineBytes: LINE_BYTES });
      const written = () => Math.floor(fileSize(log) / LINE_BYTES);
      const deliveries = async () => target.server?.stats.bulkRequests ?? (await target.count(index));
      const kills: { uptimeMs: number; docs: number }[] = [];
      let proc = h.start(cfg);
      for (let k = 0; k < KILLS; k++) {
        const killAt = proc.startedAt + 1_000 + Math.floor(rand() * 1_500);
        const fromLines = written();
        const fromDeliveries = await deliveries();
        await until(
          `run #${k + 1} to be armed`,
          proc,
          async () => Date.now() >= killAt && written() >= fromLines + 300 && (await deliveries()) > fromDeliveries,
          STATE_TIMEOUT_MS,
          { detail: () => `(writer at line ${written()}, run began at ${fromLines})`, pollMs: 50 },
        );
        writer.pace(written() - checkpointOffset(state, log) / LINE_BYTES, 20_000);
        await proc.kill9();
        kills.push({ uptimeMs: Date.now() - proc.startedAt, docs: await target.count(index) });
        proc = h.start(cfg);
      }
      target.server?.delay(0);
      const N = (await writer.stop()).last;
      await waitForDocs(target, index, N, { proc, timeoutMs: 180_000 });
      expect((await proc.stop()).code).toBe(0);
      const report = checkNumbered(await shippedDocs(target, index), { last: N });
      console.log(`[os-crash] seed=${seed} kills=${JSON.stringify(kills)} 409s absorbed=${target.server?.stats.duplicates409} ${summarize(report)}`);
      expect(kills.filter((k) => k.docs === 0), 'kills before any document was indexed').toEqual([]);
      expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0, unexpected: 0 });
      expect(await target.ids(index)).toHaveLength(N);
    } finally {
      await target.close();
    }
  }, 240_000);

  it.skipIf(usingRealOpenSearch())('down for 30 s (connections refused): the failure is logged, reading goes on into the buffer, then everything is delivered exactly once', async () => {
    requireEngine();
    const OUTAGE_MS = 30_000;
    const target = await openSearchTarget();
    const server = target.server!;
    const os = target.os!;
    try {
      const index = 'ls-os-outage';
      const { log, state, cfg } = await appLogScene(h, 'os-outage', osOutput(target, { index, retry: { initial_backoff: '100ms', max_backoff: '2s' } }));
      const writer = startWriter({ file: log, count: WRITER_MAX, rate: 500, lineBytes: LINE_BYTES });
      const proc = h.start(cfg);
      await waitForDocs(target, index, 1_000, { proc });
      const failures = () => proc.logRecords().filter((r) => r.msg === 'opensearch requests failed; retrying' || r.msg === 'output failed; rebuilding it and delivering again from the oldest unacknowledged record');

      await os.down();
      const downAt = Date.now();
      const atDown = { docs: server.count(index), offset: checkpointOffset(state, log), failures: failures().length };
      // At least 30 s, and until logship met the outage and read 2,000 more lines into its buffer, however long that takes.
      await until(
        'the outage to be met and 2,000 lines read into the buffer',
        proc,
        () => Date.now() - downAt >= OUTAGE_MS && failures().length > atDown.failures && checkpointOffset(state, log) >= atDown.offset + 2_000 * LINE_BYTES,
        STATE_TIMEOUT_MS,
        { detail: () => `(failures ${failures().length}, checkpoint ${checkpointOffset(state, log)}, at down ${JSON.stringify(atDown)})`, pollMs: 50 },
      );
      const atUp = { docs: server.count(index), offset: checkpointOffset(state, log) };
      await os.up();
      h.note(`at down ${JSON.stringify(atDown)}, at up ${JSON.stringify(atUp)}`);
      expect(atUp.docs, 'nothing can be indexed while the server refuses connections').toBe(atDown.docs);
      expect(proc.running).toBe(true);
      const reasons = failures().slice(atDown.failures).map((r) => JSON.stringify(r));
      expect(reasons.some((r) => r.includes('ECONNREFUSED')), reasons.slice(0, 3).join('\n')).toBe(true);

      const N = (await writer.stop()).last;
      await waitForDocs(target, index, N, { proc, timeoutMs: 180_000 });
      expect((await proc.stop()).code).toBe(0);
      const report = checkNumbered(await shippedDocs(target, index), { last: N });
      expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0, unexpected: 0 });
      expect(server.ids(index)).toHaveLength(N);
    } finally {
      await target.close();
    }
  }, 240_000);
});
