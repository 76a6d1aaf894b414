/**
 * Sizes (`5MiB`, `512KB`) and durations (`500ms`, `5m`) as people write them:
 * parsed here for the parsers' own options and for the config (src/config/units.ts).
 */
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4,
};

const DURATION_UNITS: Record<string, number> = {
  ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000,
};

// Anchored, no nested quantifiers: cannot backtrack badly on hostile input.
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i;

/** Parses `5MiB`, `512KB`, `1048576` into bytes; undefined when malformed. */
export function parseSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  const m = SIZE_RE.exec(input.trim());
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Parses `500ms`, `2s`, `5m` into milliseconds; undefined when malformed. A bare number is rejected: units are not guessable. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return undefined;
  const m = DURATION_RE.exec(input.trim());
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The largest unit that states `n` exactly: `64KiB`, `1500ms`, `24h`. */
function inUnits(n: number, units: readonly [string, number][]): string {
  for (const [name, factor] of units) if (n !== 0 && n % factor === 0) return `${n / factor}${name}`;
  return `${n}${units.at(-1)![0]}`;
}
const SIZE_NAMES: [string, number][] = [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024], ['B', 1]];
const DURATION_NAMES: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
export const formatSize = (bytes: number) => inUnits(bytes, SIZE_NAMES);
export const formatDuration = (ms: number) => inUnits(ms, DURATION_NAMES);
