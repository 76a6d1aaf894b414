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

/** A worker's semi-space without a memory limit (MiB). */
const DEFAULT_WORKER_SEMI_SPACE_MIB = 8;

/** More workers than this buy nothing: one input's lines stay on one worker, and the main thread appends for all. */
const MAX_AUTO_WORKERS = 4;

/**
 * Where the inputs parse: with a second CPU, parse workers take the parser
 * chain, processors and encoder off the main thread, which then only reads,
 * appends and delivers. Each input's stage lives in one worker (its lines
 * stay in order; inputs spread over the workers); a worker's thread starts
 * with the first lines given to it. With one CPU (a Kubernetes limit of 500m counts
 * as one) the stages run on the main thread: a worker would only add its
 * memory. Under a memory limit too small for a worker's heap (src/runtime/memory-budget.ts) too.
 */
export class ParseWorkers {
  private readonly workers: ParseWorker[] = [];
  private nextStage = 0;

  private constructor(
    readonly count: number,
    private readonly limits: ResourceLimits,
  ) {}

  static forConfig(setting: 'auto' | number, logger: Logger): ParseWorkers {
    const cpus = usableCpus(availableParallelism());
    const budget = processMemoryBudget();
    // A worker at full speed costs ~40 MiB: under a 128Mi limit it would take the process past it.
    const count = setting === 'auto' ? Math.min(MAX_AUTO_WORKERS, cpus - 1, budget?.parseWorkers ?? Infinity) : setting;
    // The young generation is three semi-spaces. Under a memory limit a worker's is sized as the main thread's; without
    // one it is still capped: Node 24 sizes it from the machine's memory (hundreds of MiB on a large host), while the
    // stage, which encodes in small slices, is as fast with 8 MiB semi-spaces as with 16 (bench/parse-stage.mjs).
    const limits = budget
      ? { maxYoungGenerationSizeMb: 3 * budget.semiSpaceMiB, maxOldGenerationSizeMb: budget.oldSpaceMiB }
      : { maxYoungGenerationSizeMb: 3 * DEFAULT_WORKER_SEMI_SPACE_MIB };
    logger.debug({ workers: count, setting, cpus, memoryAllows: budget?.parseWorkers }, 'parse workers');
    return new ParseWorkers(count, limits);
  }

  async stage(input: InputConfig, host: string, enrichment: FieldSource | undefined): Promise<InputStage> {
    // Built here whatever runs it: a parser module or key file that cannot load stops the start (or the reload) now,
    // not at the first line, and with the same message.
    const local = await ParseStage.build(input, host, enrichment);
    if (this.count === 0) return new LocalStage(local);
    while (this.workers.length < this.count) this.workers.push(new ParseWorker(this.limits));
    const worker = this.workers.reduce((a, b) => (b.stages < a.stages ? b : a));
    return new WorkerStage(worker, this.nextStage++, input, host, enrichment, local.counters());
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
