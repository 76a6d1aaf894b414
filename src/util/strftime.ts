/**
 * A small UTC strftime for object keys and index names.
 *
 * The pattern is parsed once; rendering is cached per time bucket (a day for a
 * `%Y/%m/%d/` pattern, an hour with `%H`, …), so routing an event usually costs
 * one division and one comparison, and the same bucket always yields the same
 * string instance.
 */
import { isDateTime } from './event-time.js';

export type TimeFormatter = (epochMs: number) => string;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Each specifier: how to render it from a Date, and how long its output stays constant. */
const SPECIFIERS: Record<string, { render: (d: Date) => string; granularity: number }> = {
  Y: { render: (d) => year(d.getUTCFullYear()), granularity: DAY },
  y: { render: (d) => pad2(((d.getUTCFullYear() % 100) + 100) % 100), granularity: DAY },
  m: { render: (d) => pad2(d.getUTCMonth() + 1), granularity: DAY },
  d: { render: (d) => pad2(d.getUTCDate()), granularity: DAY },
  j: { render: (d) => String(dayOfYear(d)).padStart(3, '0'), granularity: DAY },
  F: {
    render: (d) => `${year(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`,
    granularity: DAY,
  },
  H: { render: (d) => pad2(d.getUTCHours()), granularity: HOUR },
  M: { render: (d) => pad2(d.getUTCMinutes()), granularity: MINUTE },
  S: { render: (d) => pad2(d.getUTCSeconds()), granularity: SECOND },
  T: {
    render: (d) => `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`,
    granularity: SECOND,
  },
  s: { render: (d) => String(Math.floor(d.getTime() / SECOND)), granularity: SECOND },
};

export const SUPPORTED_SPECIFIERS = `${Object.keys(SPECIFIERS).map((s) => `%${s}`).join(' ')} %%`;

/** A bounded cache: a long backfill spanning many buckets must not grow memory. */
const CACHE_LIMIT = 1024;

/**
 * Compiles `pattern` into a formatter of epoch milliseconds (UTC).
 * Throws on an unknown specifier or a lone trailing `%`, so a bad pattern is
 * reported when the config is loaded, not when the first event arrives.
 * The formatter throws a RangeError for a time that is not a valid date.
 */
export function compileStrftime(pattern: string): TimeFormatter {
  const parts: Array<string | ((d: Date) => string)> = [];
  let literal = '';
  let granularity = Infinity;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c !== '%') {
      literal += c;
      continue;
    }
    const spec = pattern[++i];
    if (spec === undefined) {
      throw new Error(`strftime pattern ${JSON.stringify(pattern)}: lone "%" at the end (write %% for a literal %)`);
    }
    if (spec === '%') {
      literal += '%';
      continue;
    }
    const def = SPECIFIERS[spec];
    if (def === undefined) {
      throw new Error(
        `strftime pattern ${JSON.stringify(pattern)}: unknown specifier %${spec} at position ${i - 1} (supported: ${SUPPORTED_SPECIFIERS})`,
      );
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(def.render);
    granularity = Math.min(granularity, def.granularity);
  }
  if (literal !== '') parts.push(literal);

  if (granularity === Infinity) {
    const constant = parts.join('');
    return (epochMs) => {
      checkTime(epochMs);
      return constant;
    };
  }

  const render = (bucket: number): string => {
    // Every specifier is constant within a bucket, so render the bucket's start.
    const d = new Date(bucket * granularity);
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(d);
    return out;
  };

  let lastBucket = NaN;
  let lastValue = '';
  const cache = new Map<number, string>();
  return (epochMs) => {
    checkTime(epochMs);
    const bucket = Math.floor(epochMs / granularity);
    if (bucket === lastBucket) return lastValue;
    let value = cache.get(bucket);
    if (value === undefined) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      value = render(bucket);
      cache.set(bucket, value);
    }
    lastBucket = bucket;
    lastValue = value;
    return value;
  };
}

function checkTime(epochMs: number): void {
  if (!isDateTime(epochMs)) {
    throw new RangeError(`strftime: not a valid time: ${epochMs}`);
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function year(y: number): string {
  return y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
}

function dayOfYear(d: Date): number {
  // setUTCFullYear rather than Date.UTC, which maps years 0-99 to 1900-1999.
  const jan1 = new Date(0);
  jan1.setUTCFullYear(d.getUTCFullYear(), 0, 1);
  return Math.floor((d.getTime() - jan1.getTime()) / DAY) + 1;
}
