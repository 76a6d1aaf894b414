import { describe, expect, it } from 'vitest';
import { compileStrftime } from '../../src/util/strftime.js';

const T = Date.UTC(2024, 1, 29, 7, 5, 9, 123); // 2024-02-29T07:05:09.123Z, a leap day

describe('compileStrftime', () => {
  it('renders every supported specifier in UTC', () => {
    const f = compileStrftime('%Y|%m|%d|%H|%M|%S|%j|%y|%F|%T|%s|%%');
    expect(f(T)).toBe(`2024|02|29|07|05|09|060|24|2024-02-29|07:05:09|${Math.floor(T / 1000)}|%`);
  });

  it('renders a typical object prefix', () => {
    expect(compileStrftime('checkout/%Y/%m/%d/')(T)).toBe('checkout/2024/02/29/');
    expect(compileStrftime('logs-%Y.%m.%d')(T)).toBe('logs-2024.02.29');
  });

  it('renders day-of-year at the year edges', () => {
    const f = compileStrftime('%j');
    expect(f(Date.UTC(2023, 0, 1))).toBe('001');
    expect(f(Date.UTC(2023, 11, 31, 23, 59, 59, 999))).toBe('365');
    expect(f(Date.UTC(2024, 11, 31))).toBe('366');
  });

  it('keeps a pattern without specifiers constant', () => {
    expect(compileStrftime('')(T)).toBe('');
    expect(compileStrftime('static/')(T)).toBe('static/');
  });

  it('rejects unknown specifiers and a lone % when compiling', () => {
    expect(() => compileStrftime('%Y/%q/')).toThrow(/unknown specifier %q at position 3/);
    expect(() => compileStrftime('logs-%')).toThrow(/lone "%"/);
  });

  it('rejects a time that is not a date', () => {
    const f = compileStrftime('%Y');
    expect(() => f(Number.NaN)).toThrow(RangeError);
    expect(() => f(Infinity)).toThrow(RangeError);
    expect(() => compileStrftime('x')(Number.NaN)).toThrow(RangeError);
  });

  it('stays correct across bucket boundaries and for times before the epoch', () => {
    const f = compileStrftime('%F %T');
    expect(f(Date.UTC(2024, 0, 1, 0, 0, 0) - 1)).toBe('2023-12-31 23:59:59');
    expect(f(Date.UTC(2024, 0, 1, 0, 0, 0))).toBe('2024-01-01 00:00:00');
    expect(f(-1)).toBe('1969-12-31 23:59:59');
    // Interleaved buckets come from the cache and still render correctly.
    const g = compileStrftime('%Y/%m/%d/%H');
    for (let i = 0; i < 3; i++) {
      expect(g(Date.UTC(2024, 4, 1, 10))).toBe('2024/05/01/10');
      expect(g(Date.UTC(2024, 4, 2, 11, 30))).toBe('2024/05/02/11');
    }
  });

  it('returns the same string instance within a bucket', () => {
    const f = compileStrftime('%Y/%m/%d/');
    expect(f(T)).toBe(f(T + 3_600_000));
  });
});
