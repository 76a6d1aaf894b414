/**
 * Tasks that must not overlap (appends to one file, saves of one temp file),
 * and requests that one run can answer for many callers (an fsync, a save of
 * the current state).
 */

const ignore = (): void => {};

export interface SerialQueueOptions {
  /**
   * After a task fails, later tasks do not run and fail with its error: for
   * operations on a file whose state is unknown after a failed write. By
   * default a failure is its caller's alone and the next task runs.
   */
  readonly skipAfterFailure?: boolean;
}

/** Runs tasks one at a time, in the order given; each caller gets its own task's outcome. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly skipAfterFailure: boolean;

  constructor(options: SerialQueueOptions = {}) {
    this.skipAfterFailure = options.skipAfterFailure ?? false;
  }

  /** Runs `task` once every task given before has settled. */
  run<T>(task: () => T | PromiseLike<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = this.skipAfterFailure ? result : result.then(ignore, ignore);
    return result;
  }

  /** Resolves once every task given so far has settled; never rejects. */
  settled(): Promise<void> {
    return this.tail.then(ignore, ignore);
  }
}

/**
 * Requests for a task whose run covers everything asked before it starts (it
 * reads the state when it starts): at most one run waits, and every request
 * made while it waits shares it, with its outcome. Runs go through `queue`, so
 * at most one runs at a time, taking turns with the queue's other tasks.
 */
export class Coalescer<T = void> {
  private waiting: Promise<T> | undefined;

  constructor(
    private readonly task: () => Promise<T>,
    private readonly queue: SerialQueue = new SerialQueue(),
  ) {}

  request(): Promise<T> {
    if (this.waiting !== undefined) return this.waiting;
    const run = this.queue.run(() => {
      // Started: a request from now on is not covered by this run and waits for the next.
      this.waiting = undefined;
      return this.task();
    });
    this.waiting = run;
    return run;
  }
}
