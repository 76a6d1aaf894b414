import { joinTaken } from '../buffer/taken.js';
import type { OutputBuffer, TakenBatch, TakenParts } from '../buffer/types.js';
import { waitFor } from '../buffer/wait.js';
import { batchBufferPool, type BufferPool } from '../util/buffer-pool.js';
import { backoffMs, equalJitter, type BackoffPolicy } from '../util/backoff.js';
import type { Logger } from '../log.js';
import type { BatchLimits, Output } from '../output/contract.js';
import type { TapHub } from '../admin/tap-hub.js';

/** Rebuilding a failed output: equal jitter, so a retry never comes much sooner than the exponential wait. */
const REBUILD_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, jitter: equalJitter };
const IDLE_FLUSH_MS = 1000;
/** Bytes of written batches kept for a `shipped` tap until acknowledged, at most (a tap is a sample: older ones are let go). */
const MAX_TAPPED_BYTES = 8 * 1024 * 1024;

/** The delivery loop is retrying: since when (epoch ms) without an acknowledgement, and the last failure. */
export interface DeliveryFailure {
  readonly since: number;
  readonly reason: string;
}

/**
 * One output's delivery loop: take a batch from its buffer, write it, and let
 * the output's durability reports acknowledge it in the buffer. A failed
 * output may have lost what it had not made durable, so on failure the loop
 * closes it, builds a fresh one and rewinds the buffer to the oldest
 * unacknowledged record, with exponential backoff and jitter. Retries live
 * here only; nothing is held in memory that the buffer does not hold.
 */
export class OutputDelivery {
  private output: Output;
  private loop: Promise<void> | undefined;
  /**
   * Failures since the output last made progress. Reset by an acknowledgement,
   * not by a write returning: an output that takes writes and fails them later
   * (requests in flight) would otherwise be rebuilt at the shortest backoff forever.
   */
  private failures = 0;
  /** Set by the first failure after an acknowledgement, cleared by the next one: what /health reads. */
  private failing: DeliveryFailure | undefined;
  private lastAck: number | undefined;
  /** Records acknowledged since the start, for the progress line and the "delivery resumed" report. */
  delivered = 0;
  /**
   * The last id and record count of each write not yet acknowledged (an
   * acknowledgement counts the writes it covers), and the pooled buffer its
   * takes were joined into, if they were.
   */
  private readonly unacked: { lastId: number; count: number; joined: Buffer | undefined }[] = [];
  /**
   * Buffers the linger joins takes into, given back once the output has
   * acknowledged the batch: an output reads a batch's bytes only until it
   * reports it durable (src/output/contract.ts). A new multi-MiB Buffer per
   * batch cost the main thread 9–15 % of its time at full speed, in page
   * faults on fresh memory (BENCHMARKS.md). Sized like what the memory
   * budget counts: the batches in flight and the one filling.
   */
  private readonly joins: BufferPool;
  /** Set by stop(): no more rebuilds or starts; a retry wait in progress ends at once. */
  private stopping = false;
  private readonly retryWaiters: (() => void)[] = [];
  /** Times the output was rebuilt after a failure (the live view's retries). */
  rebuilds = 0;
  /** Batches written and not yet acknowledged, kept only while a `shipped` tap is attached. */
  private readonly tapped: TakenBatch[] = [];
  private tappedBytes = 0;

  constructor(
    private readonly buffer: OutputBuffer,
    private readonly create: (onDurable: (seq: number) => void) => Output,
    private readonly limits: BatchLimits,
    private readonly logger: Logger,
    private readonly tap?: TapHub,
  ) {
    this.joins = batchBufferPool(limits.inFlight + 1, limits.maxBytes);
    this.output = this.build();
  }

  get name(): string {
    return this.output.name;
  }

  /** Failing since when and why, or undefined while it delivers. */
  failure(): DeliveryFailure | undefined {
    return this.failing;
  }

  /** When the output last acknowledged something (epoch ms); undefined before the first. */
  get lastAckAt(): number | undefined {
    return this.lastAck;
  }

  /** Starts the loop; an output that cannot start yet is retried like a failed write. */
  start(): void {
    this.loop = this.run();
  }

