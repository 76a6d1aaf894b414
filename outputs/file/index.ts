/**
 * The `file` output: the objects S3 would get, on local disk.
 *
 * Each event goes to the open object of the prefix rendered from its
 * @timestamp. A timer fsyncs every `sync_interval` and closes objects older
 * than `object.max_age`; `onDurable(seq)` is reported only after an fsync
 * that covers every batch up to `seq`.
 *
 * A file error (disk full, permission denied) is sticky: the bytes of some
 * batch may be lost, so no later seq may ever be reported durable. Every later
 * write/flush rejects with that error; the pipeline is expected to close this
 * output and build a new one, replaying from the last durable seq.
 */
import { mkdir } from 'node:fs/promises';
import { timeOrNow } from '../../src/util/event-time.js';
import { Coalescer, SerialQueue } from '../../src/util/serial.js';
import { compileStrftime, type TimeFormatter } from '../../src/util/strftime.js';
import type { EventBatch, Output, OutputContext, OutputFactory } from '../../src/output/contract.js';
import type { FileOutputConfig } from './config.js';
import { fsError } from './object-key.js';
import { ObjectWriter } from './object-writer.js';

/** Unsynced bytes that make write() wait for an fsync: bounds memory and the data at risk. */
export const SYNC_BYTES = 8 * 1024 * 1024;
/** Objects open at once; more prefixes close the least recently used. */
export const MAX_OPEN_OBJECTS = 16;
/** The timer never runs more often than this, however short max_age is. */
const MIN_TICK_MS = 10;

export interface FileOutputOptions {
  /** The clock for object stamps and ages; tests pin it. */
  readonly now?: () => number;
  readonly maxOpenObjects?: number;
}

export const createFileOutput = ((config: FileOutputConfig & { name: string }, ctx: OutputContext, options?: FileOutputOptions) =>
  new FileOutput(config, ctx, options)) satisfies OutputFactory<FileOutputConfig>;

export class FileOutput implements Output {
  readonly name: string;
  private readonly label: string;
  private readonly render: TimeFormatter;
  private readonly now: () => number;
  private readonly maxOpen: number;

  /** Open objects by rendered prefix, least recently used first (Map keeps insertion order). */
  private readonly open = new Map<string, ObjectWriter>();
  /** Objects being closed; a sync waits for them, since their last bytes may belong to an unreported batch. */
  private readonly closing = new Set<Promise<void>>();
  private lastCreatedAt = -Infinity;

  private appendedSeq = -Infinity;
  private durableSeq = -Infinity;
  /** Bytes appended since the last sync started. */
  private unsyncedBytes = 0;
  private error: Error | undefined;

  /** At most one sync runs and one waits; a waiting one serves every caller that arrives meanwhile. */
  private readonly syncs = new Coalescer(() => this.syncNow());
  private timer: NodeJS.Timeout | undefined;
  private readonly writes = new SerialQueue();
  private closePromise: Promise<void> | undefined;

  constructor(
    private readonly config: FileOutputConfig & { name: string },
    private readonly ctx: OutputContext,
    options: FileOutputOptions = {},
  ) {
    this.name = config.name;
    this.label = `file output "${config.name}"`;
    // Throws on a bad pattern now rather than on the first event.
    this.render = compileStrftime(config.prefix);
    this.now = options.now ?? Date.now;
    this.maxOpen = Math.max(1, options.maxOpenObjects ?? MAX_OPEN_OBJECTS);
  }

  async start(): Promise<void> {
    try {
      await mkdir(this.config.path, { recursive: true });
    } catch (err) {
      throw fsError(this.label, 'create directory', this.config.path, err);
    }
    // One timer for both jobs. When max_age is shorter than sync_interval it
    // also syncs more often, which costs fsyncs but never correctness.
    const period = Math.max(MIN_TICK_MS, Math.min(this.config.sync_interval, this.config.object.max_age));
    this.timer = setInterval(() => this.tick(), period);
    // The pipeline closes outputs on shutdown; a forgotten one must not keep the process alive.
    this.timer.unref();
  }

  write(batch: EventBatch): Promise<void> {
    // Serialised, so routing and seq bookkeeping never interleave even if a caller does not await.
    return this.writes.run(() => this.writeNow(batch));
  }

  async flush(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    await this.writes.settled();
    await this.sync();
  }

  close(): Promise<void> {
    this.closePromise ??= this.closeNow();
    return this.closePromise;
  }

  private async writeNow(batch: EventBatch): Promise<void> {
    if (this.error !== undefined) throw this.error;
    if (this.closePromise !== undefined) throw new Error(`${this.label}: write after close`);
    if (this.timer === undefined) throw new Error(`${this.label}: write before start`);
    if (!(batch.seq > this.appendedSeq)) {
      throw new Error(`${this.label}: batch seq ${batch.seq} does not follow ${this.appendedSeq}`);
    }
    this.route(batch);
    // The whole batch is appended before its seq is recorded, so a sync that
    // starts later covers it and one that started earlier does not report it.
    this.appendedSeq = batch.seq;
    if (this.unsyncedBytes >= SYNC_BYTES) await this.sync();
    if (this.error !== undefined) throw this.error;
  }

