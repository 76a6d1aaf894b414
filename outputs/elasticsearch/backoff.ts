/** Exponential backoff with full jitter: a random wait in [0, min(max, initial·2^attempt)), so retries of many clients spread out. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
}

