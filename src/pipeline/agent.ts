import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ParserChain, type ChainRecord, type SkipReason } from '../../parsers/chain.js';
import { buildChainSpec } from '../../parsers/setup.js';
import type { NamedOutputConfig } from '../../outputs/registry.js';
import { DeliveryTracker } from '../checkpoint/delivery-tracker.js';
import { CheckpointStore } from '../checkpoint/store.js';
import type { InputConfig } from '../config/schema.js';
import { KubernetesMetadata } from '../enrich/kubernetes.js';
import type { EnrichConfig } from '../enrich/schema.js';
import type { Logger } from '../log.js';
import { Tailer } from '../tail/tailer.js';
import type { TailedFile } from '../tail/tailed-file.js';
import { ProcessorList } from '../processors/processor-list.js';
import { HealthMonitor } from '../server/health.js';
import { LivenessMonitor } from '../server/liveness.js';
import { createMetrics } from '../server/metrics.js';
import { Coalescer, SerialQueue } from '../util/serial.js';
import { StatusServer } from '../server/http-server.js';
import { AdminServer } from '../admin/admin-server.js';
import { LiveView } from '../admin/live-view.js';
import { StatusCollector } from '../admin/status-collector.js';
import { DeliveryWatch } from './delivery-watch.js';
import { EventEncoder } from './event-encoder.js';
import { OutputLane, type BufferDefaults } from './output-lane.js';

const STATS_INTERVAL_MS = 60_000;

interface InputStats {
  tailer: Tailer;
  events: number;
  parseFailures: number;
  lastParseFailure: string | undefined;
  /** Records that left no event: blank lines, and records a user parser dropped (returned null). */
  skipped: Record<SkipReason, number>;
  /** With `parser: [a, b, …]`: records taken by each parser of the list. */
  parsedBy: (() => Record<string, number>) | undefined;
  processors: ProcessorList;
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

function groupBySource(records: readonly ChainRecord[]): Map<object, ChainRecord[]> {
  const groups = new Map<object, ChainRecord[]>();
  for (const r of records) {
    let g = groups.get(r.source);
    if (!g) groups.set(r.source, (g = []));
    g.push(r);
  }
  return groups;
}

export interface AgentConfig {
  inputs: InputConfig[];
  outputs: NamedOutputConfig[];
  buffer: BufferDefaults;
  checkpoint: { interval: number };
  shutdown: { timeout: number };
  enrich?: EnrichConfig;
  server?:
    | { listen: string; health: { output_failure_grace: number; buffer_high_water: number }; liveness: { max_stall: number }; admin_listen?: string | undefined; admin_allow_raw?: boolean }
    | undefined;
}

/**
 * The data path of `logship run`, top to bottom:
 * tailer (per input) → parser chain → event encoder → one buffer per output →
 * delivery loop → output. The delivery tracker turns the buffers' durability
 * reports (an fsync, or with a memory buffer the output's acknowledgement)
 * into file checkpoints.
 */
export class Agent {
  private readonly store: CheckpointStore;
  private tracker!: DeliveryTracker;
  private lanes: OutputLane[] = [];
  private tailers: Tailer[] = [];
  private checkpointTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private timedOut = false;
  private ready = false;
  private stopAt: number | undefined;
  /**
   * Set when the stop reached `shutdown.timeout` with an output still writing:
   * that write (a request in flight, a stalled pipe) is abandoned, its records
   * left unacknowledged in the buffer, and the process must exit without
   * waiting for its socket.
   */
  abandonedWrites = false;
  /** Saves run one at a time: the interval's, the prompt ones and the final one never write the temp file at once. */
  private readonly saves = new SerialQueue();
  /** Durability moved: one save runs, at most one waits (it snapshots when it starts, so it covers every report made before). */
  private readonly promptSave = new Coalescer(() => this.saveNow(), this.saves);
  private readonly stats = new Map<string, InputStats>();
  /** Counts and tap points of the admin listener's live view (docs/live-view.md). */
  private readonly live = new LiveView();
  private health: HealthMonitor | undefined;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly logger: Logger,
  ) {
    this.store = new CheckpointStore(resolve(cfg.buffer.path), logger);
  }

