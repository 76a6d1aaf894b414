/**
 * The contract between the core and every output (docs/architecture.md,
 * "Outputs"): what an output folder exports, what the core hands it and what
 * it reports back. Outputs import this; the core never imports an output.
 */
import type { z } from 'zod';
import type { Logger } from '../log.js';
import type { RecordBatch } from './record-batch.js';
import type { UploadStats } from './upload-stats.js';

/** A pipeline batch on its way to an output: the records and the sequence number durability is reported by. */
export interface EventBatch extends RecordBatch {
  /** Strictly increasing per pipeline; outputs report durability by it. */
  readonly seq: number;
}

/**
 * Counters an output keeps by outcome, owned by its lane so they survive the
 * output being rebuilt; exposed as `logship_output_events_total{outcome}` and
 * `logship_output_requests_total{outcome}` and in the stats log lines.
 */
export interface OutputCounters {
  readonly events: Record<string, number>;
  readonly requests: Record<string, number>;
  /** An object store's uploads (S3), set by the output on first use; exposed as `logship_output_*` (objects, uploads). */
  uploads?: UploadStats;
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
  /** The output's buffer, for an output that holds records back until whole objects are stored (S3). */
  readonly buffer?: OutputBufferView;
}

export interface OutputBufferView {
  /** How full the buffer is, 0..1 of its max_size: an output holding records back can let go early. */
  fill(): number;
  /** The last record id whose acknowledgement survives a restart; undefined when none does (a memory buffer). */
  durableAckId(): number | undefined;
}

/** One destination. The delivery loop awaits `write`, so a slow output slows reading. */
export interface Output {
  readonly name: string;
  start(): Promise<void>;
  /**
   * Takes a batch; resolves when the output is ready for the next one. Its
   * bytes are the output's to read until it reports the batch durable: the
   * delivery loop then reuses their memory (an output that needs them longer
   * copies them).
   */
  write(batch: EventBatch): Promise<void>;
  /** Makes everything written so far durable, then reports it through onDurable. */
  flush(): Promise<void>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}

/** How the delivery loop batches for an output: at most this much per write, lingering to fill. */
export interface BatchLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
  /** How long a batch may wait for more events while they keep coming (0: send what is there). */
  readonly lingerMs: number;
  /** While lingering, a pause this long with nothing appended means the input went idle: the batch goes at once. */
  readonly idleGapMs: number;
  /** Batches the output keeps in flight at once: a memory budget splits its batch bytes over them. */
  readonly inFlight: number;
  /** Bytes the output adds per event besides the record's NDJSON line (an ES action line), counted against maxBytes. */
  readonly recordOverhead: number;
  /**
   * Bytes the output holds per batch byte while a batch is in flight: 1 (the
   * batch), more where it builds a request body beside it. A memory budget
   * divides by it. Absent: 1.
   */
  readonly heldPerByte?: number;
}

export type OutputFactory<C> = (config: C & { name: string }, ctx: OutputContext) => Output;

/**
 * What each output folder exports (its `definition.ts`): the registry is a
 * list of these and the config schema's union of outputs is derived from it.
 * The schema is loaded eagerly (validation needs it), the implementation
 * lazily, so `logship validate` never loads an SDK it does not use.
 */
export interface OutputDefinition<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: S;
  load(): Promise<OutputFactory<z.output<S>>>;
  limits(config: z.output<S>): BatchLimits;
}

/** Keeps the schema's type attached to `load` and `limits` when an output declares its definition. */
export function defineOutput<S extends z.ZodType>(definition: OutputDefinition<S>): OutputDefinition<S> {
  return definition;
}

/** What one local write (a file object, stdout) takes from the buffer at most. */
export const LOCAL_LIMITS: BatchLimits = { maxEvents: 10_000, maxBytes: 5 * 1024 * 1024, lingerMs: 0, idleGapMs: 0, recordOverhead: 0, inFlight: 1 };
