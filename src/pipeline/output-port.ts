import type { Logger } from '../log.js';
import type { EventBatch, Output } from '../../outputs/types.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * The pipeline's handle on one output. Writes are serialised in seq order
 * (inputs dispatch concurrently). Batches are kept until the output reports
 * them durable; that window is bounded by the output's own sync threshold.
 * A failed output may have lost what it had not synced, so on failure the port
 * closes it, builds a fresh one, replays every unacknowledged batch and goes
 * on, with backoff. Reading waits meanwhile; the checkpoint has not moved.
 */
export class OutputPort {
  private output: Output;
  private chain: Promise<void> = Promise.resolve();
  private unacked: EventBatch[] = [];
  private closing = false;

  constructor(
    readonly index: number,
    private readonly create: (onDurable: (seq: number) => void) => Output,
    private readonly onDurable: (seq: number) => void,
    private readonly logger: Logger,
  ) {
    this.output = this.build();
  }

  get name(): string {
    return this.output.name;
  }

  start(): Promise<void> {
    return this.output.start();
  }

  write(batch: EventBatch): Promise<void> {
    const next = this.chain.then(() => this.deliver(batch));
    this.chain = next.catch(() => {});
    return next;
  }

  /** Flushes and closes. After close() starts, retries stop: what is unsent is read again next start. */
  async close(): Promise<void> {
    this.closing = true;
    await this.chain;
    await this.output.close();
  }

  private async deliver(batch: EventBatch): Promise<void> {
    this.unacked.push(batch);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.output.write(batch);
        return;
      } catch (err) {
        if (this.closing) throw err;
        const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.logger.error(
          { output: this.output.name, err: (err as Error).message, retryInMs: Math.round(wait), unacked: this.unacked.length },
          'output failed; rebuilding it and replaying unacknowledged batches',
        );
        await new Promise((r) => setTimeout(r, wait));
        if (await this.rebuild()) return;
      }
    }
  }

  /** A fresh output with every unacknowledged batch (the failed one included) written again. */
  private async rebuild(): Promise<boolean> {
    await this.output.close().catch(() => {});
    this.output = this.build();
    try {
      await this.output.start();
      for (const b of this.unacked) await this.output.write(b);
      return true;
    } catch (err) {
      this.logger.error({ output: this.output.name, err: (err as Error).message }, 'output still failing');
      return false;
    }
  }

  private build(): Output {
    const output = this.create((seq) => this.acked(output, seq));
    return output;
  }

  private acked(from: Output, seq: number): void {
    if (from !== this.output) return; // a replaced instance's late report
    let n = 0;
    while (n < this.unacked.length && this.unacked[n]!.seq <= seq) n++;
    if (n > 0) this.unacked.splice(0, n);
    this.onDurable(seq);
  }
}
