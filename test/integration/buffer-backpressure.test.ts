// Issue 4, "a slow output": the `stdout` output writes into a pipe the test
// stops reading. The output waits for 'drain', delivery stalls, the disk
// buffer fills to its small max_size, and reading pauses: the source file on
// disk becomes the overflow. While stalled the writer grows the source by
// LOGSHIP_BP_SOURCE_MB (10^6 bytes; default 256, ~40 s in all), and the test
// samples logship's RSS, the buffer's size on disk and the checkpoint. Then it
// reads stdout again: everything drains, each line once, in file order.
//
// The 1 GiB, run by hand (LOGSHIP_BP_SOURCE_MB=1024: 1,044,000 lines,
// 1.044 GB on top of the 20 MB primed, 127 s in all on the 2-core VM):
// passed; while stalled peak RSS 108.7 MiB, peak segments 3.7 MiB of 4 MiB,
// checkpoint held still over 32 samples; the drain took 114 s (9.1 MB/s of
// source) with peak RSS 155.0 MiB. With the default: 103.6 / 133.4 MiB.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';
import { parseNumbered, ranges } from '../support/output.js';
import {
  bufferBytes,
  bufferDir,
  checkpointOffset,
  fileSize,
  mib,
  MiB,
  outputStats,
  readSegments,
  rssBytes,
  StdoutCollector,
  waitForLog,
} from '../support/buffer-files.js';
import { runWriter } from '../support/writer.js';

const SOURCE_MB = Number(process.env.LOGSHIP_BP_SOURCE_MB ?? 256);
const LINE_BYTES = 1000;
/** Lines written before the stall is established: well past what the buffer, the stdout stream and the pipe hold. */
const PRIME_LINES = 20_000;
const GROW_LINES = Math.ceil((SOURCE_MB * 1e6) / LINE_BYTES);
const TOTAL = PRIME_LINES + GROW_LINES;
const MAX_SIZE = 4 * MiB;
/** DiskBuffer caps a segment at max_size / 4, so 1 MiB here; the buffer may pass max_size by one batch, never a segment. */
const SEGMENT = 1 * MiB;
const RSS_LIMIT = 250 * MiB;
const CHECKPOINT_MS = 500;

