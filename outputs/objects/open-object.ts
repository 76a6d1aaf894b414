/**
 * One object being written: buffers appended record bytes, encodes them
 * (NDJSON as is, or one gzip member per write-out) and hands them to the
 * backend's sink in order on a private chain, syncs on request and closes
 * when told to.
 *
 * A sync writes out the buffer before asking the sink to sync, so it always
 * ends a gzip member: whatever a store made durable decodes whole. For a store
 * durable only on close (S3) there is nothing to sync, and the bytes are
 * written out in fixed slices instead, so the encoding depends on the records
 * alone: a replay of the same records is byte-identical.
 */
import { SerialQueue } from '../../src/util/serial.js';
import type { ObjectBackend, ObjectSink, ObjectStart } from './backend.js';
import { encodeChunks } from './compression.js';

/**
 * Buffered bytes that trigger a write-out before the next sync point: large
 * enough for few syscalls and well-compressed members, small enough to keep
 * memory low.
 */
export const WRITE_CHUNK_BYTES = 1024 * 1024;
/**
 * With `fixedSlices`: every gzip member holds exactly this many uncompressed
 * bytes (the last one fewer). A constant, not a setting: an object rebuilt
 * after a configuration change must still encode as before. Members may end
 * mid-line; gzip readers join them into one stream.
 */
export const FIXED_SLICE_BYTES = 256 * 1024;

export interface OpenObjectOptions {
  /** Prefix for error messages, e.g. `file output "local"`. */
  readonly label: string;
  readonly start: ObjectStart;
  readonly backend: ObjectBackend;
  readonly maxBytes: number;
  /** Events after which the object is full (Infinity: no limit). */
  readonly maxEvents?: number;
  /** Encode in FIXED_SLICE_BYTES slices and never write out on sync (ObjectBackend.durableOnClose). */
  readonly fixedSlices?: boolean;
  /** Set for an object rebuilding a recorded one: it ends after this record, not on size or age. */
  readonly forcedLast?: number;
  /** Called once when the stored bytes reach maxBytes, from the write chain (gzip sizes are known only there). */
  readonly onFull: (object: OpenObject) => void;
  /** Called once with the first failure of any operation on the object. */
  readonly onError: (err: Error) => void;
}

export class OpenObject {
  readonly prefix: string;
  readonly openedAt: number;

  private sink: ObjectSink | undefined;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Appended but not yet stored (buffered or in flight), as appended (uncompressed). */
  private queuedBytes = 0;
  /** Bytes the sink took, as stored (compressed with gzip). */
  private stored = 0;
  /**
   * The last seq appended in full before this object's oldest bytes that are
   * not durable yet; undefined when all its bytes are. Durability cannot be
   * reported past it.
   */
  private held: number | undefined;
  /** Where the records appended so far end (the batch seq and event id of the last one). */
  private lastSeq: number;
  private lastEventId: string;
  private lastRecord: number;
  private appendedEvents = 0;
  private appendedBytes = 0;
  private failed = false;
  private fullReported = false;
  /** Every sink call runs after the previous one; a failure skips the rest. */
  private readonly ops = new SerialQueue({ skipAfterFailure: true });
  private closePromise: Promise<void> | undefined;

  constructor(private readonly opts: OpenObjectOptions) {
    this.prefix = opts.start.prefix;
    this.openedAt = opts.start.openedAt;
    this.lastSeq = opts.start.firstSeq;
    this.lastEventId = opts.start.firstEventId;
    this.lastRecord = opts.start.firstRecord;
    // Opening is the first operation on the chain: append() stays synchronous,
    // and an open error surfaces like any other.
    this.run(async () => {
      this.sink = await opts.backend.open(opts.start);
    });
  }

  /** See OpenObjectOptions.forcedLast. */
  get forcedLast(): number | undefined {
    return this.opts.forcedLast;
  }

  get closing(): boolean {
    return this.closePromise !== undefined;
  }

  /**
   * The object's size for rollover: bytes stored, plus, uncompressed, the bytes
   * queued for it (their stored size is known in advance).
   */
  get size(): number {
    return this.opts.start.compression === 'none' ? this.stored + this.queuedBytes : this.stored;
  }

  get full(): boolean {
    return this.size >= this.opts.maxBytes || this.appendedEvents >= (this.opts.maxEvents ?? Infinity);
  }

  /** Events appended so far. */
  get events(): number {
    return this.appendedEvents;
  }

  /** See `held`. */
  get holdsBackAfter(): number | undefined {
    return this.held;
  }