  /** Runs until stop() and the drain that follows complete. */
  async run(): Promise<void> {
    // The status server binds first: a port in use stops the start before a file is read or a buffer opened.
    const status = this.cfg.server ? await this.startStatusServer(this.cfg.server) : undefined;
    let admin: AdminServer | undefined;
    try {
      admin = this.cfg.server?.admin_listen === undefined ? undefined : await this.startAdminServer(this.cfg.server.admin_listen, this.cfg.server.admin_allow_raw === true);
      await this.runPipeline();
    } finally {
      await admin?.close();
      await status?.close();
    }
  }

  private async runPipeline(): Promise<void> {
    const host = hostname();
    // Parsers first: a user module that fails to load stops the start before any buffer or file is opened.
    const chains = new Map<string, ParserChain>();
    for (const input of this.cfg.inputs) {
      // Processors too: a key file that cannot be read stops the start here.
      const processors = new ProcessorList(input.processors);
      const stats: InputStats = { tailer: undefined as unknown as Tailer, events: 0, parseFailures: 0, lastParseFailure: undefined, skipped: { blank: 0, dropped: 0 }, parsedBy: undefined, processors };
      this.stats.set(input.name, stats);
      const onFailure = (reason: string) => {
        // Counted, and the latest reason shown in the stats line: never a log line per event.
        stats.parseFailures++;
        stats.lastParseFailure = reason;
      };
      const onSkip = (reason: SkipReason) => stats.skipped[reason]++;
      const spec = await buildChainSpec(input);
      stats.parsedBy = spec.parsedBy;
      chains.set(input.name, new ParserChain(spec, onFailure, onSkip));
    }
    // Pod metadata is read before the first event, so every event carries it.
    const enrichment = this.cfg.enrich?.kubernetes && new KubernetesMetadata(this.cfg.enrich.kubernetes, this.logger);
    await enrichment?.start();
    const resume = await this.store.load();
    this.tracker = new DeliveryTracker(this.cfg.outputs.length);
    const statePath = resolve(this.cfg.buffer.path);
    for (const [i, config] of this.cfg.outputs.entries()) {
      const onDurable = (seq: number) => {
        this.tracker.durable(i, seq);
        this.checkpointSoon();
      };
      this.lanes.push(await OutputLane.create(i, config, { ...this.cfg.buffer, path: statePath }, onDurable, this.logger, this.live.tap));
    }
    for (const lane of this.lanes) await lane.buffer.open();
    for (const lane of this.lanes) lane.delivery.start();
    const deliveryWatch = new DeliveryWatch(() => this.lanes, this.logger);
    deliveryWatch.start();

    const loops = this.cfg.inputs.map((input) => {
      const tailer = new Tailer({
        input,
        resume: resume[input.name] ?? [],
        logger: this.logger,
        hooks: {
          opened: (file) => this.tracker.opened(input.name, file),
          closed: (file) => this.tracker.closed(file),
        },
      });
      this.tailers.push(tailer);
      // A signal that came while the pipeline was being built applies to it too.
      if (this.stopping) tailer.stop();
      if (this.timedOut) tailer.abort();
      this.stats.get(input.name)!.tailer = tailer;
      const chain = chains.get(input.name)!;
      const unencodable = this.stats.get(input.name)!.processors.redactingFallback((rec: ChainRecord, reason: string) => chain.unencodable(rec, reason));
      return this.pump(input, tailer, chain, new EventEncoder(input.fields, host, unencodable, enrichment));
    });

    this.ready = !this.stopping;
    this.checkpointTimer = setInterval(() => void this.saveCheckpoint(), this.cfg.checkpoint.interval);
    const statsTimer = setInterval(() => this.logStats('stats'), STATS_INTERVAL_MS).unref();
    try {
      await Promise.all(loops);
    } finally {
      clearInterval(this.checkpointTimer);
      clearInterval(statsTimer);
      enrichment?.stop();
      deliveryWatch.stop();
      await this.drainOutputs();
      await this.saveCheckpoint();
      this.logStats('final stats');
    }
  }

