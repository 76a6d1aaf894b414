import { join } from 'node:path';
import { outputDefinition, type NamedOutputConfig } from '../../outputs/registry.js';
import { DiskBuffer } from '../buffer/disk-buffer.js';
import { MemoryBuffer } from '../buffer/memory-buffer.js';
import { tailCacheBytes } from '../buffer/tail-cache.js';
import type { OutputBuffer } from '../buffer/types.js';
import type { Logger } from '../log.js';
import type { TapHub } from '../admin/tap-hub.js';
import type { OutputCounters } from '../output/contract.js';
import { fitToMemory, processMemoryBudget } from '../runtime/memory-budget.js';
import type { OutputHealthView } from '../server/health.js';
import { OutputDelivery } from './delivery.js';

export interface BufferDefaults {
  path: string;
  type: 'disk' | 'memory';
  max_size: number;
  when_full: 'block' | 'drop_newest';
  sync_interval: number;
  segment_size: number;
}

/**
 * One output's lane: its buffer (disk segments under `<buffer.path>/buffers/<name>`,
 * or memory) and the delivery loop that feeds the output from it.
 */
export class OutputLane {
  private constructor(
    readonly index: number,
    readonly config: NamedOutputConfig,
    readonly buffer: OutputBuffer,
    readonly delivery: OutputDelivery,
    /** The output's outcome counters, kept across rebuilds of the output. */
    readonly counters: OutputCounters,
    private readonly maxSize: number,
  ) {}

  static async create(
    index: number,
    config: NamedOutputConfig,
    defaults: BufferDefaults,
    onDurable: (seq: number) => void,
    logger: Logger,
    tap?: TapHub,
  ): Promise<OutputLane> {
    const own = config.buffer ?? {};
    const settings = {
      maxSize: own.max_size ?? defaults.max_size,
      whenFull: own.when_full ?? defaults.when_full,
      onDurable,
    };
    const definition = outputDefinition(config.type);
    const create = await definition.load();
    const limits = fitToMemory(definition.limits(config), processMemoryBudget());
    const buffer =
      (own.type ?? defaults.type) === 'memory'
        ? new MemoryBuffer(settings)
        : new DiskBuffer({
            ...settings,
            dir: join(defaults.path, 'buffers', config.name),
            syncInterval: defaults.sync_interval,
            segmentSize: defaults.segment_size,
            logger: logger.child({ output: config.name }),
            tailCacheBytes: tailCacheBytes(limits.maxBytes),
          });
    const outputLogger = logger.child({ output: config.name });
    const counters: OutputCounters = { events: {}, requests: {} };
    const delivery = new OutputDelivery(
      buffer,
      (ack) => create(config, { logger: outputLogger, onDurable: ack, counters, stateDir: defaults.path, buffer: { fill: () => buffer.stats().bytes / settings.maxSize, durableAckId: () => buffer.durableAckId } }),
      limits,
      logger,
      tap,
    );
    return new OutputLane(index, config, buffer, delivery, counters, settings.maxSize);
  }

  /** What /health reads (docs/health.md). */
  healthView(): OutputHealthView {
    const stats = this.buffer.stats();
    return {
      name: this.config.name,
      failure: this.delivery.failure(),
      lastAckAt: this.delivery.lastAckAt,
      failedRequests: this.counters.requests.failed ?? 0,
      pending: stats.pending,
      bufferBytes: stats.bytes,
      bufferMaxBytes: this.maxSize,
      diskFull: stats.diskFull,
      readinessRequired: this.config.readiness === 'required',
    };
  }

  /** Records the output acknowledged since the start. */
  delivered(): number {
    return this.delivery.delivered;
  }

  wants(input: string): boolean {
    return !this.config.inputs || this.config.inputs.includes(input);
  }
}
