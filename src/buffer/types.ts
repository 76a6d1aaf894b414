import type { EventBatch } from '../output/contract.js';
import type { RecordBatch } from '../output/record-batch.js';

/** Records taken from a buffer for delivery: consecutive ids `firstId..lastId`. */
export interface TakenBatch extends RecordBatch {
  readonly firstId: number;
  readonly lastId: number;
  /** What was counted against maxBytes: the records' NDJSON bytes plus `recordOverhead` each. */
  readonly bytes: number;
}

/**
 * Records taken as the views they lie in (the tail cache's or the memory
 * queue's batches, or one copy read from disk), not yet joined: a taker that
 * adds more takes to its batch joins them all once (src/buffer/taken.ts).
 */
export interface TakenParts {
  readonly parts: readonly RecordBatch[];
  readonly count: number;
  readonly firstId: number;
  readonly lastId: number;
  /** As TakenBatch.bytes. */
  readonly bytes: number;
}

export interface BufferStats {
  /** Bytes held (segments on disk, or queued in memory). */
  bytes: number;
  /** Records appended and not yet acknowledged. */
  pending: number;
  droppedEvents: number;
  /** Damaged places in the segments, moved to quarantine/ (the records they held count in lostRecords). */
  quarantinedPlaces: number;
  quarantinedBytes: number;
  /** Records known to be gone (damaged, cut or deleted on disk), counted by the gaps in their ids. */
  lostRecords: number;
  /** Times the buffer's directory was found deleted from outside while running. */
  dirVanished: number;
  /** A write is waiting for free space (ENOSPC, EDQUOT): appends and reading pause until it succeeds. */
  diskFull: boolean;
  /** Failed writes (each retried), by error code. */
  writeErrors: Record<string, number>;
}

/**
 * One output's queue between the pipeline and the output (docs/architecture.md, "The data path").
 * The pipeline appends; the output's delivery loop takes, and acknowledges
 * what its destination durably has. Records leave only when acknowledged.
 */
export interface OutputBuffer {
  open(): Promise<void>;
  /**
   * Appends a pipeline batch. Resolves when taken in; with `when_full: block`
   * that waits for room, which is how a slow output slows reading.
   * The buffer reports the batch's `seq` durable (onDurable) once it is.
   */
  append(batch: EventBatch): Promise<void>;
  /**
   * The next records not yet taken, up to the limits (a batch closes once it
   * reaches `maxBytes`, counting each record's NDJSON line plus `recordOverhead`,
   * the framing its output adds); waits for some, at most `maxWaitMs` ('idle'
   * then); null once closed.
   */
  take(maxEvents: number, maxBytes: number): Promise<TakenBatch | null>;
  take(maxEvents: number, maxBytes: number, maxWaitMs: number, recordOverhead?: number): Promise<TakenBatch | null | 'idle'>;
  /** As take, the records left in their parts: the delivery loop's linger joins several takes with one copy. */
  takeParts(maxEvents: number, maxBytes: number, maxWaitMs: number, recordOverhead: number): Promise<TakenParts | null | 'idle'>;
  /** Every record up to `lastId` reached its destination. */
  ack(lastId: number): void;
  /** The last acknowledged id that a restart still knows (written to disk); undefined when nothing survives a restart. */
  readonly durableAckId: number | undefined;
  /** Taken but never acknowledged (the output was rebuilt): hand them out again, oldest first. */
  rewind(): void;
  /** Makes appended records durable now and reports them. */
  flush(): Promise<void>;
  /**
   * Shutdown ran out of time: appends waiting for room, and later ones, return
   * without appending. They are never reported durable, so the checkpoint stays
   * before them and their lines are read again on the next start.
   */
  interrupt(): void;
  /** From now on take() returns null (waiting ones too); appends and acks still work. */
  stopTaking(): void;
  /** Persists the acknowledged position and releases files. */
  close(): Promise<void>;
  /** Nothing appended is left unacknowledged. */
  readonly drained: boolean;
  stats(): BufferStats;
}