  /**
   * Graceful stop: tailers read what exists now to its end and emit held
   * partial lines; past `shutdown.timeout` they stop where they are and the
   * rest is read again on the next start.
   */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.ready = false; // draining: /readyz says so
    this.stopAt = Date.now();
    this.logger.info({ timeoutMs: this.cfg.shutdown.timeout }, 'stopping: draining tracked files');
    for (const t of this.tailers) t.stop();
    setTimeout(() => {
      this.timedOut = true;
      this.logger.warn('shutdown timeout reached; stopping without reading files to their end');
      for (const t of this.tailers) t.abort();
      // A full buffer behind a dead output would hold the pipeline forever; what it does not take is read again next start.
      for (const lane of this.lanes) lane.buffer.interrupt();
    }, this.cfg.shutdown.timeout).unref();
  }

  private async pump(input: InputConfig, tailer: Tailer, chain: ParserChain, encoder: EventEncoder): Promise<void> {
    const lanes = this.lanes.filter((l) => l.wants(input.name));
    const mask = lanes.reduce((m, l) => m | (1 << l.index), 0);
    const stats = this.stats.get(input.name)!;
    const records: ChainRecord[] = [];
    const dispatch = async (): Promise<void> => {
      // One batch per file: the tracker moves each file's checkpoint on its own.
      for (const [source, recs] of groupBySource(records)) {
        const file = source as TailedFile;
        const pending = chain.pendingStart(file);
        const endOffset = pending === undefined ? file.resumeOffset : Math.min(pending, file.resumeOffset);
        const seq = this.tracker.dispatched(file, endOffset, mask);
        // Before the encoder: what a processor drops or redacts is never written. A batch left empty still moves the checkpoint.
        const batch = encoder.encodeBatch(seq, stats.processors.run(recs, file.key, Date.now()), file);
        stats.events += recs.length;
        this.live.entering(input.name, lanes, batch);
        // Into every buffer; a full one (when_full: block) holds reading here.
        await Promise.all(lanes.map((l) => l.buffer.append(batch)));
      }
      records.length = 0;
    };
    for await (const lines of tailer.batches()) {
      if (lines === null) chain.tick(Date.now(), records);
      else {
        this.live.read(input.name, lines);
        chain.push(lines.source, lines.texts, lines.offsets, lines.flags, Date.now(), records);
      }
      if (records.length > 0) await dispatch();
    }
    // The tailer drained: events still pending in multi-line or partial state are complete now.
    chain.flushAll(Date.now(), records);
    await dispatch();
  }

  /**
   * After the inputs drained: make every buffer durable, let the outputs
   * deliver what they can within what is left of `shutdown.timeout`, then stop
   * them. What is not delivered stays in the disk buffers for the next start.
   */
  private async drainOutputs(): Promise<void> {
    for (const lane of this.lanes) await lane.buffer.flush().catch((err: Error) => this.logger.error({ output: lane.config.name, err: err.message }, 'buffer flush failed'));
    const timeoutMs = this.cfg.shutdown.timeout;
    const deadline = (this.stopAt ?? Date.now()) + timeoutMs;
    while (this.lanes.some((l) => !l.buffer.drained) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const undelivered = this.lanes.filter((l) => !l.buffer.drained);
    if (undelivered.length > 0) {
      const pendingEvents = Object.fromEntries(undelivered.map((l) => [l.config.name, l.buffer.stats().pending]));
      this.logger.warn({ outputs: undelivered.map((l) => l.config.name), pendingEvents, timeoutMs }, 'shutdown timeout: undelivered events stay in the buffer for the next start');
    }
    for (const lane of this.lanes) {
      try {
        // The whole stop fits shutdown.timeout: an output stuck in a write (a request in flight, a stalled pipe)
        // is not waited for past the deadline; what it did not acknowledge stays in the buffer.
        const stopped = await Promise.race([lane.delivery.stop().then(() => true), delay(Math.max(0, deadline - Date.now()), false)]);
        if (!stopped) {
          this.abandonedWrites = true;
          this.logger.warn({ output: lane.config.name, pendingEvents: lane.buffer.stats().pending, timeoutMs }, 'shutdown deadline reached with a write in flight; abandoning it, its events stay in the buffer for the next start');
        }
      } catch (err) {
        this.logger.error({ output: lane.config.name, err: (err as Error).message }, 'output did not close cleanly; what it did not acknowledge is delivered again next start');
      }
      await lane.buffer.close().catch((err: Error) => this.logger.error({ output: lane.config.name, err: err.message }, 'buffer close failed'));
    }
  }

  private async startStatusServer(server: NonNullable<AgentConfig['server']>): Promise<StatusServer> {
    const registry = createMetrics({
      // Inputs whose tailer is not built yet (a scrape during the start) are left out.
      inputs: () =>
        [...this.stats]
          .filter(([, st]) => st.tailer !== undefined)
          .map(([input, st]) => ({ input, events: st.events, parseFailures: st.parseFailures, blankLines: st.skipped.blank, droppedRecords: st.skipped.dropped, parsedBy: st.parsedBy?.(), processors: st.processors.counters(), tailer: st.tailer.counters() })),
      outputs: () => this.lanes.map((l) => ({ output: l.config.name, buffer: l.buffer.stats(), counters: l.counters })),
      checkpoint: () => this.store.stats(),
    });
    const health = new HealthMonitor(
      {
        phase: () => (this.stopping ? 'draining' : this.ready ? 'running' : 'starting'),
        outputs: () => this.lanes.map((l) => l.healthView()),
        checkpointDiskFull: () => this.store.stats().diskFull,
      },
      { outputFailureGraceMs: server.health.output_failure_grace, bufferHighWater: server.health.buffer_high_water },
      this.logger,
    );
    this.health = health;
    const status = new StatusServer(registry, health, new LivenessMonitor(server.liveness.max_stall, this.logger), this.logger);
    await status.listen(server.listen);
    return status;
  }

  /** The admin listener: the status page, /api/status and taps. It reads the health monitor of the status server. */
  private async startAdminServer(address: string, allowRaw: boolean): Promise<AdminServer> {
    const health = this.health!;
    const collector = new StatusCollector(
      {
        inputs: () =>
          [...this.stats]
            .filter(([, st]) => st.tailer !== undefined)
            .map(([name, st]) => ({ name, events: st.events, parseFailures: st.parseFailures, lastParseFailure: st.lastParseFailure, files: st.tailer.files().map((f) => ({ path: f.path, offset: f.readPos, size: f.seenSize })) })),
        outputs: () =>
          this.lanes.map((l) => ({ index: l.index, name: l.config.name, type: l.config.type, buffer: l.buffer.stats(), bufferMaxBytes: l.healthView().bufferMaxBytes, counters: l.counters, rebuilds: l.delivery.rebuilds })),
        health: () => health.report(),
      },
      this.live,
    );
    const names = () => ({ inputs: this.cfg.inputs.map((i) => i.name), outputs: this.cfg.outputs.map((o) => o.name) });
    const admin = new AdminServer({ address, allowRaw }, collector, this.live, names, this.logger);
    await admin.listen();
    return admin;
  }

  /** What the terminal's progress line shows (src/cli/progress.ts); undefined until every input runs. */
  progress() {
    if (this.tailers.length < this.cfg.inputs.length) return undefined;
    return {
      inputs: [...this.stats].map(([name, st]) => ({ name, events: st.events, unreadBytes: st.tailer.files().reduce((n, f) => n + Math.max(0, f.seenSize - f.readPos), 0) })),
      outputs: this.lanes.map((l) => {
        const { pending, bufferBytes, bufferMaxBytes, lastAckAt } = l.healthView();
        return { name: l.config.name, delivered: l.delivered(), pending, bufferBytes, bufferMaxBytes, lastAckAt };
      }),
    };
  }

  /** One line per input with its counters (truncated lines, rotations, truncations with loss…). */
  private logStats(msg: string): void {
    for (const [input, { tailer, events, parseFailures, lastParseFailure, skipped, parsedBy }] of this.stats) {
      this.logger.info({ input, events, parseFailures, lastParseFailure, blankLines: skipped.blank, droppedRecords: skipped.dropped, parsedBy: parsedBy?.(), ...tailer.counters(), inFlightBatches: this.tracker.inFlight() }, msg);
    }
    for (const lane of this.lanes) {
      // Outputs without outcome counters (file, stdout) keep their line short.
      const counted = Object.keys(lane.counters.events).length + Object.keys(lane.counters.requests).length > 0;
      this.logger.info({ output: lane.config.name, buffer: lane.buffer.stats(), ...(counted && lane.counters) }, msg);
    }
  }

  /** Durability moved: write the checkpoint now rather than at the next tick, so a crash re-reads as little as possible. */
  private checkpointSoon(): void {
    void this.promptSave.request();
  }

  /** A failed save is retried by the next. */
  private saveCheckpoint(): Promise<void> {
    return this.saves.run(() => this.saveNow());
  }

  private saveNow(): Promise<void> {
    return this.store.save(this.tracker.snapshot());
  }

}