describe('slow output: backpressure from a full disk buffer to the tailer', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it(
    `stdout not read: the ${mib(MAX_SIZE)} buffer fills, reading pauses, RSS stays flat while the source grows by ${SOURCE_MB} MB; then it drains in order`,
    async () => {
      const root = await h.tmp('bp');
      const state = path.join(root, 'state');
      const log = path.join(root, 'logs', 'app.log');
      const cfg = baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]);
      cfg.buffer = { path: state, max_size: '4MiB', segment_size: '1MiB', when_full: 'block' };
      cfg.checkpoint = { interval: `${CHECKPOINT_MS}ms` };
      cfg.outputs = [{ name: 'out', type: 'stdout' }];
      cfg.server = { listen: '127.0.0.1:0' };
      const proc = h.start(await writeConfig(root, cfg));
      const out = new StdoutCollector(proc.child.stdout!);
      out.pause(); // the output is "slow" from the first byte
      const buf = bufferDir(state, 'out');
      await waitForLog(proc, 'status server listening (/livez /readyz /metrics)');
      const port = proc.logRecords().find((r) => r.msg === 'status server listening (/livez /readyz /metrics)')!.port as number;
      /** Events the input produced (counted when handed to the buffer, before its append is taken in). */
      const produced = async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith('logship_input_events_total{input="app"}'));
        return line === undefined ? 0 : Number(line.split(' ').at(-1));
      };
      /**
       * The stall, as a state: the input produced events the buffer has not taken in, more bytes
       * of them than the room left under max_size (so the append waits for room and reading is
       * paused), and the checkpoint covers exactly the lines the buffer holds (so it cannot move on).
       */
      const stallState = async () => {
        const made = await produced(); // first: whatever it counts is in the segments read below or still waiting
        const segments = readSegments(buf);
        const last = segments.flatMap((g) => g.records.slice(-1)).at(-1);
        const taken = last ? last.id + 1 : 0;
        const lastLine = last ? (parseNumbered((JSON.parse(last.json) as { message: string }).message)?.n ?? 0) : 0;
        const room = MAX_SIZE - segments.reduce((a, g) => a + g.size, 0);
        const waiting = made - taken;
        return { made, taken, room, waiting, lastLine, full: waiting > 0 && waiting * LINE_BYTES > room, covered: checkpointOffset(state, log) === lastLine * LINE_BYTES };
      };

      type Sample = { t: number; rss: number; segBytes: number; allBytes: number; checkpoint: number; source: number };
      const samples: Sample[] = [];
      const sample = (): Sample => {
        const b = bufferBytes(buf);
        const s = {
          t: Date.now(),
          rss: rssBytes(proc.pid!) ?? 0,
          segBytes: b.segments,
          allBytes: b.all,
          checkpoint: checkpointOffset(state, log),
          source: fileSize(log),
        };
        samples.push(s);
        return s;
      };
      const expectRunning = () => expect(proc.running, `logship exited: ${proc.describe()}`).toBe(true);

      // 1. Prime: enough lines to fill the buffer, the stream's queue and the pipe; wait for the stall.
      await runWriter({ file: log, count: PRIME_LINES, lineBytes: LINE_BYTES });
      const primeBytes = fileSize(log);
      const stallDeadline = Date.now() + 120_000;
      let stall = await stallState();
      while (!(stall.full && stall.covered)) {
        expectRunning();
        if (Date.now() > stallDeadline) {
          throw new Error(
            `the stall never established within 120 s (${JSON.stringify(stall)}; checkpoint ${checkpointOffset(state, log)}/${primeBytes} bytes): ` +
              `expected reading to wait for room in the ${mib(MAX_SIZE)} buffer, with the checkpoint at the end of what it holds\n${proc.describe()}`,
          );
        }
        await sleep(250);
        stall = await stallState();
      }
      const last = sample();
      const stalledAt = last.checkpoint;
      h.note(`stalled: ${JSON.stringify(stall)}; checkpoint ${stalledAt} of ${primeBytes} bytes, buffer ${mib(last.segBytes)}, stdout read so far ${out.bytes} bytes`);
      expect(stalledAt, 'reading should pause well before the end of the primed file (buffer full)').toBeLessThan(primeBytes);
      // What the full buffer holds is fsynced and checkpointed all the same (a blocked append must not hold back the fsync).
      expect(stalledAt, 'the checkpoint must cover what the full buffer holds').toBeGreaterThan(0);

      // 2. While stalled, grow the source by SOURCE_MB and keep sampling.
      const pauseStart = samples.length;
      let writing = true;
      const sampler = (async () => {
        while (writing) {
          sample();
          await sleep(250);
        }
      })();
      const grow = await runWriter({ file: log, start: PRIME_LINES + 1, count: GROW_LINES, lineBytes: LINE_BYTES }).finally(() => {
        writing = false;
      });
      await sampler;
      // And a few checkpoint intervals more with the writer idle: nothing may move.
      for (let i = 0; i < 12; i++) {
        await sleep(250);
        sample();
      }
      expectRunning();
      const paused = samples.slice(pauseStart);
      const sourceBytes = fileSize(log);
      const pausePeakRss = Math.max(...paused.map((s) => s.rss));
      const pausePeakBuffer = Math.max(...paused.map((s) => s.segBytes));
      const pausePeakDir = Math.max(...paused.map((s) => s.allBytes));
      const moved = paused.filter((s) => s.checkpoint !== stalledAt);
      h.note(`grew the source by ${grow.written} lines in ${grow.ms} ms to ${sourceBytes} bytes`);

      // 3. The output comes back: read stdout again, everything drains.
      const drainStart = Date.now();
      const drainSamples: Sample[] = [];
      out.resume();
      let lastCount = -1;
      let lastChange = Date.now();
      const drainDeadline = Date.now() + Math.max(120_000, SOURCE_MB * 600);
      while (out.events.length < TOTAL) {
        await sleep(250);
        drainSamples.push(sample());
        if (out.events.length !== lastCount) {
          lastCount = out.events.length;
          lastChange = Date.now();
        }
        if (!proc.running) break;
        if (Date.now() - lastChange > 20_000 || Date.now() > drainDeadline) {
          throw new Error(
            `drain stuck: ${out.events.length}/${TOTAL} events on stdout, no progress for ${Math.round((Date.now() - lastChange) / 1000)} s\n${proc.describe()}`,
          );
        }
      }
      const drainMs = Date.now() - drainStart;
      const exit = await proc.stop();
      await Promise.race([out.done, sleep(10_000)]);
      const stats = outputStats(proc, 'out');

      // Each line exactly once and in file order.
      let outOfOrder = 0;
      const outOfOrderAt: string[] = [];
      let prev = 0;
      const seen = new Uint8Array(TOTAL + 2);
      let duplicates = 0;
      let unexpected = 0;
      const ids = new Set<string>();
      let missingIds = 0;
      const paths = new Set<string | undefined>();
      for (const e of out.events) {
        if (!Number.isInteger(e.n) || e.n < 1 || e.n > TOTAL) {
          unexpected++;
          continue;
        }
        if (seen[e.n]) duplicates++;
        seen[e.n] = 1;
        if (e.n <= prev) {
          outOfOrder++;
          if (outOfOrderAt.length < 10) outOfOrderAt.push(`${prev} then ${e.n}`);
        }
        prev = e.n;
        paths.add(e.path);
        if (e.id === undefined) missingIds++;
        else ids.add(e.id);
      }
      const missing: number[] = [];
      for (let n = 1; n <= TOTAL; n++) if (!seen[n]) missing.push(n);

      const drainPeakRss = Math.max(...drainSamples.map((s) => s.rss), 0);
      const drainPeakBuffer = Math.max(...drainSamples.map((s) => s.segBytes), 0);
      console.log(
        `[buffer-backpressure] source ${SOURCE_MB} MB grown while stalled (${TOTAL} lines of ${LINE_BYTES} B, ${sourceBytes} bytes); ` +
          `writer ${grow.ms} ms; checkpoint held at ${stalledAt} bytes (${moved.length} of ${paused.length} samples moved); ` +
          `while stalled: peak RSS ${mib(pausePeakRss)}, peak segments ${mib(pausePeakBuffer)} (dir ${mib(pausePeakDir)}, max_size ${mib(MAX_SIZE)}); ` +
          `drain: ${drainMs} ms (${((sourceBytes / 1e6) / (drainMs / 1000)).toFixed(1)} MB/s of source), peak RSS ${mib(drainPeakRss)}, peak segments ${mib(drainPeakBuffer)}; ` +
          `stdout ${out.events.length} events / ${out.bytes} bytes; final stats ${JSON.stringify(stats)}`,
      );

      expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
      expect(moved.map((s) => s.checkpoint).slice(0, 5), `checkpoint must not advance while the output is stalled (held at ${stalledAt})`).toEqual([]);
      expect(pausePeakRss, `logship RSS while the source grew by ${SOURCE_MB} MB behind a full buffer`).toBeLessThan(RSS_LIMIT);
      expect(pausePeakRss, 'RSS was never sampled').toBeGreaterThan(0);
      expect(pausePeakBuffer, `segment bytes must stay within max_size (${MAX_SIZE}) + one segment`).toBeLessThanOrEqual(MAX_SIZE + SEGMENT);
      expect(pausePeakDir, `the whole buffer directory (ack.json, quarantine/ included)`).toBeLessThanOrEqual(MAX_SIZE + SEGMENT);
      expect(drainPeakBuffer, `segment bytes during the drain`).toBeLessThanOrEqual(MAX_SIZE + SEGMENT);
      expect(drainPeakRss, `logship RSS during the drain`).toBeLessThan(RSS_LIMIT);
      expect(out.badLines, 'stdout must be NDJSON').toEqual([]);
      expect(missing.length, `missing lines: ${ranges(missing)}`).toBe(0);
      expect(duplicates, 'lines delivered more than once').toBe(0);
      expect(unexpected, 'events that are not numbered lines 1..TOTAL').toBe(0);
      expect(outOfOrder, `lines out of file order: ${outOfOrderAt.join('; ')}`).toBe(0);
      expect([...paths], 'every event names the source file').toEqual([log]);
      expect(missingIds, 'events without event.id').toBe(0);
      expect(ids.size, 'distinct event.ids').toBe(TOTAL);
      expect(stats, `final stats line for output "out": ${proc.stderrTail()}`).toMatchObject({ pending: 0, droppedEvents: 0, quarantinedPlaces: 0 });
    },
    300_000,
  );

  // Found by these tests (a bug once, seen failing before its fix).
  // SIGTERM while the process reading logship's stdout is stalled: the
  // shutdown timeout fires and logs "undelivered events stay in the buffer",
  // but OutputDelivery.stop() awaits its loop, which awaits StdoutOutput.write()
  // waiting for a 'drain' that never comes (and close() awaits that write too),
  // so logship never exits; DESIGN §2 wants exit 0 within shutdown.timeout.
  it('SIGTERM while the stdout reader is stalled exits 0 within the shutdown timeout (a stuck stdout write cannot hold it)', async () => {
    const root = await h.tmp('bp-term');
    const state = path.join(root, 'state');
    const log = path.join(root, 'logs', 'app.log');
    const cfg = baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]);
    cfg.buffer = { path: state, max_size: '4MiB', when_full: 'block' };
    cfg.shutdown = { timeout: '1s' };
    cfg.outputs = [{ name: 'out', type: 'stdout' }];
    const proc = h.start(await writeConfig(root, cfg));
    const out = new StdoutCollector(proc.child.stdout!);
    out.pause();
    await runWriter({ file: log, count: 5_000, lineBytes: LINE_BYTES });
    const deadline = Date.now() + 20_000;
    while (checkpointOffset(state, log) === 0) {
      if (Date.now() > deadline || !proc.running) throw new Error(`setup: nothing buffered within 20 s\n${proc.describe()}`);
      await sleep(100);
    }
    proc.child.kill('SIGTERM');
    const exit = await Promise.race([proc.exited, sleep(10_000).then(() => 'still running 10 s after SIGTERM (shutdown.timeout 1 s)')]);
    console.log(`[buffer-backpressure] SIGTERM with stdout stalled: ${JSON.stringify(exit)}`);
    expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
  });
});
