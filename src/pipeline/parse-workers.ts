import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import type { InputConfig } from '../config/schema.js';
import type { FieldSource } from '../enrich/field-source.js';
import type { Logger } from '../log.js';
import { usableCpus } from '../runtime/container-limits.js';
import { processMemoryBudget } from '../runtime/memory-budget.js';
import { LocalStage, type InputStage } from './input-stage.js';
import { ParseStage } from './parse-stage.js';
import { ParseWorker, WorkerStage } from './worker-stage.js';

/** More workers than this buy nothing: one input's lines stay on one worker, and the main thread appends for all. */
const MAX_AUTO_WORKERS = 4;

/**
 * Where the inputs parse: with a second CPU, parse workers take the parser
 * chain, processors and encoder off the main thread, which then only reads,
 * appends and delivers. Each input's stage lives in one worker (its lines
 * stay in order; inputs spread over the workers); a worker starts with the
 * first input given to it. With one CPU (a Kubernetes limit of 500m counts
 * as one) the stages run on the main thread: a worker would only add its
 * memory.
 */
export class ParseWorkers {
  private readonly workers: ParseWorker[] = [];
  private nextStage = 0;

  private constructor(
    readonly count: number,
    private readonly limits: ResourceLimits | undefined,
  ) {}

  static forConfig(setting: 'auto' | number, logger: Logger): ParseWorkers {
    const cpus = usableCpus(availableParallelism());
    const count = setting === 'auto' ? Math.min(MAX_AUTO_WORKERS, cpus - 1) : setting;
    const budget = processMemoryBudget();
    // A worker's heap counts in the same container limit: its young generation is sized as the main thread's.
    const limits = budget ? { maxYoungGenerationSizeMb: 3 * budget.semiSpaceMiB, maxOldGenerationSizeMb: budget.oldSpaceMiB } : undefined;
    logger.debug({ workers: count, setting, cpus }, 'parse workers');
    return new ParseWorkers(count, limits);
  }

  async stage(input: InputConfig, host: string, enrichment: FieldSource | undefined): Promise<InputStage> {
    if (this.count === 0) return new LocalStage(await ParseStage.build(input, host, enrichment));
    let worker = this.workers.find((w) => w.stages === 0);
    if (!worker && this.workers.length < this.count) this.workers.push((worker = new ParseWorker(this.limits)));
    worker ??= this.workers.reduce((a, b) => (b.stages < a.stages ? b : a));
    return WorkerStage.open(worker, this.nextStage++, input, host, enrichment);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
