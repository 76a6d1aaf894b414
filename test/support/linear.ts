import { expect } from 'vitest';

/**
 * Asserts that `run` costs about linear time in its input's size, without
 * asserting any speed: the input is built at `n` and at 8 × `n`, both are run
 * interleaved three times on the same (possibly loaded) machine, and the
 * fastest of each is compared. Linear work grows ~8×, quadratic ~64×, a
 * backtracking regex far more; 30× leaves room for noise and GC on the larger
 * input. `slackMs` absorbs timer granularity when the small run is very fast.
 */
export function expectLinear<T>(make: (n: number) => T, run: (input: T) => void, n: number, label = '', slackMs = 50): void {
  const small = make(n);
  const large = make(8 * n);
  let tSmall = Infinity;
  let tLarge = Infinity;
  for (let i = 0; i < 3; i++) {
    tSmall = Math.min(tSmall, time(() => run(small)));
    tLarge = Math.min(tLarge, time(() => run(large)));
  }
  expect(tLarge, `${label} ${tLarge.toFixed(1)} ms at 8n against ${tSmall.toFixed(1)} ms at n`).toBeLessThan(30 * tSmall + slackMs);
}

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}
