import type { BufferStats } from '../buffer/types.js';
import type { OutputCounters } from '../output/contract.js';
import type { HealthReport } from '../server/health.js';

/** One tailed file generation as the live view shows it. */
export interface FileView {
  readonly path: string;
  /** Bytes read so far. */
  readonly offset: number;
  /** The file's size at the last poll. */
  readonly size: number;
}

export interface InputView {
  readonly name: string;
  readonly events: number;
  readonly parseFailures: number;
  readonly lastParseFailure: string | undefined;
  readonly files: readonly FileView[];
}

export interface OutputView {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  readonly buffer: BufferStats;
  readonly bufferMaxBytes: number;
  readonly counters: OutputCounters;
  /** Times the delivery loop rebuilt the output after a failure. */
  readonly rebuilds: number;
}

/** What the agent exposes to `/api/status`: read when sampled, so the hot path keeps plain counters. */
export interface StatusSource {
  inputs(): InputView[];
  outputs(): OutputView[];
  /** The health monitor's report (readiness and its reasons). */
  health(): HealthReport;
}
