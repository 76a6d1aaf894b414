// Issue 5: Elasticsearch down for 60 s in the middle of a run (30 s refusing
// connections, then 30 s answering 503): logship keeps reading into its disk
// buffer (its checkpoint keeps moving), then delivers everything when the
// server is back: 0 lost, 0 duplicates.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointOffset } from '../support/buffer-files.js';
import { esOutput, shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { esTarget, usingRealEs } from '../support/es-target.js';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { checkNumbered, summarize } from '../support/output.js';
import { startWriter } from '../support/writer.js';

const N = 60_000;
const RATE = 1_000; // lines/s: the writer runs through the whole outage
const PHASE_MS = 30_000;

describe.skipIf(usingRealEs())('elasticsearch outage', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    'down 60 s mid-run (refused, then 503s): reading goes on into the buffer, then everything is delivered exactly once',
    async () => {
      const target = await esTarget();
      const server = target.server!;
      try {
        const root = await h.tmp('es-outage');
        const log = path.join(root, 'logs', 'app.log');
        const state = path.join(root, 'state');
        const index = 'ls-outage';
        const cfg = await writeConfig(root, {
          ...baseConfig(root, [{ name: 'app', paths: [log] }]),
          outputs: [esOutput(target, { index, retry: { initial_backoff: '100ms', max_backoff: '2s' } })],
        });
        const writer = startWriter({ file: log, count: N, rate: RATE });
        const proc = h.start(cfg);
        await waitForDocs(target, index, 3_000, { proc });

        await server.down('refuse');
        const atDown = { docs: server.count(index), offset: checkpointOffset(state, log) };
        await sleep(PHASE_MS);
        const afterRefuse = { docs: server.count(index), offset: checkpointOffset(state, log) };
        await server.down('503');
        await sleep(PHASE_MS);
        const afterOutage = { docs: server.count(index), offset: checkpointOffset(state, log) };
        await server.up();
        h.note(`at down ${JSON.stringify(atDown)}, after refuse ${JSON.stringify(afterRefuse)}, after 503s ${JSON.stringify(afterOutage)}`);

        // Nothing could be indexed while down, yet the checkpoint moved: lines went into the buffer.
        expect(afterOutage.docs).toBe(atDown.docs);
        expect(afterRefuse.offset).toBeGreaterThan(atDown.offset + 10_000 * 100);
        expect(afterOutage.offset).toBeGreaterThan(afterRefuse.offset + 10_000 * 100);
        expect(proc.running, proc.describe()).toBe(true);

        await writer.done;
        await waitForDocs(target, index, N, { proc, timeoutMs: 120_000 });
        await sleep(500);
        expect((await proc.stop()).code).toBe(0);
        const report = checkNumbered(await shippedDocs(target, index), { last: N });
        expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0 });
        expect(server.ids(index)).toHaveLength(N);
        expect(server.stats.requestFailures, 'the 503 phase answered requests').toBeGreaterThan(0);
        const failed = proc.logRecords().filter((r) => r.msg === 'elasticsearch requests failed; retrying');
        expect(failed.length, 'request failures are logged by reason with counts').toBeGreaterThan(0);
        expect(failed.length).toBeLessThan(40);
      } finally {
        await target.close();
      }
    },
    240_000,
  );
});
