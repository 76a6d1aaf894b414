import type { SourceRef } from '../tail/line-batch.js';
import type { ParseStage, StageCounters, StageGroup, StageLines } from './parse-stage.js';

/**
 * Where an input's pump sends what its tailer read: a ParseStage on this
 * thread, or one in a parse worker (src/pipeline/worker-stage.ts). Calls are
 * answered in the order they were made.
 */
export interface InputStage {
  /**
   * How many calls the pump keeps unanswered: 1 on this thread (the next read
   * waits for this batch's append, as backpressure wants); more with a worker,
   * so the worker parses one batch while this thread appends the one before.
   */
  readonly depth: number;
  lines(batch: StageLines, now: number): Promise<StageGroup[]>;
  tick(now: number): Promise<StageGroup[]>;
  flushAll(now: number): Promise<StageGroup[]>;
  /** The tailer closed `source` for good: the stage may forget it once nothing of it is pending. */
  closed(source: SourceRef): void;
  counters(): StageCounters;
  /** The input stopped (its pump ended, or a reload replaced it before it started). */
  close(): void;
}

/** The stage on the pump's own thread: one CPU, or `pipeline.workers: 0`. */
export class LocalStage implements InputStage {
  readonly depth = 1;

  constructor(private readonly stage: ParseStage) {}

  lines(batch: StageLines, now: number): Promise<StageGroup[]> {
    return Promise.resolve(this.stage.lines(batch, now));
  }

  tick(now: number): Promise<StageGroup[]> {
    return Promise.resolve(this.stage.tick(now));
  }

  flushAll(now: number): Promise<StageGroup[]> {
    return Promise.resolve(this.stage.flushAll(now));
  }

  // Sources are keys of weak maps here: nothing to forget.
  closed(): void {}

  counters(): StageCounters {
    return this.stage.counters();
  }

  close(): void {}
}
