/**
 * Exponential backoff: the wait before retry `attempt` (0 for the first) is
 * drawn below a ceiling of `min(maxMs, initialMs·2^attempt)`; the policy's
 * jitter says how, so that clients failing together do not retry together.
 */

/** Where in [0, ceilingMs) a wait falls, from a uniform `random` in [0, 1). */
export type Jitter = (ceilingMs: number, random: number) => number;

/** Anywhere in [0, ceiling): retries spread out the most. For requests many clients send to one server. */
export const fullJitter: Jitter = (ceilingMs, random) => ceilingMs * random;

/** In [ceiling/2, ceiling): spread out, yet never much shorter than the exponential wait. */
export const equalJitter: Jitter = (ceilingMs, random) => ceilingMs * (0.5 + random / 2);

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitter: Jitter;
}

/** The wait before retry `attempt`; `random` is injectable so tests can pin it. */
export function backoffMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  // Doublings past the cap change nothing; bounding them keeps a zero initialMs from meeting Infinity (0·∞ is NaN).
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return policy.jitter(ceiling, random());
}