  /**
   * Takes ownership of `data` (whole NDJSON lines) from the batch `seq`, whose
   * last record is `lastEventId` with buffer record id `lastRecord` (`events` records);
   * `afterSeq` is the last seq appended in full before that batch.
   */
  append(data: Buffer, afterSeq: number, seq: number, lastEventId: string, lastRecord: number, events: number): void {
    if (this.closePromise !== undefined) throw new Error(`${this.opts.label}: append to an object being closed`);
    this.lastSeq = seq;
    this.lastEventId = lastEventId;
    this.lastRecord = lastRecord;
    this.appendedEvents += events;
    this.appendedBytes += data.length;
    this.buffered.push(data);
    this.bufferedBytes += data.length;
    this.queuedBytes += data.length;
    this.held ??= afterSeq;
    if (this.opts.fixedSlices) {
      if (this.bufferedBytes >= FIXED_SLICE_BYTES) this.writeSlices();
    } else if (this.bufferedBytes >= WRITE_CHUNK_BYTES) this.writeBuffered();
  }

  /** Resolves when everything appended so far is stored and, if the sink can while open, durable. */
  sync(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    // Durable only on close: nothing to write out early, and `held` stays until then.
    if (this.opts.fixedSlices) return this.ops.settled();
    // Bytes appended from now on are not covered by this sync; they set `held` afresh.
    const held = this.held;
    this.held = undefined;
    this.writeBuffered();
    return this.run(async () => {
      if (!(await this.sink!.sync()) && held !== undefined) this.held = Math.min(held, this.held ?? held);
    });
  }

  /** Writes out and closes the object (durable once resolved); idempotent. The sink is released even after a failure. */
  close(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    this.writeBuffered();
    const end = { lastSeq: this.lastSeq, lastEventId: this.lastEventId, lastRecord: this.lastRecord, rawBytes: this.appendedBytes };
    this.closePromise = this.run(() => this.sink!.close(end)).then(
      () => {
        this.held = undefined;
      },
      async (err: unknown) => {
        await this.sink?.abort();
        throw err;
      },
    );
    this.closePromise.catch(() => {});
    return this.closePromise;
  }

  /**
   * Releases the object without making it durable, once what is in flight
   * settled: after the output failed its records replay from the buffer, and
   * completing it (an S3 upload) would only store them twice. Never rejects.
   */
  abort(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    this.buffered = [];
    this.bufferedBytes = 0;
    this.closePromise = this.ops.settled().then(() => this.sink?.abort());
    return this.closePromise;
  }

  /** Writes out every whole FIXED_SLICE_BYTES slice buffered, each as its own member; keeps the rest. */
  private writeSlices(): void {
    while (this.bufferedBytes >= FIXED_SLICE_BYTES) {
      const slice: Buffer[] = [];
      let bytes = 0;
      while (bytes < FIXED_SLICE_BYTES) {
        const head = this.buffered[0]!;
        const take = Math.min(head.length, FIXED_SLICE_BYTES - bytes);
        slice.push(take === head.length ? head : head.subarray(0, take));
        if (take === head.length) this.buffered.shift();
        else this.buffered[0] = head.subarray(take);
        bytes += take;
      }
      this.bufferedBytes -= bytes;
      this.run(() => this.writeOut(slice, bytes));
    }
  }

  private writeBuffered(): void {
    if (this.bufferedBytes === 0) return;
    const chunks = this.buffered;
    const bytes = this.bufferedBytes;
    this.buffered = [];
    this.bufferedBytes = 0;
    this.run(() => this.writeOut(chunks, bytes));
  }

  private async writeOut(chunks: Buffer[], bytes: number): Promise<void> {
    let encoded: Buffer[];
    try {
      encoded = await encodeChunks(this.opts.start.compression, chunks, bytes);
    } catch (err) {
      throw new Error(`${this.opts.label}: cannot compress data for an object under "${this.prefix}": ${(err as Error).message}`, { cause: err });
    }
    const storedBytes = encoded === chunks ? bytes : encoded.reduce((n, b) => n + b.length, 0);
    await this.sink!.write(encoded, storedBytes);
    this.stored += storedBytes;
    this.queuedBytes -= bytes;
    if (!this.fullReported && this.stored >= this.opts.maxBytes && this.closePromise === undefined) {
      this.fullReported = true;
      this.opts.onFull(this);
    }
  }

  /** Chains `op`; the returned promise is observed here, so a failure nobody awaits is still reported, once. */
  private run(op: () => Promise<void>): Promise<void> {
    const p = this.ops.run(op);
    p.catch((err: unknown) => this.fail(err));
    return p;
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.opts.onError(err instanceof Error ? err : new Error(String(err)));
  }
}
