import { z } from 'zod';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../parsers/units.js';

/** Node's timers take a signed 32-bit delay; past it a timer fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The range a key accepts, inclusive, in bytes or milliseconds. Every key states its own. */
export interface Bounds {
  min: number;
  max: number;
}

/**
 * The unit and bounds of every size and duration type, for the configuration
 * reference: the schema alone shows only `string | number` and a transform.
 */
export const unitRegistry = z.registry<Bounds & { unit: 'size' | 'duration' }>();

/**
 * A zod type reading `text` with `parse` and checking it against `bounds`; the
 * messages name the bound in the key's own unit and end in `, got …` (the
 * part errors.ts leaves out for secret keys).
 */
function bounded(unit: 'size' | 'duration', example: string, parse: (v: string | number) => number | undefined, format: (n: number) => string, { min, max }: Bounds) {
  const kind = `a ${unit}`;
  const schema = z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = parse(v);
    const shown = typeof v === 'string' ? v.trim() : String(v);
    if (n === undefined) ctx.addIssue({ code: 'custom', message: `expected ${kind} like ${example}, got ${JSON.stringify(v)}` });
    else if (n < min) ctx.addIssue({ code: 'custom', message: `expected at least ${format(min)}, got ${shown}` });
    else if (n > max) ctx.addIssue({ code: 'custom', message: `expected at most ${format(max)}, got ${shown}` });
    else return n;
    return z.NEVER;
  });
  return schema.register(unitRegistry, { unit, min, max });
}

/** A zod type accepting `5MiB`-style sizes (or a byte count) within `bounds` and yielding bytes. */
export const size = (bounds: Bounds) => bounded('size', '5MiB', parseSize, formatSize, bounds);

/** A zod type accepting `500ms`/`2s`/`5m` durations within `bounds` and yielding milliseconds. */
export const duration = (bounds: Bounds) => {
  if (bounds.max > MAX_TIMER_MS) throw new Error(`duration bound ${bounds.max} ms overflows Node's timers`);
  return bounded('duration', '500ms, 2s or 5m', parseDuration, formatDuration, bounds);
};

/** Byte and millisecond constants for stating bounds readably. */
export const KiB = 1024;
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
export const TiB = 1024 ** 4;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
