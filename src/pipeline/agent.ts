import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { NamedOutputConfig } from '../../outputs/registry.js';
import { DeliveryTracker, MAX_OUTPUTS } from '../checkpoint/delivery-tracker.js';
import { CheckpointStore, type CheckpointData } from '../checkpoint/store.js';
import type { InputConfig } from '../config/schema.js';
import { KubernetesMetadata } from '../enrich/kubernetes.js';
import type { EnrichConfig } from '../enrich/schema.js';
import type { Logger } from '../log.js';
import type { ReloadPlan } from '../reload/config-diff.js';
import { beforeDeadline } from '../reload/deadline.js';
import { DispatchGate } from '../reload/dispatch-gate.js';
import { LaneSwap, type LaneHost } from '../reload/lane-swap.js';
import type { ResumePoint } from '../tail/resume-point.js';
import { Tailer } from '../tail/tailer.js';
import type { TailedFile } from '../tail/tailed-file.js';
import { HealthMonitor } from '../server/health.js';
import { LivenessMonitor } from '../server/liveness.js';
import { createMetrics, type ConfigView } from '../server/metrics.js';
import { Coalescer, SerialQueue } from '../util/serial.js';
import { StatusServer } from '../server/http-server.js';
import { AdminServer } from '../admin/admin-server.js';
import { LiveView } from '../admin/live-view.js';
import { StatusCollector } from '../admin/status-collector.js';
import { DeliveryWatch } from './delivery-watch.js';
import type { InputStage } from './input-stage.js';
import { OutputLane, type BufferDefaults } from './output-lane.js';
import type { StageCounters, StageGroup } from './parse-stage.js';
import { DispatchQueue } from './dispatch-queue.js';
import { ParseWorkers } from './parse-workers.js';

const STATS_INTERVAL_MS = 60_000;
/** How often a reload looks whether an output it is stopping fails meanwhile. */
const FAILING_POLL_MS = 100;

interface InputStats {
  /** Undefined until the input's tailer is built (a scrape during the start leaves it out). */
  tailer: Tailer | undefined;
  events: number;
  /** The running input's parsing (its counters); undefined with the tailer. */
  stage: InputStage | undefined;
  /** What the stages a reload replaced counted: a counter never goes back. */
  earlier: { parseFailures: number; lastParseFailure: string | undefined; blank: number; dropped: number };
}

/** An input's counters: those of its running stage, plus what the stages before it counted. */
function inputCounters(st: InputStats): StageCounters {
  const c = st.stage!.counters();
  const { earlier } = st;
  return {
    ...c,
    parseFailures: earlier.parseFailures + c.parseFailures,
    lastParseFailure: c.lastParseFailure ?? earlier.lastParseFailure,
    skipped: { blank: earlier.blank + c.skipped.blank, dropped: earlier.dropped + c.skipped.dropped },
  };
}

/** An input's parts that can fail to build (a parser module, a key file): built before anything running is touched. */
interface BuiltInput {
  readonly config: InputConfig;
  readonly stats: InputStats;
  readonly stage: InputStage;
}

/** A running input: its tailer, its pump, and where its events go (replaced whole on reload). */
interface RunningInput {
  readonly config: InputConfig;
  readonly tailer: Tailer;
  route: Route;
  done: Promise<void>;
  /** Set once a reload stopped it: the input that takes over when its pump ends (undefined: removed). */
  handOver?: { successor: BuiltInput | undefined };
}

