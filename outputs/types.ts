import type { Logger } from '../src/log.js';

/**
 * Events handed to outputs, already encoded once by the pipeline: every output
 * gets the same strings, so an event is never serialised twice.
 */
export interface EventBatch {
  /** Strictly increasing per pipeline; outputs report durability by it. */
  readonly seq: number;
  /** One JSON document per event, no trailing newline. */
  readonly records: readonly string[];
  /** Each event's `@timestamp` in epoch milliseconds, same order as `records`. */
  readonly times: readonly number[];
  /** Each event's `event.id` (also inside its JSON), same order as `records`. */
  readonly ids: readonly string[];
}

/**
 * Counters an output keeps by outcome, owned by its lane so they survive the
 * output being rebuilt; exposed as `logship_output_events_total{outcome}` and
 * `logship_output_requests_total{outcome}` and in the stats log lines.
 */
export interface OutputCounters {
  readonly events: Record<string, number>;
  readonly requests: Record<string, number>;
}

export interface OutputContext {
  readonly logger: Logger;
  readonly counters: OutputCounters;
  /** logship's state directory (`buffer.path`), for files an output keeps (a dead-letter file). */
  readonly stateDir: string;
  /**
   * Called by the output when every batch up to and including `seq` is durably
   * handed off (for `file`: written and fsynced). Calls must be monotonic.
   */
  onDurable(seq: number): void;
}

/** One destination. The pipeline awaits `write`, so a slow output slows reading. */
export interface Output {
  readonly name: string;
  start(): Promise<void>;
  /** Takes a batch; resolves when the output is ready for the next one. */
  write(batch: EventBatch): Promise<void>;
  /** Makes everything written so far durable, then reports it through onDurable. */
  flush(): Promise<void>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