  /** Appends each run of events that share a prefix to that prefix's object, as a view of the batch's bytes. */
  private route(batch: EventBatch): void {
    if (batch.count === 0) return;
    const now = this.now();
    let start = 0;
    let prefix = this.prefixOf(batch.times[0]!, now);
    for (let i = 1; i <= batch.count; i++) {
      const next = i < batch.count ? this.prefixOf(batch.times[i]!, now) : undefined;
      if (next === prefix) continue;
      this.append(prefix, batch.data.subarray(start, batch.ends[i - 1]), now);
      start = batch.ends[i - 1]!;
      prefix = next!;
    }
  }

  /** An event whose time is missing or not a valid date goes under the current time's prefix. */
  private prefixOf(time: number, now: number): string {
    return this.render(timeOrNow(time, now));
  }

  private append(prefix: string, data: Buffer, now: number): void {
    let writer = this.open.get(prefix);
    if (writer !== undefined && (writer.full || now - writer.createdAt >= this.config.object.max_age)) {
      this.retire(writer);
      writer = undefined;
    }
    if (writer === undefined) {
      writer = this.openObject(prefix, now);
    } else {
      // Mark as most recently used.
      this.open.delete(prefix);
      this.open.set(prefix, writer);
    }
    writer.append(data);
    this.unsyncedBytes += data.length;
    if (writer.full) this.retire(writer);
  }

  private openObject(prefix: string, now: number): ObjectWriter {
    // Strictly increasing stamps keep one output's objects in creation order
    // when listed, even when several are created within a millisecond.
    const createdAt = Math.max(now, this.lastCreatedAt + 1);
    this.lastCreatedAt = createdAt;
    const writer = new ObjectWriter({
      label: this.label,
      root: this.config.path,
      prefix,
      compression: this.config.compression,
      createdAt,
      maxBytes: this.config.object.max_bytes,
      onFull: (w) => this.retire(w),
      onError: (err) => this.fail(err),
    });
    this.open.set(prefix, writer);
    if (this.open.size > this.maxOpen) {
      const lru = this.open.values().next().value!;
      this.retire(lru);
    }
    return writer;
  }

  /** Starts closing `writer`; the next event for its prefix opens a new object. */
  private retire(writer: ObjectWriter): void {
    if (this.open.get(writer.prefix) === writer) this.open.delete(writer.prefix);
    if (writer.closing) return;
    const closed = writer.close();
    this.closing.add(closed);
    // The writer reports its own failure through onError; only the bookkeeping is left here.
    closed.then(
      () => this.closing.delete(closed),
      () => this.closing.delete(closed),
    );
  }

  private tick(): void {
    if (this.error !== undefined || this.closePromise !== undefined) return;
    const now = this.now();
    for (const writer of this.open.values()) {
      if (now - writer.createdAt >= this.config.object.max_age) this.retire(writer);
    }
    if (this.appendedSeq > this.durableSeq || this.closing.size > 0) {
      // The error is sticky and the next write/flush rejects with it; this only logs.
      this.sync().catch((err: unknown) => this.ctx.logger.debug({ err }, 'timed sync failed'));
    }
  }

  private sync(): Promise<void> {
    return this.syncs.request();
  }

  private async syncNow(): Promise<void> {
    if (this.error !== undefined) throw this.error;
    // Everything up to this seq is appended to an open or closing object now.
    const seq = this.appendedSeq;
    this.unsyncedBytes = 0;
    const waits = [...this.closing];
    for (const writer of this.open.values()) waits.push(writer.sync());
    // allSettled: never report, or give up, while another fsync is still in flight.
    const results = await Promise.allSettled(waits);
    for (const r of results) if (r.status === 'rejected') this.fail(r.reason);
    if (this.error !== undefined) throw this.error;
    if (seq > this.durableSeq) {
      this.durableSeq = seq;
      this.ctx.onDurable(seq);
    }
  }

  private async closeNow(): Promise<void> {
    await this.writes.settled();
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const writer of [...this.open.values()]) this.retire(writer);
    try {
      await this.sync();
    } finally {
      // After a sticky error the sync rejects without waiting; close still
      // resolves only once every descriptor is released.
      await Promise.allSettled([...this.closing]);
    }
  }

  private fail(err: unknown): void {
    if (this.error !== undefined) return;
    this.error = err instanceof Error ? err : new Error(String(err));
    this.ctx.logger.error({ err: this.error }, `${this.label} failed; nothing after seq ${this.durableSeq} will be reported durable`);
  }
}
