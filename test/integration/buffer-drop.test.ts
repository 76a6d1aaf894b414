// Issue 4, "when_full: drop_newest drops exactly what the metric says it
// dropped": a 1 MiB buffer in front of a `stdout` output the test stops
// reading, then reads, then stops reading again, writing 10,000 lines in each
// phase. logship reads the whole file in every phase (dropping, not blocking);
// at the end the test reads stdout again and stops logship gracefully. Every line is either
// delivered (once, in order) or counted in `droppedEvents`: delivered +
// dropped == written, exactly.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { ranges } from '../support/output.js';
import { bufferBytes, bufferDir, checkpointOffset, fileSize, inputStats, MiB, outputStats, StdoutCollector } from '../support/buffer-files.js';
import { runWriter } from '../support/writer.js';

const LINES = 30_000;
const LINE_BYTES = 200;
const MAX_SIZE = 1 * MiB;

describe('buffer: when_full drop_newest', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(`a full ${MAX_SIZE / MiB} MiB buffer with a stalled output: delivered + droppedEvents == lines written, nothing else lost`, async () => {
    const root = await h.tmp('bdrop');
    const state = path.join(root, 'state');
    const log = path.join(root, 'logs', 'app.log');
    const cfg = baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]);
    cfg.buffer = { path: state, max_size: '1MiB', when_full: 'drop_newest', segment_size: '256KiB' };
    cfg.outputs = [{ name: 'out', type: 'stdout' }];
    const proc = h.start(await writeConfig(root, cfg));
    const out = new StdoutCollector(proc.child.stdout!);
    out.pause();

    // Three phases: stalled (drops), flowing (catches up, delivers), stalled again (drops again).
    let peakBuffer = 0;
    const readAll = async (what: string) => {
      const size = fileSize(log);
      // Dropped batches are done: the checkpoint reaches the end of the file although the output never moved.
      const deadline = Date.now() + 30_000;
      while (checkpointOffset(state, log) < size) {
        expect(proc.running, proc.describe()).toBe(true);
        peakBuffer = Math.max(peakBuffer, bufferBytes(bufferDir(state, 'out')).segments);
        if (Date.now() > deadline) {
          throw new Error(
            `${what}: reading did not reach the end of the file within 30 s (checkpoint ${checkpointOffset(state, log)} of ${size}; ` +
              `stdout read so far: ${out.events.length} events)\n${proc.describe()}`,
          );
        }
        await sleep(100);
      }
    };
    const per = LINES / 3;
    await runWriter({ file: log, count: per, lineBytes: LINE_BYTES });
    await readAll('phase 1 (stalled)');
    const afterPhase1 = out.events.length;
    out.resume();
    await runWriter({ file: log, start: per + 1, count: per, lineBytes: LINE_BYTES, rate: 8_000 });
    await readAll('phase 2 (flowing)');
    out.pause();
    await runWriter({ file: log, start: 2 * per + 1, count: per, lineBytes: LINE_BYTES });
    await readAll('phase 3 (stalled again)');
    const readBeforeResume = `${afterPhase1} after phase 1, ${out.events.length} after phase 3`;

    out.resume();
    const exit = await proc.stop();
    await Promise.race([out.done, sleep(10_000)]);
    const stats = outputStats(proc, 'out');
    const input = inputStats(proc, 'app');

    const seen = new Uint8Array(LINES + 2);
    let duplicates = 0;
    let outOfOrder = 0;
    let unexpected = 0;
    let prev = 0;
    for (const e of out.events) {
      if (!Number.isInteger(e.n) || e.n < 1 || e.n > LINES) {
        unexpected++;
        continue;
      }
      if (seen[e.n]) duplicates++;
      seen[e.n] = 1;
      if (e.n <= prev) outOfOrder++;
      prev = e.n;
    }
    const delivered = seen.reduce((a, b) => a + b, 0);
    const notDelivered: number[] = [];
    for (let n = 1; n <= LINES; n++) if (!seen[n]) notDelivered.push(n);
    const dropped = stats?.droppedEvents ?? NaN;
    console.log(
      `[buffer-drop] ${LINES} lines written; delivered ${delivered} (${out.events.length} events; read during the run: ${readBeforeResume}), ` +
        `droppedEvents ${dropped}, delivered + dropped = ${delivered + dropped}; peak segments ${peakBuffer} B; ` +
        `not delivered: ${ranges(notDelivered, 8)}; final stats ${JSON.stringify(stats)}`,
    );

    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
    expect(stats, `no final stats line for output "out": ${proc.stderrTail()}`).toBeDefined();
    expect(input?.events, 'events the input produced').toBe(LINES);
    expect(out.badLines, 'stdout must be NDJSON').toEqual([]);
    expect(duplicates, 'lines delivered twice').toBe(0);
    expect(unexpected, 'events that are not numbered lines').toBe(0);
    expect(outOfOrder, 'delivered lines out of file order').toBe(0);
    expect(dropped, 'the scenario must drop something (buffer 1 MiB, ~12 MB of events)').toBeGreaterThan(0);
    expect(delivered, 'and deliver something').toBeGreaterThan(0);
    expect(delivered + dropped, `delivered (${delivered}) + droppedEvents (${dropped}) must equal the lines written`).toBe(LINES);
    expect(stats, 'nothing left behind').toMatchObject({ pending: 0, quarantinedPlaces: 0 });
  });
});
