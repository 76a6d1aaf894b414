import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { outputRegistry, type NamedOutputConfig, type OutputFactory } from '../../outputs/registry.js';
import { DeliveryTracker } from '../checkpoint/delivery-tracker.js';
import { CheckpointStore } from '../checkpoint/store.js';
import type { InputConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Tailer } from '../tail/tailer.js';
import type { TailedFile } from '../tail/tailed-file.js';
import { EventBuilder } from './event-builder.js';
import { OutputPort } from './output-port.js';

const STATS_INTERVAL_MS = 60_000;

export interface AgentConfig {
  inputs: InputConfig[];
  outputs: NamedOutputConfig[];
  buffer: { path: string };
  checkpoint: { interval: number };
  shutdown: { timeout: number };
}

/**
 * The data path of `logship run`, top to bottom:
 * tailer (per input) → event builder → output ports → outputs, with the
 * delivery tracker turning the outputs' durability reports into checkpoints.
 */
export class Agent {
  private readonly store: CheckpointStore;
  private tracker!: DeliveryTracker;
  private ports: OutputPort[] = [];
  private tailers: Tailer[] = [];
  private checkpointTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private saving: Promise<void> = Promise.resolve();
  private saveQueued = false;
  private readonly stats = new Map<string, { tailer: Tailer; events: number }>();

  constructor(
    private readonly cfg: AgentConfig,
    private readonly logger: Logger,
  ) {
    this.store = new CheckpointStore(resolve(cfg.buffer.path), logger);
  }

  /** Runs until stop() and the drain that follows complete. */
  async run(): Promise<void> {
    const resume = await this.store.load();
    this.tracker = new DeliveryTracker(this.cfg.outputs.length);
    this.ports = await Promise.all(this.cfg.outputs.map((o, i) => this.createPort(o, i)));
    for (const port of this.ports) await port.start();

    const host = hostname();
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
      this.stats.set(input.name, { tailer, events: 0 });
      return this.pump(input, tailer, new EventBuilder(input.fields, host));
    });

    this.checkpointTimer = setInterval(() => void this.saveCheckpoint(), this.cfg.checkpoint.interval);
    const statsTimer = setInterval(() => this.logStats('stats'), STATS_INTERVAL_MS).unref();
    try {
      await Promise.all(loops);
    } finally {
      clearInterval(this.checkpointTimer);
      clearInterval(statsTimer);
      await this.closeOutputs();
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
    this.logger.info({ timeoutMs: this.cfg.shutdown.timeout }, 'stopping: draining tracked files');
    for (const t of this.tailers) t.stop();
    setTimeout(() => {
      this.logger.warn('shutdown timeout reached; stopping without reading files to their end');
      for (const t of this.tailers) t.abort();
    }, this.cfg.shutdown.timeout).unref();
  }

  private async pump(input: InputConfig, tailer: Tailer, builder: EventBuilder): Promise<void> {
    const ports = this.ports.filter((p) => {
      const wanted = this.cfg.outputs[p.index]!.inputs;
      return !wanted || wanted.includes(input.name);
    });
    const mask = ports.reduce((m, p) => m | (1 << p.index), 0);
    const stats = this.stats.get(input.name)!;
    for await (const lines of tailer.batches()) {
      const { records, times } = builder.build(lines);
      stats.events += records.length;
      const seq = this.tracker.dispatched(lines.source as TailedFile, lines.endOffset, mask);
      const batch = { seq, records, times };
      await Promise.all(ports.map((p) => p.write(batch)));
    }
  }

  private async createPort(config: NamedOutputConfig, index: number): Promise<OutputPort> {
    // The registry pairs each type's schema with its factory; the union loses that pairing.
    const create = (await outputRegistry[config.type].load()) as OutputFactory<NamedOutputConfig>;
    const logger = this.logger.child({ output: config.name });
    return new OutputPort(
      index,
      (onDurable) => create(config, { logger, onDurable }),
      (seq) => {
        this.tracker.durable(index, seq);
        this.checkpointSoon();
      },
      this.logger,
    );
  }

  private async closeOutputs(): Promise<void> {
    for (const port of this.ports) {
      try {
        await port.close();
      } catch (err) {
        this.logger.error({ output: port.name, err: (err as Error).message }, 'output did not close cleanly; unsent events are read again next start');
      }
    }
  }

  /** One line per input with its counters (truncated lines, rotations, truncations with loss…). */
  private logStats(msg: string): void {
    for (const [input, { tailer, events }] of this.stats) {
      this.logger.info({ input, events, ...tailer.counters(), inFlightBatches: this.tracker.inFlight() }, msg);
    }
  }

  /**
   * Durability moved: write the checkpoint now rather than at the next tick,
   * so a crash re-reads as little as possible. One save runs, at most one waits
   * (it snapshots when it starts, so it covers every report made before).
   */
  private checkpointSoon(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    void this.saveCheckpoint();
  }

  /** Saves are chained: the interval's, the prompt ones and the final one never write the temp file at once. */
  private saveCheckpoint(): Promise<void> {
    this.saving = this.saving.then(async () => {
      this.saveQueued = false;
      try {
        await this.store.save(this.tracker.snapshot());
      } catch (err) {
        this.logger.error({ file: this.store.file, err: (err as Error).message }, 'checkpoint write failed; will retry');
      }
    });
    return this.saving;
  }

}
