/**
 * One object being written: buffers appended record bytes, encodes them
 * (NDJSON as is, or one gzip member per write-out) and hands them to the
 * backend's sink in order on a private chain, syncs on request and closes
 * when told to.
 *
 * A sync writes out the buffer before asking the sink to sync, so it always
 * ends a gzip member: whatever a store made durable decodes whole.
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

export interface OpenObjectOptions {
  /** Prefix for error messages, e.g. `file output "local"`. */
  readonly label: string;
  readonly start: ObjectStart;
  readonly backend: ObjectBackend;
  readonly maxBytes: number;
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
    // Opening is the first operation on the chain: append() stays synchronous,
    // and an open error surfaces like any other.
    this.run(async () => {
      this.sink = await opts.backend.open(opts.start);
    });
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
    return this.size >= this.opts.maxBytes;
  }

  /** See `held`. */
  get holdsBackAfter(): number | undefined {
    return this.held;
  }

  /**
   * Takes ownership of `data` (whole NDJSON lines) from the batch `seq`, whose
   * last record is `lastEventId`; `afterSeq` is the last seq appended in full
   * before that batch.
   */
  append(data: Buffer, afterSeq: number, seq: number, lastEventId: string): void {
    if (this.closePromise !== undefined) throw new Error(`${this.opts.label}: append to an object being closed`);
    this.lastSeq = seq;
    this.lastEventId = lastEventId;
    this.buffered.push(data);
    this.bufferedBytes += data.length;
    this.queuedBytes += data.length;
    this.held ??= afterSeq;
    if (this.bufferedBytes >= WRITE_CHUNK_BYTES) this.writeBuffered();
  }

  /** Resolves when everything appended so far is stored and, if the sink can while open, durable. */
  sync(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
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
    const end = { lastSeq: this.lastSeq, lastEventId: this.lastEventId };
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
