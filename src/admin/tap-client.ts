import type { ServerResponse } from 'node:http';
import type { TapStage, TapSubscriber } from './tap-hub.js';

/** A client that reads slower than events come gets this much queued, then drops (counted, and told). */
const MAX_QUEUED_LINES = 1000;
const MAX_QUEUED_BYTES = 1024 * 1024;

export interface TapRequest {
  readonly stage: TapStage;
  readonly input: string | undefined;
  readonly output: string | undefined;
  /** Events to send in all, then the response ends. */
  readonly limit: number;
  /** Events per second at most (a sample: the rest are skipped, not counted as drops). */
  readonly rate: number;
}

/**
 * One `logship tap` connection: a streaming NDJSON response. The pipeline
 * never waits for it: a socket that does not take more queues up to a bound,
 * past which events are dropped; the count is sent as a
 * `{"tap":"dropped",…}` line once the client catches up.
 */
export class TapClient implements TapSubscriber {
  readonly stage: TapStage;
  readonly input: string | undefined;
  readonly output: string | undefined;
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private blocked = false;
  private closed = false;
  /** Events accepted (sent or queued): what --limit counts. */
  private accepted = 0;
  private dropped = 0;
  private droppedReported = 0;
  private windowStart = 0;
  private windowCount = 0;

  constructor(
    private readonly req: TapRequest,
    private readonly res: ServerResponse,
    private readonly onEnd: () => void,
  ) {
    this.stage = req.stage;
    this.input = req.input;
    this.output = req.output;
    res.on('drain', () => this.flush());
    res.on('close', () => this.end());
  }

  get saturated(): boolean {
    return this.queue.length >= MAX_QUEUED_LINES || this.queuedBytes >= MAX_QUEUED_BYTES;
  }

  room(): number {
    if (this.closed) return 0;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    return Math.max(0, Math.min(this.req.limit - this.accepted - this.dropped, this.req.rate - this.windowCount));
  }

  offer(line: string): void {
    if (this.closed) return;
    // The bound holds within a batch too: the hub checks `saturated` once per batch.
    if (this.saturated) return this.drop(1);
    this.accepted++;
    this.windowCount++;
    if (this.blocked) {
      this.queue.push(line);
      this.queuedBytes += line.length + 1;
    } else {
      this.write(line);
    }
    if (this.accepted + this.dropped >= this.req.limit && !this.blocked) this.finish();
  }

  drop(n: number): void {
    this.dropped += n;
    this.windowCount += n;
  }

  /** A notice for the client (not an event): `{"tap":kind,…}`. */
  notice(kind: string, fields: Record<string, unknown>): void {
    this.write(JSON.stringify({ tap: kind, ...fields }));
  }

  private write(line: string): void {
    if (!this.res.write(`${line}\n`)) this.blocked = true;
  }

  private flush(): void {
    this.blocked = false;
    while (this.queue.length > 0 && !this.blocked) {
      const line = this.queue.shift()!;
      this.queuedBytes -= line.length + 1;
      this.write(line);
    }
    if (this.blocked) return;
    if (this.dropped > this.droppedReported) {
      this.notice('dropped', { dropped: this.dropped - this.droppedReported, droppedTotal: this.dropped, reason: 'the tap client read slower than events came; the pipeline did not wait' });
      this.droppedReported = this.dropped;
    }
    if (this.accepted + this.dropped >= this.req.limit) this.finish();
  }

  /** Ends the stream, saying why when it is not the limit (logship stopping): a clean end for the client. */
  finish(reason?: string): void {
    if (this.closed) return;
    if (this.dropped > this.droppedReported) this.notice('dropped', { dropped: this.dropped - this.droppedReported, droppedTotal: this.dropped });
    if (reason !== undefined) this.notice('end', { reason });
    this.res.end();
    this.end();
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onEnd();
  }
}
