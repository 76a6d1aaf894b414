import type { StageGroup } from './parse-stage.js';

/**
 * A pump's stage answers, dispatched one after another in the order they
 * were asked for, as soon as each arrives (never held until the next read).
 */
export class DispatchQueue {
  private tail: Promise<void> = Promise.resolve();
  private size = 0;
  private failure: { err: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly dispatch: (groups: StageGroup[]) => Promise<void>) {}

  add(answer: Promise<StageGroup[]>): void {
    this.size++;
    // Kept from being an unhandled rejection while earlier answers are dispatched; the failure surfaces in below().
    answer.catch(() => {});
    this.tail = this.tail
      .then(async () => {
        if (this.failure === undefined) await this.dispatch(await answer);
      })
      .catch((err: unknown) => {
        this.failure ??= { err };
      })
      .finally(() => {
        this.size--;
        this.wake?.();
      });
  }

  /** Waits until fewer than `n` answers are outstanding; throws the first failure. */
  async below(n: number): Promise<void> {
    while (this.size >= n && this.failure === undefined) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure !== undefined) throw this.failure.err;
  }
}
