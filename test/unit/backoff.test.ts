import { describe, expect, it } from 'vitest';
import { backoffMs, equalJitter, fullJitter, type BackoffPolicy } from '../../src/util/backoff.js';

/** A fixed random source: the tests pin the draw instead of sampling. */
const fixed = (r: number) => () => r;
const RANDOMS = [0, 0.25, 0.5, 0.999_999];

describe('backoffMs', () => {
  it('doubles the ceiling from initialMs per attempt up to maxMs', () => {
    const policy: BackoffPolicy = { initialMs: 200, maxMs: 30_000, jitter: fullJitter };
    const ceilings = Array.from({ length: 10 }, (_, attempt) => backoffMs(policy, attempt, fixed(0.5)) * 2);
    expect(ceilings).toEqual([200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
  });

  it('full jitter: anywhere in [0, ceiling)', () => {
    const policy: BackoffPolicy = { initialMs: 100, maxMs: 1000, jitter: fullJitter };
    expect(backoffMs(policy, 3, fixed(0))).toBe(0);
    expect(backoffMs(policy, 3, fixed(0.999_999))).toBeLessThan(800);
    expect(backoffMs(policy, 3, fixed(0.999_999))).toBeGreaterThan(799);
  });

  it('equal jitter: in [ceiling/2, ceiling)', () => {
    const policy: BackoffPolicy = { initialMs: 500, maxMs: 30_000, jitter: equalJitter };
    expect(backoffMs(policy, 2, fixed(0))).toBe(1000);
    expect(backoffMs(policy, 2, fixed(0.5))).toBe(1500);
    expect(backoffMs(policy, 2, fixed(0.999_999))).toBeLessThan(2000);
  });

  it('gives the waits the two hand-written formulas it replaces gave', () => {
    // src/pipeline/delivery.ts (output rebuild) and outputs/elasticsearch/backoff.ts (item retries), as they were.
    const rebuild = (failures: number, r: number) => Math.min(30_000, 500 * 2 ** failures) * (0.5 + r / 2);
    const items = (attempt: number, initial: number, max: number, r: number) => r * Math.min(max, initial * 2 ** Math.min(attempt, 30));
    for (const attempt of [0, 1, 5, 6, 7, 30, 31, 1100]) {
      for (const r of RANDOMS) {
        expect(backoffMs({ initialMs: 500, maxMs: 30_000, jitter: equalJitter }, attempt, fixed(r))).toBe(rebuild(attempt, r));
        for (const [initial, max] of [[200, 30_000], [1, 3_600_000], [1, 10]] as const) {
          expect(backoffMs({ initialMs: initial, maxMs: max, jitter: fullJitter }, attempt, fixed(r))).toBe(items(attempt, initial, max, r));
        }
      }
    }
  });

  it('stays finite for any attempt count, and 0 with a zero initialMs', () => {
    for (const jitter of [fullJitter, equalJitter]) {
      expect(backoffMs({ initialMs: 200, maxMs: 30_000, jitter }, 1e9, fixed(0.999_999))).toBeLessThan(30_000);
      expect(backoffMs({ initialMs: 0, maxMs: 30_000, jitter }, 1e9, fixed(0.5))).toBe(0);
    }
  });

  it('draws from Math.random by default', () => {
    const policy: BackoffPolicy = { initialMs: 200, maxMs: 30_000, jitter: fullJitter };
    const ms = backoffMs(policy, 4);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(3200);
  });
});
