/**
 * What an object store implements for the object core: the core routes
 * records to objects, encodes them and decides when an object ends; a backend
 * stores the encoded bytes and says when they are durable.
 *
 * Object names are the backend's business: the `file` backend stamps
 * creation times, an S3 backend can derive deterministic keys from what
 * `ObjectStart` carries.
 */
import type { Compression } from './compression.js';

/** An object the core starts: what a backend may name it by. */
export interface ObjectStart {
  /** The prefix rendered from the first event's time (strftime, UTC). */
  readonly prefix: string;
  readonly compression: Compression;
  /** The core's clock when the object was started (its age counts from here). */
  readonly openedAt: number;
  /** The first event's `@timestamp` (the clock's time when it has none a Date can hold). */
  readonly firstTime: number;
  /** `seq` of the batch holding the object's first record. */
  readonly firstSeq: number;
  /** The first record's `event.id`: deterministic across replays of the same records. */
  readonly firstEventId: string;
  /** The buffer record id of the object's first record. */
  readonly firstRecord: number;
}

/** How an object ends: with the records up to here (for a store that records an object's range before it commits it). */
export interface ObjectEnd {
  /** `seq` of the batch holding the object's last record. */
  readonly lastSeq: number;
  /** The last record's `event.id`. */
  readonly lastEventId: string;
  /** The buffer record id of the object's last record. */
  readonly lastRecord: number;
  /** The object's NDJSON bytes before compression. */
  readonly rawBytes: number;
}

/**
 * An object a store recorded before its final upload: the records of
 * [first, last] that render to `prefix`, all of them and no others. A replay
 * of those records must rebuild exactly this object (same key, same bytes).
 */
export interface ObjectRange {
  readonly prefix: string;
  readonly first: number;
  readonly last: number;
}

/** Where objects go: a directory, a bucket. */
export interface ObjectBackend {
  /** Runs once before the first object: checks or creates the destination. */
  start(): Promise<void>;
  /** Creates the object (or whatever stands for it until its first bytes arrive). */
  open(object: ObjectStart): Promise<ObjectSink>;
  /** Releases what the store holds (an S3 client's sockets) once the output closed and every object settled. */
  stop?(): void;
  /**
   * True for a store where an object is durable only once it ends (S3). The
   * core then encodes an object the same way whatever the batch boundaries
   * and sync timing (gzip members at fixed offsets), so a replay of the same
   * records is byte-identical.
   */
  readonly durableOnClose?: boolean;
  /** Objects recorded before their final upload and maybe not acknowledged (read at start): replays rebuild them. */
  recordedObjects?(): readonly ObjectRange[];
  /** Every record up to `seq` is acknowledged: what the store recorded about those objects can go. */
  acknowledged?(seq: number): void;
}

/**
 * One object being written. The core calls it in order, one call at a time,
 * and stops calling after a rejection (the output then fails as a whole).
 */
export interface ObjectSink {
  /**
   * Appends encoded bytes: NDJSON lines, or one complete gzip member. The
   * chunks are the sink's to keep (an S3 part can hold them until it is
   * full); `bytes` is their total length.
   */
  write(chunks: readonly Buffer[], bytes: number): Promise<void>;
  /**
   * Makes every byte written so far durable, if this store can while the
   * object is open: true when it did (a local fsync), false when only
   * `close` makes an object durable (an S3 upload completes on close) — the
   * object's records then hold the output's durability back until it closes.
   */
  sync(): Promise<boolean>;
  /** Ends the object after the last write; resolves once all its bytes are durable (fsynced, or the upload completed). */
  close(end: ObjectEnd): Promise<void>;
  /** Releases what the object holds after a failure, without making anything durable; never rejects. */
  abort(): Promise<void>;
}
