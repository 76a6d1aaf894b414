import { describe, expect, it } from 'vitest';
import { isDateTime, timeOrNow } from '../../src/util/event-time.js';
import { compileStrftime } from '../../src/util/strftime.js';

const LIMIT = 8.64e15;
const NOW = Date.UTC(2024, 4, 1, 12);
const INVALID = [undefined, Number.NaN, Infinity, -Infinity, LIMIT + 1, -LIMIT - 1, 1e300];
const VALID = [0, NOW, -1, LIMIT, -LIMIT, 0.5];

describe('isDateTime', () => {
  it('is true exactly for the times a Date holds', () => {
    for (const t of VALID) {
      expect(isDateTime(t)).toBe(true);
      expect(Number.isNaN(new Date(t).getTime())).toBe(false);
    }
    for (const t of INVALID) {
      expect(isDateTime(t)).toBe(false);
      expect(Number.isNaN(new Date(t as number).getTime())).toBe(true);
    }
  });
});

describe('timeOrNow', () => {
  it('keeps a time a Date holds, and the clock is not read', () => {
    let reads = 0;
    const clock = () => (reads++, NOW);
    for (const t of VALID) {
      expect(timeOrNow(t, NOW)).toBe(t);
      expect(timeOrNow(t, clock)).toBe(t);
    }
    expect(reads).toBe(0);
  });

  it('gives now for a missing, NaN, infinite or out-of-range time', () => {
    for (const t of INVALID) {
      expect(timeOrNow(t, NOW)).toBe(NOW);
      expect(timeOrNow(t, () => NOW)).toBe(NOW);
    }
  });

  it('gives what strftime can always render', () => {
    const render = compileStrftime('%Y-%m-%dT%H:%M:%S');
    for (const t of [...VALID, ...INVALID]) expect(() => render(timeOrNow(t, NOW))).not.toThrow();
    for (const t of INVALID) if (t !== undefined) expect(() => render(t)).toThrow(RangeError);
    expect(render(timeOrNow(Number.NaN, NOW))).toBe('2024-05-01T12:00:00');
  });
});
