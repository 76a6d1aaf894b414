import type { Logger } from '../log.js';
import type { EventBatch, Output } from '../../outputs/types.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * The pipeline's handle on one output: writes are serialised in seq order
 * (inputs dispatch concurrently), and a failed write is retried with backoff
 * instead of dropping the batch; meanwhile reading waits, and the source
 * files hold the data (the checkpoint has not moved past it).
 */
export class OutputPort {
  private chain: Promise<void> = Promise.resolve();
  private closing = false;

  constructor(
    readonly index: number,
    readonly output: Output,
    private readonly logger: Logger,
  ) {}

  write(batch: EventBatch): Promise<void> {
    const next = this.chain.then(() => this.writeWithRetry(batch));
    this.chain = next.catch(() => {});
    return next;
  }

  /** After close() starts, retries stop: what is unsent stays unacknowledged and is read again next start. */
  async close(): Promise<void> {
    this.closing = true;
    await this.chain;
    await this.output.close();
  }

  private async writeWithRetry(batch: EventBatch): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.output.write(batch);
        return;
      } catch (err) {
        if (this.closing) throw err;
        const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.logger.error({ output: this.output.name, err: (err as Error).message, retryInMs: Math.round(wait) }, 'output write failed; retrying');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}
