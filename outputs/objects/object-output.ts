/**
 * An output that writes records into objects through a backend (the `file`
 * output's directory; S3 to come), and reports durability.
 *
 * A timer syncs every `syncInterval` and closes objects older than
 * `object.max_age`. `onDurable(seq)` is reported only once the backend
 * confirmed every object holding records up to `seq` durable: after a sync
 * that covers them (a local fsync) or, for a store that makes an object
 * durable only when it ends (S3), after that object closed.
 *
 * An error is sticky: the bytes of some batch may be lost, so no later seq may
 * ever be reported durable. Every later write/flush rejects with that error;
 * the pipeline is expected to close this output and build a new one,
 * replaying from the last durable seq.
 */
import type { EventBatch, Output, OutputContext } from '../../src/output/contract.js';
import { Coalescer, SerialQueue } from '../../src/util/serial.js';
import type { ObjectBackend } from './backend.js';
import type { ObjectLayout } from './layout-schema.js';
import { ObjectRouter } from './object-router.js';
import type { OpenObject } from './open-object.js';

/** Unsynced bytes that make write() wait for a sync: bounds memory and the data at risk. */
export const SYNC_BYTES = 8 * 1024 * 1024;
/**
 * The buffer's fill (of its max_size) from which open objects close early,
 * oldest records first, one at a time: their records hold the buffer, and
 * reading must not stall behind an archive.
 */
export const NEARLY_FULL = 0.8;
/** The timer never runs more often than this, however short max_age is. */
const MIN_TICK_MS = 10;

export interface ObjectOutputOptions {
  /** Names the output in errors and logs, e.g. `file output "local"`. */
  readonly label: string;
  readonly layout: ObjectLayout;
  readonly backend: ObjectBackend;
  /** How often the timer syncs what was written. */
  readonly syncInterval: number;
  /** The clock for object ages (and what a backend stamps); tests pin it. */
  readonly now?: () => number;
  /** Overrides `max_open_objects` of the layout. */
  readonly maxOpenObjects?: number;
}

export class ObjectOutput implements Output {
  private readonly label: string;
  private readonly backend: ObjectBackend;
  private readonly router: ObjectRouter;
  private readonly now: () => number;
  private readonly tickMs: number;

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
    readonly name: string,
    private readonly ctx: OutputContext,
    options: ObjectOutputOptions,
  ) {
    this.label = options.label;
    this.backend = options.backend;
    this.now = options.now ?? Date.now;
    this.router = new ObjectRouter({
      label: options.label,
      layout: options.layout,
      backend: options.backend,
      maxOpenObjects: Math.max(1, options.maxOpenObjects ?? options.layout.max_open_objects),
      onError: (err) => this.fail(err),
    });
    // One timer for both jobs. When max_age is shorter than the sync interval
    // it also syncs more often, which costs syncs but never correctness.
    this.tickMs = Math.max(MIN_TICK_MS, Math.min(options.syncInterval, options.layout.object.max_age));
  }

  async start(): Promise<void> {
    await this.backend.start();
    this.timer = setInterval(() => this.tick(), this.tickMs);
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
    this.unsyncedBytes += this.router.route(batch, this.appendedSeq, this.now());
    // The whole batch is appended before its seq is recorded, so a sync that
    // starts later covers it and one that started earlier does not report it.
    this.appendedSeq = batch.seq;
    this.relieveBuffer();
    if (this.unsyncedBytes >= SYNC_BYTES) await this.sync();
    if (this.error !== undefined) throw this.error;
  }

  private tick(): void {
    if (this.error !== undefined || this.closePromise !== undefined) return;
    this.router.expire(this.now());
    this.relieveBuffer();
    if (this.appendedSeq > this.durableSeq || this.router.closing.size > 0) {
      // The error is sticky and the next write/flush rejects with it; this only logs.
      this.sync().catch((err: unknown) => this.ctx.logger.debug({ err }, 'timed sync failed'));
    }
  }

  /** A buffer nearing max_size closes the object holding its oldest records, once the previous closes are done. */
  private relieveBuffer(): void {
    const fill = this.ctx.buffer?.fill();
    if (fill !== undefined && fill >= NEARLY_FULL && this.router.closing.size === 0) this.router.retireOldest();
  }

  private sync(): Promise<void> {
    return this.syncs.request();
  }

  private async syncNow(): Promise<void> {
    if (this.error !== undefined) throw this.error;
    // Everything up to this seq is appended to an open or closing object now.
    let seq = this.appendedSeq;
    this.unsyncedBytes = 0;
    const objects: OpenObject[] = [...this.router.open.values()];
    const waits = [...this.router.closing, ...objects.map((o) => o.sync())];
    // allSettled: never report, or give up, while another sync is still in flight.
    const results = await Promise.allSettled(waits);
    for (const r of results) if (r.status === 'rejected') this.fail(r.reason);
    if (this.error !== undefined) throw this.error;
    // An object whose store makes it durable only when it ends holds back what it has until then.
    for (const o of objects) {
      const held = o.holdsBackAfter;
      if (held !== undefined && held < seq) seq = held;
    }
    const released = this.router.releasedHold;
    if (released !== undefined && released < seq) seq = released;
    if (seq > this.durableSeq) {
      this.durableSeq = seq;
      this.ctx.onDurable(seq);
      this.backend.acknowledged?.(seq);
    }
  }

  private async closeNow(): Promise<void> {
    await this.writes.settled();
    if (this.timer !== undefined) clearInterval(this.timer);
    // After a failure the open objects' records replay from the buffer into new
    // objects: completing these (an S3 upload) would only store them twice.
    if (this.error !== undefined) this.router.abortAll();
    else this.router.retireAll();
    try {
      await this.sync();
    } finally {
      // After a sticky error the sync rejects without waiting; close still
      // resolves only once every object is released.
      await Promise.allSettled([...this.router.closing]);
      this.backend.stop?.();
    }
  }

  private fail(err: unknown): void {
    if (this.error !== undefined) return;
    this.error = err instanceof Error ? err : new Error(String(err));
    this.ctx.logger.error({ err: this.error }, `${this.label} failed; nothing after seq ${this.durableSeq} will be reported durable`);
  }
}