/** The lanes an input's batches are appended to, and their tracker bits. */
interface Route {
  readonly lanes: readonly OutputLane[];
  readonly mask: number;
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

/**
 * Lets a retired lane's write in flight finish, but never waits for a failing
 * output (fluent-bit#12225, vector#24125): false, and the write is abandoned,
 * as soon as the loop or a request fails, or at `deadline`.
 */
async function stoppedUnlessFailing(lane: OutputLane, deadline: number): Promise<boolean> {
  const failedBefore = lane.counters.requests.failed ?? 0;
  const failing = () => lane.delivery.failure() !== undefined || (lane.counters.requests.failed ?? 0) > failedBefore;
  let stopped = false;
  const stop = lane.delivery.stop().then(
    () => (stopped = true),
    () => (stopped = true),
  );
  do await Promise.race([stop, delay(Math.max(0, Math.min(FAILING_POLL_MS, deadline - Date.now())), false)]);
  while (!stopped && !failing() && Date.now() < deadline);
  return stopped;
}

export interface AgentConfig {
  inputs: InputConfig[];
  outputs: NamedOutputConfig[];
  buffer: BufferDefaults;
  checkpoint: { interval: number };
  shutdown: { timeout: number };
  reload?: { timeout: number };
  enrich?: EnrichConfig;
  /** `pipeline.workers`: parse workers (src/pipeline/parse-workers.ts); absent means `auto`. */
  pipeline?: { workers: 'auto' | number };
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
  /** Per lane: false once it is retired, so a late durability report of its buffer no longer counts. */
  private readonly laneLive = new Map<OutputLane, { live: boolean }>();
  private readonly inputs = new Map<string, RunningInput>();
  /** Pumps running now; the pipeline ends when the last one has (only a stop ends them all). */
  private readonly pumps = new Set<Promise<void>>();
  /** Where an input added by a reload resumes: the checkpoints read at the start, or where a removed input stopped. */
  private resumeFor: CheckpointData = {};
  private readonly gate = new DispatchGate();
  private readonly host = hostname();
  private reconfiguring: Promise<unknown> | undefined;
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
  /** Pod metadata (`enrich.kubernetes`), read before the first event so every event carries it. */
  private enrichment: KubernetesMetadata | undefined;
  /** Where the inputs' parsing runs: parse worker threads, or this one. */
  private readonly workers: ParseWorkers;
  private markStarted!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    private cfg: AgentConfig,
    private readonly logger: Logger,
    /** What `logship_config_info` and `logship_config_reloads_total` show (src/reload/). */
    private readonly configView?: () => ConfigView,
  ) {
    this.store = new CheckpointStore(resolve(cfg.buffer.path), logger);
    this.workers = ParseWorkers.forConfig(cfg.pipeline?.workers ?? 'auto', logger);
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
      await this.workers.close();
      await admin?.close();
      await status?.close();
    }
  }

  private async runPipeline(): Promise<void> {
    // Built before the parsers, which encode with it; its files are read once they loaded.
    this.enrichment = this.cfg.enrich?.kubernetes && new KubernetesMetadata(this.cfg.enrich.kubernetes, this.logger);
    // Parsers first: a user module that fails to load stops the start before any buffer or file is opened.
    const built: BuiltInput[] = [];
    for (const input of this.cfg.inputs) built.push(await this.buildInput(input));
    await this.enrichment?.start();
    this.resumeFor = await this.store.load();
    this.tracker = new DeliveryTracker(this.cfg.outputs.length);
    for (const config of this.cfg.outputs) this.lanes.push(await this.createLane(config, []));
    for (const lane of this.lanes) await lane.buffer.open();
    for (const lane of this.lanes) lane.delivery.start();
    const deliveryWatch = new DeliveryWatch(() => this.lanes, this.logger);
    deliveryWatch.start();
    for (const input of built) this.startInput(input, this.resumeFor[input.config.name] ?? []);

    this.ready = !this.stopping;
    this.markStarted();
    this.checkpointTimer = setInterval(() => void this.saveCheckpoint(), this.cfg.checkpoint.interval);
    const statsTimer = setInterval(() => this.logStats('stats'), STATS_INTERVAL_MS).unref();
    try {
      // A reload replaces a pump before the old one's end is noticed here, so the set is empty only after a stop.
      while (this.pumps.size > 0) await Promise.all([...this.pumps]);
    } finally {
      clearInterval(this.checkpointTimer);
      clearInterval(statsTimer);
      this.enrichment?.stop();
      deliveryWatch.stop();
      // A reload that was opening or closing lanes finishes first (it is bounded by reload.timeout).
      await this.reconfiguring;
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
    for (const { tailer } of this.inputs.values()) tailer.stop();
    setTimeout(() => {
      this.timedOut = true;
      this.logger.warn('shutdown timeout reached; stopping without reading files to their end');
      for (const { tailer } of this.inputs.values()) tailer.abort();
      // A full buffer behind a dead output would hold the pipeline forever; what it does not take is read again next start.
      for (const lane of this.lanes) lane.buffer.interrupt();
    }, this.cfg.shutdown.timeout).unref();
  }

  /**
   * Applies a validated config (docs/reload.md): only what `plan` names is
   * rebuilt. What can fail (parsers, processors, new lanes) is built first;
   * if any of it fails or `reload.timeout` passes, what was built is released
   * and the running config is left as it was. Inputs are switched last: a
   * changed one stops where it is and its successor resumes from there.
   */
  async reconfigure(next: AgentConfig, plan: ReloadPlan, deadline: number): Promise<void> {
    // A reload asked for during the start applies once the pipeline runs.
    await beforeDeadline(this.started, deadline, 'waiting for the start to finish');
    if (this.stopping) throw new Error('logship is stopping');
    const work = this.applyPlan(next, plan, deadline);
    this.reconfiguring = work.catch(() => {});
    await work;
  }

  private async applyPlan(next: AgentConfig, plan: ReloadPlan, deadline: number): Promise<void> {
    const built: BuiltInput[] = [];
    try {
      for (const input of [...plan.inputs.changed, ...plan.inputs.added]) {
        const building = this.buildInput(input);
        // One finished after the deadline is released too.
        building.catch(() => {});
        built.push(await beforeDeadline(building, deadline, `building input ${input.name}`).catch((err: unknown) => {
          void building.then((b) => b.stage.close(), () => {});
          throw err;
        }));
      }
      await new LaneSwap(this.laneHost(), plan.outputs, deadline).run(() => {
        this.cfg = next;
        this.updateRoutes();
      });
    } catch (err) {
      for (const b of built) b.stage.close();
      throw err;
    }
    // From here nothing fails: the new config runs.
    for (const name of plan.inputs.removed) this.replaceInput(name, undefined);
    for (const input of built) {
      if (this.inputs.has(input.config.name)) this.replaceInput(input.config.name, input);
      else this.startInput(input, this.resumeFor[input.config.name] ?? []);
    }
    if (!this.stopping) {
      clearInterval(this.checkpointTimer);
      this.checkpointTimer = setInterval(() => void this.saveCheckpoint(), this.cfg.checkpoint.interval);
    }
  }

  /** Parsers and processors too: a module or key file that cannot be loaded stops the start (or the reload) here. */
  private async buildInput(input: InputConfig): Promise<BuiltInput> {
    const stats: InputStats = this.stats.get(input.name) ?? { tailer: undefined, events: 0, stage: undefined, earlier: { parseFailures: 0, lastParseFailure: undefined, blank: 0, dropped: 0 } };
    return { config: input, stats, stage: await this.workers.stage(input, this.host, this.enrichment) };
  }

  private startInput(built: BuiltInput, resume: readonly ResumePoint[]): void {
    const { config: input, stats, stage } = built;
    const tailer = new Tailer({
      input,
      resume,
      logger: this.logger,
      hooks: {
        opened: (file) => this.tracker.opened(input.name, file),
        closed: (file) => {
          this.tracker.closed(file);
          stage.closed(file);
        },
      },
    });
    if (stats.stage !== undefined) {
      // A reload's successor: the counters go on from where its predecessor's ended.
      const { parseFailures, lastParseFailure, skipped } = inputCounters(stats);
      stats.earlier = { parseFailures, lastParseFailure, blank: skipped.blank, dropped: skipped.dropped };
    }
    Object.assign(stats, { tailer, stage });
    this.stats.set(input.name, stats);
    const running: RunningInput = { config: input, tailer, route: this.routeFor(input.name), done: Promise.resolve() };
    this.inputs.set(input.name, running);
    // A signal that came while the pipeline was being built applies to it too.
    if (this.stopping) tailer.stop();
    if (this.timedOut) tailer.abort();
    // A reload's successor is started before this pump leaves the set: the pipeline never sees a moment without pumps.
    const done: Promise<void> = this.pump(running, stage)
      .finally(() => stage.close())
      .then(() => this.handOver(running))
      .finally(() => this.pumps.delete(done));
    running.done = done;
    this.pumps.add(done);
  }

  /**
   * Stops input `name` where its tailer is (a reload removed or changed it); once its last batch is
   * dispatched, `successor` starts from the offsets it handed off. Its batches in flight still count
   * for the checkpoint until durable.
   */
  private replaceInput(name: string, successor: BuiltInput | undefined): void {
    const old = this.inputs.get(name)!;
    // A second reload before the old pump ended (a full buffer holds it): the latest config wins.
    old.handOver?.successor?.stage.close();
    old.handOver = { successor };
    old.tailer.abort();
  }

  /** After a pump ended: the input a reload put in its place starts where it handed off (or it was removed). */
  private handOver(old: RunningInput): void {
    if (old.handOver === undefined) return;
    const name = old.config.name;
    const resume = this.tracker.retire(name);
    const next = old.handOver.successor;
    if (next === undefined) {
      this.resumeFor[name] = resume;
      this.inputs.delete(name);
      this.stats.delete(name);
      this.logger.info({ input: name }, 'input stopped (removed from the config)');
      return;
    }
    this.startInput(next, resume);
    this.logger.info({ input: name, files: resume.length }, 'input restarted with its new config');
  }

  /** Each input's lanes and mask, from the running config's routing (`outputs[].inputs`). */
  private updateRoutes(): void {
    for (const running of this.inputs.values()) running.route = this.routeFor(running.config.name);
  }

  private routeFor(input: string): Route {
    const routing = new Map(this.cfg.outputs.map((o) => [o.name, o.inputs]));
    const lanes = this.lanes.filter((l) => {
      const inputs = routing.get(l.config.name);
      return inputs === undefined || inputs.includes(input);
    });
    return { lanes, mask: lanes.reduce((m, l) => m | (1 << l.index), 0) };
  }

  private laneHost(): LaneHost {
    return {
      lanes: () => this.lanes,
      setLanes: (lanes) => (this.lanes = [...lanes]),
      create: (config, reserved) => this.createLane(config, reserved),
      retire: (lane, deadline) => this.retireLane(lane, deadline),
      reroute: () => this.updateRoutes(),
      gate: this.gate,
      logger: this.logger,
    };
  }

  /** A lane in the lowest tracker slot free of the running lanes and `reserved`; its durability reports count until it is retired. */
  private async createLane(config: NamedOutputConfig, reserved: readonly OutputLane[]): Promise<OutputLane> {
    const used = new Set([...this.lanes, ...reserved].map((l) => l.index));
    let index = 0;
    while (used.has(index)) index++;
    if (index >= MAX_OUTPUTS) throw new Error(`at most ${MAX_OUTPUTS} outputs are supported`);
    const live = { live: true };
    const onDurable = (seq: number) => {
      if (!live.live) return;
      this.tracker.durable(index, seq);
      this.checkpointSoon();
    };
    const lane = await OutputLane.create(index, config, { ...this.cfg.buffer, path: resolve(this.cfg.buffer.path) }, onDurable, this.logger, this.live.tap);
    this.laneLive.set(lane, live);
    return lane;
  }

  /**
   * Stops a lane a reload removed or replaced, never waiting past `deadline` for its output (a write in
   * flight to a failing output is abandoned, its records stay in the buffer), then frees its tracker slot:
   * what its buffer did not take no longer holds any checkpoint.
   */
  private async retireLane(lane: OutputLane, deadline: number): Promise<void> {
    const output = lane.config.name;
    const stopped = await stoppedUnlessFailing(lane, deadline);
    if (!stopped) {
      // Its socket may stay open long after: the exit must not wait for it.
      this.abandonedWrites = true;
      this.logger.warn({ output, pendingEvents: lane.buffer.stats().pending }, 'reload: output failing or still writing; abandoning that write, its events stay in the buffer');
    }
    await lane.buffer.close().catch((err: Error) => this.logger.error({ output, err: err.message }, 'buffer close failed'));
    const live = this.laneLive.get(lane);
    if (live) live.live = false;
    this.laneLive.delete(lane);
    this.tracker.release(lane.index);
    const pendingEvents = lane.buffer.stats().pending;
    if ((lane.config.buffer?.type ?? this.cfg.buffer.type) === 'memory' && pendingEvents > 0) {
      this.logger.warn({ output, pendingEvents }, 'reload: output closed with undelivered events in its memory buffer; they are dropped for this output');
    } else {
      this.logger.info({ output, pendingEvents }, 'reload: output stopped; undelivered events stay in its disk buffer');
    }
  }

  /**
   * Reads the input's tailer into its stage and dispatches what the stage
   * answers, in order. With a parse worker the next batch is read and sent
   * while the one before is parsed (at most `stage.depth` unanswered); on
   * this thread each batch is appended before the next read. Either way a
   * full buffer (when_full: block) holds the dispatches, and with them the
   * reading.
   */
  private async pump(running: RunningInput, stage: InputStage): Promise<void> {
    const { tailer } = running;
    const stats = this.stats.get(running.config.name)!;
    const dispatch = async (groups: StageGroup[]): Promise<void> => {
      if (groups.length === 0) return;
      // A reload swapping lanes holds dispatches here, so no append is in flight to a lane it closes.
      await this.gate.enter();
      try {
        const { lanes, mask } = running.route;
        for (const group of groups) {
          const seq = this.tracker.dispatched(group.source as TailedFile, group.endOffset, mask);
          const batch = { seq, ...group.records };
          stats.events += group.parsed;
          this.live.entering(running.config.name, lanes, batch);
          // Into every buffer; a full one (when_full: block) holds reading here.
          await Promise.all(lanes.map((l) => l.buffer.append(batch)));
        }
      } finally {
        this.gate.leave();
      }
    };
    const queue = new DispatchQueue(dispatch);
    for await (const lines of tailer.batches()) {
      if (lines === null) queue.add(stage.tick(Date.now()));
      else {
        this.live.read(running.config.name, lines);
        queue.add(stage.lines(lines, Date.now()));
      }
      await queue.below(stage.depth);
    }
    await queue.below(1);
    // The tailer drained: events still pending in multi-line or partial state are complete now.
    queue.add(stage.flushAll(Date.now()));
    await queue.below(1);
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
          .map(([input, st]) => {
            const c = inputCounters(st);
            return { input, events: st.events, parseFailures: c.parseFailures, blankLines: c.skipped.blank, droppedRecords: c.skipped.dropped, parsedBy: c.parsedBy, processors: c.processors, tailer: st.tailer!.counters() };
          }),
      outputs: () => this.lanes.map((l) => ({ output: l.config.name, buffer: l.buffer.stats(), counters: l.counters })),
      checkpoint: () => this.store.stats(),
      config: this.configView,
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
            .flatMap(([name, st]) => {
              if (st.tailer === undefined) return [];
              const { parseFailures, lastParseFailure } = inputCounters(st);
              return [{ name, events: st.events, parseFailures, lastParseFailure, files: st.tailer.files().map((f) => ({ path: f.path, offset: f.readPos, size: f.seenSize })) }];
            }),
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
    const stats = [...this.stats];
    if (stats.length < this.cfg.inputs.length || stats.some(([, st]) => st.tailer === undefined)) return undefined;
    return {
      inputs: stats.map(([name, st]) => ({ name, events: st.events, unreadBytes: st.tailer!.files().reduce((n, f) => n + Math.max(0, f.seenSize - f.readPos), 0) })),
      outputs: this.lanes.map((l) => {
        const { pending, bufferBytes, bufferMaxBytes, lastAckAt } = l.healthView();
        return { name: l.config.name, delivered: l.delivered(), pending, bufferBytes, bufferMaxBytes, lastAckAt };
      }),
    };
  }

  /** One line per input with its counters (truncated lines, rotations, truncations with loss…). */
  private logStats(msg: string): void {
    for (const [input, st] of this.stats) {
      if (st.tailer === undefined) continue;
      const { parseFailures, lastParseFailure, skipped, parsedBy } = inputCounters(st);
      this.logger.info({ input, events: st.events, parseFailures, lastParseFailure, blankLines: skipped.blank, droppedRecords: skipped.dropped, parsedBy, ...st.tailer.counters(), inFlightBatches: this.tracker.inFlight() }, msg);
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