  /** Stops taking, lets the write in flight finish, flushes and closes the output (its last acknowledgements land). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.buffer.stopTaking();
    for (const wake of this.retryWaiters.splice(0)) wake();
    await this.loop;
    await this.output.close();
  }

  private async run(): Promise<void> {
    let started = false;
    for (;;) {
      try {
        if (!started) {
          // An output that never started has nothing to finish: stopping need not wait for it.
          if (this.stopping) return;
          await this.output.start();
          started = true;
        }
        const taken = await this.buffer.takeParts(this.limits.maxEvents, this.limits.maxBytes, IDLE_FLUSH_MS, this.limits.recordOverhead);
        if (!taken) return;
        if (taken === 'idle') {
          // Nothing new, but records still unacknowledged: make the output sync them now; an output
          // that failed in the background (a sticky write error) says so here, and is retried.
          if (!this.buffer.drained) await this.output.flush();
          // Nothing came for a second: a burst's join buffers are not kept through a quiet spell.
          this.joins.clear();
          continue;
        }
        const { full, joined } = await this.linger(taken);
        if (this.tap?.shipping) {
          this.tapped.push(full);
          this.tappedBytes += full.bytes;
          while (this.tappedBytes > MAX_TAPPED_BYTES && this.tapped.length > 1) this.tappedBytes -= this.tapped.shift()!.bytes;
        }
        this.unacked.push({ lastId: full.lastId, count: full.count, joined });
        await this.output.write({ ...full, seq: full.lastId });
      } catch (err) {
        const wait = backoffMs(REBUILD_BACKOFF, this.failures++);
        this.failing = { since: this.failing?.since ?? Date.now(), reason: (err as Error).message };
        this.logger.error(
          { output: this.output.name, err: (err as Error).message, retryInMs: Math.round(wait) },
          'output failed; rebuilding it and delivering again from the oldest unacknowledged record',
        );
        await waitFor(this.retryWaiters, wait);
        // What the failed output did not acknowledge stays in the buffer for the next start.
        if (this.stopping) return;
        await this.output.close().catch(() => {});
        this.output = this.build();
        this.rebuilds++;
        this.tapped.length = 0;
        this.tappedBytes = 0;
        started = false;
        this.buffer.rewind();
        this.unacked.length = 0;
      }
    }
  }

  /**
   * Adds what keeps arriving to a batch, until it is full, `lingerMs` passed,
   * or the input went idle; joined once, into a pooled buffer (`joined`)
   * unless the batch is a single view that needs no copy.
   */
  private async linger(first: TakenParts): Promise<{ full: TakenBatch; joined: Buffer | undefined }> {
    const { maxEvents, maxBytes, lingerMs, idleGapMs } = this.limits;
    const until = Date.now() + lingerMs;
    const takes: TakenParts[] = [first];
    let { count, bytes } = first;
    while (count < maxEvents && bytes < maxBytes) {
      const left = until - Date.now();
      if (left <= 0) break;
      const more = await this.buffer.takeParts(maxEvents - count, maxBytes - bytes, Math.min(idleGapMs, left), this.limits.recordOverhead);
      if (more === null || more === 'idle') break;
      takes.push(more);
      count += more.count;
      bytes += more.bytes;
    }
    let joined: Buffer | undefined;
    const full = joinTaken(takes, (size) => (joined = this.joins.take(size)));
    return { full, joined };
  }

  private build(): Output {
    const output: Output = this.create((seq) => {
      // A replaced instance's late report says nothing about the new one's writes.
      if (output !== this.output) return;
      this.failures = 0;
      this.failing = undefined;
      this.lastAck = Date.now();
      const done: Buffer[] = [];
      while (this.unacked.length > 0 && this.unacked[0]!.lastId <= seq) {
        const write = this.unacked.shift()!;
        this.delivered += write.count;
        if (write.joined) done.push(write.joined);
      }
      this.buffer.ack(seq);
      while (this.tapped.length > 0 && this.tapped[0]!.lastId <= seq) {
        const shipped = this.tapped.shift()!;
        this.tappedBytes -= shipped.bytes;
        this.tap?.shipped(output.name, shipped);
      }
      // Only now is nothing reading them: the output reported them durable, the tap has copied what it shows.
      for (const buf of done) this.joins.give(buf);
    });
    return output;
  }
}
