import { expect } from 'vitest';

/**
 * Asserts that `run` costs about linear time in its input's size, without
 * asserting any speed: the input is built at `n` and at 8 × `n`, both are run
 * interleaved five times, and the cheapest of each is compared. Cost is this
 * process's CPU time, not the wall clock: on a loaded machine the process is
 * descheduled for whole time slices, which the wall clock counts and CPU time
 * does not. Linear work grows ~8×, quadratic ~64×, a
 * backtracking regex far more; 30× leaves room for noise and GC on the larger
 * input. `slackMs` absorbs timer granularity when the small run is very fast.
 */
export function expectLinear<T>(make: (n: number) => T, run: (input: T) => void, n: number, label = '', slackMs = 50): void {
  const small = make(n);
  const large = make(8 * n);
  let tSmall = Infinity;
  let tLarge = Infinity;
  for (let i = 0; i < 5; i++) {
    tSmall = Math.min(tSmall, time(() => run(small)));
    tLarge = Math.min(tLarge, time(() => run(large)));
  }
  expect(tLarge, `${label} ${tLarge.toFixed(1)} ms at 8n against ${tSmall.toFixed(1)} ms at n`).toBeLessThan(30 * tSmall + slackMs);
}

/** CPU milliseconds (user + system) that `fn` cost this process. */
function time(fn: () => void): number {
  const started = process.cpuUsage();
  fn();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}
