/**
 * An event's time, as outputs file it. Parsers yield NaN for a line without a
 * usable timestamp and may yield a number past what a Date holds (a year
 * 300000); names rendered from such a time would read "NaN" or throw.
 */

/** The range of a JavaScript Date (ECMAScript: ±100,000,000 days around the epoch). */
const MAX_DATE_MS = 8.64e15;

/** Can a Date hold `epochMs`? False for undefined, NaN, ±Infinity and anything past ±8.64e15. */
export function isDateTime(epochMs: number | undefined): epochMs is number {
  // NaN and undefined compare false.
  return Math.abs(epochMs as number) <= MAX_DATE_MS;
}

/**
 * The time to file an event under: its own, or `now` when a Date cannot hold
 * it. `now` may be a clock, read only then.
 */
export function timeOrNow(time: number | undefined, now: number | (() => number)): number {
  if (isDateTime(time)) return time;
  return typeof now === 'number' ? now : now();
}
