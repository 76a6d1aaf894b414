/**
 * Timestamp recognition for every parser and the normaliser (the event schema, README "The event":
 * `@timestamp` is UTC ISO 8601 with milliseconds).
 *
 * Everything here is a hand-written scanner over char codes: no regex, so no
 * backtracking, and linear in the input. A value that is not recognised gives
 * `undefined`; `parseTime` never throws.
 *
 * Local times (no offset in the text) are resolved in a zone: `UTC` (the
 * default), a fixed offset (`+02:00`, `-0530`, `+02`) or an IANA name
 * (`Europe/Berlin`) through `Intl.DateTimeFormat`, with the zone's UTC offset
 * cached per hour. Wall-clock times that do not exist (spring forward) or exist
 * twice (fall back) are resolved like Temporal's `compatible` disambiguation:
 * a skipped time is moved forward by the gap, a repeated time takes the earlier
 * instant.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The range of a JS Date (±100,000,000 days around the epoch). */
const MAX_TIME = 8.64e15;

// Char codes.
const C_SPACE = 32;
const C_TAB = 9;
const C_PLUS = 43;
const C_COMMA = 44;
const C_MINUS = 45;
const C_DOT = 46;
const C_SLASH = 47;
const C_0 = 48;
const C_COLON = 58;
const C_LBRACKET = 91;
const C_RBRACKET = 93;
const C_T_UPPER = 84;
const C_T_LOWER = 116;
const C_Z_UPPER = 90;
const C_Z_LOWER = 122;

export interface TimeFields {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

export interface ParseTimeOptions {
  /** IANA zone, `UTC` or a fixed offset (`+02:00`) for times without an offset; default UTC. */
  timezone?: string | undefined;
  /** strptime-style format (see `compileTimeFormat`); tried before the built-in recognisers. */
  timeFormat?: string | undefined;
  /** The current time in ms, for times without a year (or without a date); default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * A compiled `time_format`: the epoch ms of `text` (the whole text must match),
 * or undefined. `timezone` applies when the format has no `%z` (and no `%Z` of
 * `UTC`/`GMT`/`Z`); `now` is used when the format has no year (or no date).
 */
export type TimeFormatMatcher = (text: string, timezone: string | undefined, now?: () => number) => number | undefined;

/** Where `now` comes from: a function, or an options object whose `now` is called as a method. */
type Clock = (() => number) | { now?: (() => number) | undefined } | undefined;

function readClock(clock: Clock): number {
  if (clock === undefined) return Date.now();
  if (typeof clock === 'function') return clock();
  return clock.now !== undefined ? clock.now() : Date.now();
}

// ---------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, no Date objects).

/** Days since 1970-01-01 of a civil date (H. Hinnant's algorithm); month 1-12. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil year of a day number (days since 1970-01-01). */
function yearFromDays(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return yoe + era * 400 + (mp >= 10 ? 1 : 0);
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function inRange(t: number): number | undefined {
  return t >= -MAX_TIME && t <= MAX_TIME ? t : undefined;
}

// ---------------------------------------------------------------------------
// Zones.

const ZONE_CACHE_LIMIT = 256;
const OFFSET_CACHE_LIMIT = 8192;

class Zone {
  private readonly offsets = new Map<number, number>();
  private lastHour = NaN;
  private lastOffset = 0;

  /** `dtf` undefined: a fixed offset of `fixed` ms. */
  constructor(
    private readonly fixed: number,
    private readonly dtf: Intl.DateTimeFormat | undefined,
  ) {}

  /** The zone's UTC offset (ms, local minus UTC) at instant `t`. */
  offsetAt(t: number): number {
    const dtf = this.dtf;
    if (dtf === undefined) return this.fixed;
    const hour = Math.floor(t / HOUR);
    if (hour === this.lastHour) return this.lastOffset;
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      const start = hour * HOUR;
      offset = computeOffset(dtf, start);
      // A transition inside this hour (e.g. Lord Howe's half-hour shifts):
      // do not cache, compute this instant exactly.
      if (computeOffset(dtf, start + HOUR - 1) !== offset) return computeOffset(dtf, t);
      if (this.offsets.size >= OFFSET_CACHE_LIMIT) this.offsets.clear();
      this.offsets.set(hour, offset);
    }
    this.lastHour = hour;
    this.lastOffset = offset;
    return offset;
  }

  /** The instant of wall-clock time `local` (ms as if the wall clock were UTC). */
  toUtc(local: number): number {
    if (this.dtf === undefined) return local - this.fixed;
    // The offsets a day either side bracket the instant (offsets are < 1 day).
    const before = this.offsetAt(local - DAY);
    const after = this.offsetAt(local + DAY);
    if (before === after) return local - before;
    const early = local - before;
    const late = local - after;
    const earlyValid = this.offsetAt(early) === before;
    const lateValid = this.offsetAt(late) === after;
    if (earlyValid && lateValid) return Math.min(early, late); // repeated hour: the first one
    if (earlyValid) return early;
    if (lateValid) return late;
    return early; // skipped hour: read with the offset before the gap, i.e. moved forward
  }
}

function computeOffset(dtf: Intl.DateTimeFormat, t: number): number {
  const ts = Math.floor(t / SECOND) * SECOND;
  let y = 0;
  let mo = 1;
  let d = 1;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const part of dtf.formatToParts(ts)) {
    switch (part.type) {
      case 'year':
        y = Number(part.value);
        break;
      case 'month':
        mo = Number(part.value);
        break;
      case 'day':
        d = Number(part.value);
        break;
      case 'hour':
        h = Number(part.value) % 24;
        break;
      case 'minute':
        mi = Number(part.value);
        break;
      case 'second':
        s = Number(part.value);
        break;
      default:
        break;
    }
  }
  const local = daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * SECOND;
  const offset = local - ts;
  // Eras before year 1 and other oddities: no real offset is a day or more.
  return Number.isFinite(offset) && Math.abs(offset) < DAY ? offset : 0;
}

const UTC_ZONE = new Zone(0, undefined);
const zones = new Map<string, Zone | null>();

/** `±hh`, `±hhmm`, `±hh:mm` as ms, or undefined. */
function parseFixedOffset(tz: string): number | undefined {
  const n = tz.length;
  if (n !== 3 && n !== 5 && n !== 6) return undefined;
  const sign = tz.charCodeAt(0);
  if (sign !== C_PLUS && sign !== C_MINUS) return undefined;
  const off = scanOffset(tz, 0, n);
  if (off === undefined || pos !== n) return undefined;
  return off;
}

function createZone(tz: string): Zone | null {
  if (tz === '') return null;
  const upper = tz.toUpperCase();
  if (upper === 'UTC' || upper === 'Z' || upper === 'GMT' || upper === 'ETC/UTC' || upper === 'ETC/GMT') {
    return UTC_ZONE;
  }
  const fixed = parseFixedOffset(tz);
  if (fixed !== undefined) return fixed === 0 ? UTC_ZONE : new Zone(fixed, undefined);
  try {
    const dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    return new Zone(0, dtf);
  } catch {
    return null;
  }
}

function getZone(tz: string | undefined): Zone | undefined {
  if (tz === undefined) return UTC_ZONE;
  let zone = zones.get(tz);
  if (zone === undefined) {
    zone = createZone(tz);
    if (zones.size >= ZONE_CACHE_LIMIT) zones.clear();
    zones.set(tz, zone);
  }
  return zone ?? undefined;
}

/** True for `UTC`, a fixed offset (`+02:00`, `-0530`, `+02`) or an IANA zone name Node knows. */
export function isValidTimezone(tz: string): boolean {
  return typeof tz === 'string' && getZone(tz) !== undefined;
}

/**
 * The instant (epoch ms) of a wall-clock time in `timezone` (IANA, `UTC`,
 * fixed offset; undefined = UTC). DST gaps move the time forward by the gap;
 * repeated times take the earlier instant. Fields out of range roll over
 * (day 32 is the next month's 1st). Throws a RangeError for an unknown zone.
 */
export function zonedToUtc(fields: TimeFields, timezone: string | undefined): number {
  const zone = getZone(timezone);
  if (zone === undefined) throw new RangeError(`unknown time zone ${JSON.stringify(timezone)}`);
  let year = fields.year;
  let month = fields.month - 1;
  year += Math.floor(month / 12);
  month = ((month % 12) + 12) % 12;
  const local =
    daysFromCivil(year, month + 1, 1) * DAY +
    (fields.day - 1) * DAY +
    fields.hour * HOUR +
    fields.minute * MINUTE +
    fields.second * SECOND +
    fields.ms;
  return zone.toUtc(local);
}

/** Resolves a wall-clock time in `tz`; undefined for an unknown zone. */
function localToUtc(local: number, tz: string | undefined): number | undefined {
  const zone = getZone(tz);
  return zone === undefined ? undefined : inRange(zone.toUtc(local));
}

// ---------------------------------------------------------------------------
// Scanner primitives. `pos` is the scanners' second return value (the index
// after what they read), kept in a module variable so nothing is allocated.

let pos = 0;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === C_SPACE || c === C_TAB || c === 10 || c === 13 || c === 11 || c === 12;
}

/** Two digits at i (before end b), or -1. */
function two(s: string, i: number, b: number): number {
  if (i + 2 > b) return -1;
  const d1 = s.charCodeAt(i) - C_0;
  const d2 = s.charCodeAt(i + 1) - C_0;
  if (d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return -1;
  return d1 * 10 + d2;
}

/** Four digits at i (before end b), or -1. */
function four(s: string, i: number, b: number): number {
  const hi = two(s, i, b);
  if (hi < 0) return -1;
  const lo = two(s, i + 2, b);
  return lo < 0 ? -1 : hi * 100 + lo;
}

/** Between min and max digits at i, greedy; -1 if fewer than min. Sets pos. */
function digits(s: string, i: number, b: number, min: number, max: number): number {
  let v = 0;
  let n = 0;
  while (n < max && i < b) {
    const d = s.charCodeAt(i) - C_0;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    n++;
    i++;
  }
  if (n < min) return -1;
  pos = i;
  return v;
}

/** A fraction's digits at i (any number, at least one) as ms, truncated. Sets pos; -1 if no digit. */
function scanFraction(s: string, i: number, b: number): number {
  let ms = 0;
  let n = 0;
  while (i < b) {
    const d = s.charCodeAt(i) - C_0;
    if (d < 0 || d > 9) break;
    if (n < 3) ms = ms * 10 + d;
    n++;
    i++;
  }
  if (n === 0) return -1;
  if (n === 1) ms *= 100;
  else if (n === 2) ms *= 10;
  pos = i;
  return ms;
}

/** `Z` | `±hh` | `±hhmm` | `±hh:mm` at i, as ms (local minus UTC); undefined if none. Sets pos. */
function scanOffset(s: string, i: number, b: number): number | undefined {
  if (i >= b) return undefined;
  const c = s.charCodeAt(i);
  if (c === C_Z_UPPER || c === C_Z_LOWER) {
    pos = i + 1;
    return 0;
  }
  if (c !== C_PLUS && c !== C_MINUS) return undefined;
  const hh = two(s, i + 1, b);
  if (hh < 0 || hh > 23) return undefined;
  let j = i + 3;
  let mm = 0;
  if (j < b && s.charCodeAt(j) === C_COLON) {
    mm = two(s, j + 1, b);
    if (mm < 0) return undefined;
    j += 3;
  } else {
    const m2 = two(s, j, b);
    if (m2 >= 0) {
      mm = m2;
      j += 2;
    }
  }
  if (mm > 59) return undefined;
  pos = j;
  const off = (hh * 60 + mm) * MINUTE;
  return c === C_MINUS ? -off : off;
}

/** A 3-letter ASCII word at i, lower-cased, packed into an int; -1 if not three ASCII letters. */
function word3(s: string, i: number, b: number): number {
  if (i + 3 > b) return -1;
  let key = 0;
  for (let k = 0; k < 3; k++) {
    const c = s.charCodeAt(i + k) | 0x20;
    if (c < 97 || c > 122) return -1;
    key = (key << 8) | c;
  }
  return key;
}

function pack3(w: string): number {
  return (w.charCodeAt(0) << 16) | (w.charCodeAt(1) << 8) | w.charCodeAt(2);
}

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

const MONTH3 = new Map<number, number>(MONTH_NAMES.map((m, i) => [pack3(m), i + 1]));
const WEEKDAY3 = new Set<number>(DAY_NAMES.map(pack3));
/** Full and abbreviated names, lower case, for `%b`/`%B` and `%a`/`%A`. */
const MONTH_WORDS = new Map<string, number>();
MONTH_NAMES.forEach((m, i) => {
  MONTH_WORDS.set(m, i + 1);
  MONTH_WORDS.set(m.slice(0, 3), i + 1);
});
MONTH_WORDS.set('sept', 9);
const DAY_WORDS = new Set<string>();
for (const d of DAY_NAMES) {
  DAY_WORDS.add(d);
  DAY_WORDS.add(d.slice(0, 3));
}
for (const d of ['tues', 'wednes', 'thur', 'thurs']) DAY_WORDS.add(d);

/** Month 1-12 of a 3-letter abbreviation at i (any case), or -1. */
function month3(s: string, i: number, b: number): number {
  const key = word3(s, i, b);
  return key < 0 ? -1 : (MONTH3.get(key) ?? -1);
}

// ---------------------------------------------------------------------------
// Year (and date) inference.

/**
 * The instant of month/day (or day of year) at `tod` ms into the day, in the
 * latest year that puts it no more than one day after now. Undefined when the
 * zone is unknown, now is unusable, or the date never exists (Feb 30).
 */
function inferYear(
  month: number,
  day: number,
  yday: number,
  tod: number,
  fixedOffset: number | undefined,
  tz: string | undefined,
  clock: Clock,
): number | undefined {
  const zone = fixedOffset === undefined ? getZone(tz) : undefined;
  if (fixedOffset === undefined && zone === undefined) return undefined;
  const now = readClock(clock);
  if (!Number.isFinite(now)) return undefined;
  const limit = now + DAY;
  let y = yearFromDays(Math.floor(now / DAY)) + 1;
  // Nine candidate years reach back past the previous leap year (for Feb 29).
  for (let k = 0; k < 9; k++, y--) {
    let days: number;
    if (yday > 0) {
      if (yday > (isLeapYear(y) ? 366 : 365)) continue;
      days = daysFromCivil(y, 1, 1) + yday - 1;
    } else {
      if (day > daysInMonth(y, month)) continue;
      days = daysFromCivil(y, month, day);
    }
    const local = days * DAY + tod;
    const t = fixedOffset !== undefined ? local - fixedOffset : zone!.toUtc(local);
    if (t <= limit) return inRange(t);
  }
  return undefined;
}

/**
 * The instant of a wall-clock time without a year (RFC 3164, klog) in
 * `timezone` (undefined = UTC): the latest year that puts it no more than a
 * day after `now()`; Feb 29 goes back to the last leap year. Undefined for a
 * time no calendar has (Feb 30, 25:00; second 60 is a leap second), an unknown
 * zone, or a clock that fails.
 */
export function yearlessToUtc(fields: Omit<TimeFields, 'year'>, timezone: string | undefined, now: () => number): number | undefined {
  const { month, day, hour, minute, second, ms } = fields;
  if (!(month >= 1 && month <= 12 && day >= 1 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 60 && ms >= 0 && ms <= 999)) {
    return undefined;
  }
  try {
    return inferYear(month, day, 0, hour * HOUR + minute * MINUTE + second * SECOND + ms, undefined, timezone, now);
  } catch {
    return undefined;
  }
}

/** A time of day without a date: today in the zone, or yesterday if today's is over an hour ahead of now. */
function inferDate(tod: number, fixedOffset: number | undefined, tz: string | undefined, clock: Clock): number | undefined {
  const zone = fixedOffset === undefined ? getZone(tz) : undefined;
  if (fixedOffset === undefined && zone === undefined) return undefined;
  const now = readClock(clock);
  if (!Number.isFinite(now)) return undefined;
  const offsetNow = fixedOffset !== undefined ? fixedOffset : zone!.offsetAt(now);
  const today = Math.floor((now + offsetNow) / DAY);
  const local = today * DAY + tod;
  let t = fixedOffset !== undefined ? local - fixedOffset : zone!.toUtc(local);
  if (t > now + HOUR) t = fixedOffset !== undefined ? t - DAY : zone!.toUtc(local - DAY);
  return inRange(t);
}

// ---------------------------------------------------------------------------
// Built-in recognisers. Each takes the string and a [a, b) window (trimmed).

/**
 * `[0-9]+(.[0-9]+)?` as epoch seconds / ms / µs / ns by magnitude (at most 10,
 * 13, 16, 19 significant integer digits), truncated to ms. -1 if not that shape.
 */
function scanEpoch(s: string, a: number, b: number): number {
  let i = a;
  while (i < b && s.charCodeAt(i) === C_0) i++;
  const sig = i;
  let intEnd = i;
  while (intEnd < b && isDigit(s.charCodeAt(intEnd))) intEnd++;
  if (intEnd === a) return -1; // no digit at all
  let fracMs = 0;
  if (intEnd < b) {
    if (s.charCodeAt(intEnd) !== C_DOT) return -1;
    fracMs = scanFraction(s, intEnd + 1, b);
    if (fracMs < 0 || pos !== b) return -1;
  }
  const n = intEnd - sig;
  let keep: number; // integer digits that make the ms value
  let scale = 1;
  if (n <= 10) {
    keep = n;
    scale = SECOND;
  } else if (n <= 13) keep = n;
  else if (n <= 16) keep = n - 3;
  else if (n <= 19) keep = n - 6;
  else return -1;
  let v = 0;
  for (let k = sig; k < sig + keep; k++) v = v * 10 + (s.charCodeAt(k) - C_0);
  return scale === SECOND ? v * SECOND + fracMs : v;
}

function fromNumber(v: number): number | undefined {
  if (!(v >= 0) || v >= 1e19) return undefined; // NaN, negative, Infinity, too large
  if (Number.isInteger(v)) {
    if (v < 1e10) return v * SECOND;
    if (v < 1e13) return v;
    if (v < 1e16) return Math.floor(v / 1e3);
    return Math.floor(v / 1e6);
  }
  // Fractional: read the shortest decimal form so 1700000000.123 gives ...123, not ...122.
  const str = String(v);
  const t = scanEpoch(str, 0, str.length);
  if (t >= 0) return t;
  return v < 1e10 ? Math.floor(v * SECOND) : Math.floor(v); // exponent forms (1e-7)
}

/**
 * ISO 8601 / RFC 3339: `YYYY-MM-DD` (or `YYYY/MM/DD`), then optionally `T`/`t`/space
 * `hh:mm[:ss[(.|,)fraction]]`, then optionally (after an optional space) `Z`,
 * `±hh[:mm]`, `±hhmm`, `UTC`, `GMT`; after a numeric offset an ignored zone
 * abbreviation (` UTC`, Go's `+0000 UTC`) or `[Zone/Id]` (Java) may follow.
 */
function parseIso(s: string, a: number, b: number, tz: string | undefined): number | undefined {
  const y = four(s, a, b);
  if (y < 0) return undefined;
  const sep = s.charCodeAt(a + 4);
  if (sep !== C_MINUS && sep !== C_SLASH) return undefined;
  const mo = two(s, a + 5, b);
  if (mo < 1 || mo > 12 || s.charCodeAt(a + 7) !== sep) return undefined;
  const d = two(s, a + 8, b);
  if (d < 1 || d > daysInMonth(y, mo)) return undefined;
  let i = a + 10;
  let h = 0;
  let mi = 0;
  let sec = 0;
  let ms = 0;
  if (i < b) {
    const c = s.charCodeAt(i);
    if (c !== C_T_UPPER && c !== C_T_LOWER && c !== C_SPACE) return undefined;
    h = two(s, i + 1, b);
    if (h < 0 || h > 23 || s.charCodeAt(i + 3) !== C_COLON) return undefined;
    mi = two(s, i + 4, b);
    if (mi < 0 || mi > 59) return undefined;
    i += 6;
    if (i < b && s.charCodeAt(i) === C_COLON) {
      sec = two(s, i + 1, b);
      if (sec < 0 || sec > 60) return undefined;
      i += 3;
      if (i < b) {
        const f = s.charCodeAt(i);
        if (f === C_DOT || f === C_COMMA) {
          ms = scanFraction(s, i + 1, b);
          if (ms < 0) return undefined;
          i = pos;
        }
      }
    }
  }
  const local = daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + sec * SECOND + ms;
  if (i === b) return localToUtc(local, tz);
  if (s.charCodeAt(i) === C_SPACE) i++;
  let off: number | undefined;
  if (i + 3 === b && (s.startsWith('UTC', i) || s.startsWith('GMT', i))) {
    off = 0;
    i = b;
  } else {
    off = scanOffset(s, i, b);
    if (off === undefined) return undefined;
    i = pos;
    if (i < b) {
      const c = s.charCodeAt(i);
      if (c === C_SPACE) {
        // A zone abbreviation after the offset: letters only, ignored.
        let j = i + 1;
        while (j < b && ((s.charCodeAt(j) | 0x20) >= 97 && (s.charCodeAt(j) | 0x20) <= 122)) j++;
        if (j > i + 1) i = j;
      } else if (c === C_LBRACKET && s.charCodeAt(b - 1) === C_RBRACKET) {
        i = b;
      }
    }
  }
  if (i !== b) return undefined;
  return inRange(local - off);
}

/**
 * Common/combined log format time: `10/Oct/2000:13:55:36 -0700` (the caller
 * strips brackets), optional fraction, optional offset (else the zone).
 */
function parseClf(s: string, a: number, b: number, tz: string | undefined): number | undefined {
  const d = two(s, a, b);
  if (d < 1 || s.charCodeAt(a + 2) !== C_SLASH) return undefined;
  const mo = month3(s, a + 3, b);
  if (mo < 0 || s.charCodeAt(a + 6) !== C_SLASH) return undefined;
  const y = four(s, a + 7, b);
  if (y < 0 || s.charCodeAt(a + 11) !== C_COLON || d > daysInMonth(y, mo)) return undefined;
  const h = two(s, a + 12, b);
  if (h < 0 || h > 23 || s.charCodeAt(a + 14) !== C_COLON) return undefined;
  const mi = two(s, a + 15, b);
  if (mi < 0 || mi > 59 || s.charCodeAt(a + 17) !== C_COLON) return undefined;
  const sec = two(s, a + 18, b);
  if (sec < 0 || sec > 60) return undefined;
  let i = a + 20;
  let ms = 0;
  if (i < b && s.charCodeAt(i) === C_DOT) {
    ms = scanFraction(s, i + 1, b);
    if (ms < 0) return undefined;
    i = pos;
  }
  const local = daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + sec * SECOND + ms;
  if (i === b) return localToUtc(local, tz);
  if (s.charCodeAt(i) !== C_SPACE) return undefined;
  const off = scanOffset(s, i + 1, b);
  if (off === undefined || pos !== b) return undefined;
  return inRange(local - off);
}

/** A common/combined log format time alone (`10/Oct/2000:13:55:36 -0700`, no brackets). */
export function parseClfTime(text: string, timezone?: string): number | undefined {
  try {
    return parseClf(text, 0, text.length, timezone);
  } catch {
    return undefined;
  }
}

/**
 * RFC 3164 `Oct 11 22:14:15`, `Oct  1 22:14:15` (also `Oct 1`, `Oct 01`), an
 * optional fraction, an optional year before the time (`Oct 11 2023 22:14:15`,
 * Cisco) or after it, with an optional leading weekday (ctime / Apache error
 * log: `Wed Oct 11 22:14:15.123456 2023`). Without a year the year is inferred
 * from now (see inferYear).
 */
function parseSyslogTime(s: string, a: number, b: number, tz: string | undefined, clock: Clock): number | undefined {
  let i = a;
  if (s.charCodeAt(i + 3) === C_SPACE && WEEKDAY3.has(word3(s, i, b))) i += 4;
  const mo = month3(s, i, b);
  if (mo < 0 || s.charCodeAt(i + 3) !== C_SPACE) return undefined;
  i += 4;
  if (s.charCodeAt(i) === C_SPACE) i++;
  const d = digits(s, i, b, 1, 2);
  if (d < 1 || d > 31 || s.charCodeAt(pos) !== C_SPACE) return undefined;
  i = pos + 1;
  let y = -1;
  if (s.charCodeAt(i + 4) === C_SPACE) {
    y = four(s, i, b);
    if (y < 0) return undefined;
    i += 5;
  }
  const h = two(s, i, b);
  if (h < 0 || h > 23 || s.charCodeAt(i + 2) !== C_COLON) return undefined;
  const mi = two(s, i + 3, b);
  if (mi < 0 || mi > 59 || s.charCodeAt(i + 5) !== C_COLON) return undefined;
  const sec = two(s, i + 6, b);
  if (sec < 0 || sec > 60) return undefined;
  i += 8;
  let ms = 0;
  if (i < b && s.charCodeAt(i) === C_DOT) {
    ms = scanFraction(s, i + 1, b);
    if (ms < 0) return undefined;
    i = pos;
  }
  if (y < 0 && i + 5 === b && s.charCodeAt(i) === C_SPACE) {
    y = four(s, i + 1, b);
    if (y < 0) return undefined;
    i = b;
  }
  if (i !== b) return undefined;
  const tod = h * HOUR + mi * MINUTE + sec * SECOND + ms;
  if (y >= 0) {
    if (d > daysInMonth(y, mo)) return undefined;
    return localToUtc(daysFromCivil(y, mo, d) * DAY + tod, tz);
  }
  return inferYear(mo, d, -1, tod, undefined, tz, clock);
}

// ---------------------------------------------------------------------------
// parseTime

const FORMAT_CACHE_LIMIT = 64;
type InternalMatcher = (text: string, timezone: string | undefined, clock?: Clock) => number | undefined;
const formats = new Map<string, InternalMatcher | null>();

function getFormat(format: string): InternalMatcher | undefined {
  let m = formats.get(format);
  if (m === undefined) {
    try {
      m = compileInternal(format);
    } catch {
      m = null; // config validation reports a bad format; here it is simply not used
    }
    if (formats.size >= FORMAT_CACHE_LIMIT) formats.clear();
    formats.set(format, m);
  }
  return m ?? undefined;
}

/**
 * Epoch ms of a log timestamp, or undefined when it is not recognised. Never throws.
 *
 * Tried in order: `opts.timeFormat` when given (the user's explicit format wins,
 * so `%Y%m%d%H%M%S` or `%d/%m/%Y` are not read as epoch digits or ISO); numbers
 * and digit strings as epoch s/ms/µs/ns by magnitude (`1700000000.123` too);
 * ISO 8601 / RFC 3339; RFC 3164 / ctime; Apache/nginx `10/Oct/2000:13:55:36 -0700`.
 * Surrounding whitespace and one pair of `[...]` are ignored. Times without an
 * offset are read in `opts.timezone` (default UTC).
 */
export function parseTime(value: unknown, opts: ParseTimeOptions = {}): number | undefined {
  try {
    if (typeof value === 'string') return parseString(value, opts);
    if (typeof value === 'number') return fromNumber(value);
    if (typeof value === 'bigint') return value >= 0n && value < 10n ** 19n ? fromNumber(Number(value)) : undefined;
    if (value instanceof Date) return inRange(value.getTime());
    return undefined;
  } catch {
    return undefined;
  }
}

function parseString(s: string, opts: ParseTimeOptions): number | undefined {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  if (a === b) return undefined;
  const tz = opts.timezone;

  if (opts.timeFormat !== undefined && opts.timeFormat !== '') {
    const m = getFormat(opts.timeFormat);
    if (m !== undefined) {
      const t = m(a === 0 && b === s.length ? s : s.slice(a, b), tz, opts);
      if (t !== undefined) return t;
    }
  }

  if (s.charCodeAt(a) === C_LBRACKET && s.charCodeAt(b - 1) === C_RBRACKET) {
    a++;
    b--;
    while (a < b && isSpace(s.charCodeAt(a))) a++;
    while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
    if (a === b) return undefined;
  }

  const c = s.charCodeAt(a);
  if (isDigit(c)) {
    const epoch = scanEpoch(s, a, b);
    if (epoch >= 0) return epoch;
    if (b - a >= 10) {
      const sep = s.charCodeAt(a + 4);
      if (sep === C_MINUS || sep === C_SLASH) return parseIso(s, a, b, tz);
      if (s.charCodeAt(a + 2) === C_SLASH) return parseClf(s, a, b, tz);
    }
    return undefined;
  }
  if ((c | 0x20) >= 97 && (c | 0x20) <= 122) return parseSyslogTime(s, a, b, tz, opts);
  return undefined;
}

// ---------------------------------------------------------------------------
// compileTimeFormat

const enum K {
  Lit,
  Space,
  Year4,
  Year2,
  Month,
  MonthName,
  Day,
  DayName,
  YearDay,
  Hour24,
  Hour12,
  AmPm,
  Minute,
  Second,
  Fraction,
  Offset,
  ZoneName,
  Epoch,
}

const SPEC_KIND: Record<string, K> = {
  Y: K.Year4,
  y: K.Year2,
  m: K.Month,
  b: K.MonthName,
  B: K.MonthName,
  h: K.MonthName,
  d: K.Day,
  e: K.Day,
  a: K.DayName,
  A: K.DayName,
  j: K.YearDay,
  H: K.Hour24,
  I: K.Hour12,
  p: K.AmPm,
  M: K.Minute,
  S: K.Second,
  f: K.Fraction,
  z: K.Offset,
  Z: K.ZoneName,
  s: K.Epoch,
};

/** Shorthands, expanded at compile time. */
const SPEC_EXPAND: Record<string, string> = {
  F: '%Y-%m-%d',
  T: '%H:%M:%S',
};

export const TIME_FORMAT_SPECIFIERS = `${[...Object.keys(SPEC_KIND), ...Object.keys(SPEC_EXPAND)].map((s) => `%${s}`).join(' ')} %%`;

function isAsciiLetter(c: number): boolean {
  const l = c | 0x20;
  return l >= 97 && l <= 122;
}

/** Letters at i (at least one), lower-cased; sets pos. Undefined if none. */
function letters(s: string, i: number, b: number): string | undefined {
  let j = i;
  while (j < b && isAsciiLetter(s.charCodeAt(j))) j++;
  if (j === i) return undefined;
  pos = j;
  return s.slice(i, j).toLowerCase();
}

function lowerAscii(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * Compiles a strptime-style format into a matcher of the whole text. Supported:
 * `%Y` (4 digits) `%y` (2 digits: 69-99 → 19xx, 00-68 → 20xx) `%m` `%d` `%e`
 * (1-2 digits, `%d`/`%e` allow a leading space) `%b %B %h` (English month
 * names, full or abbreviated, any case) `%a %A` (day names, checked, ignored)
 * `%j` (day of year) `%H` `%I` + `%p` (AM/PM) `%M` `%S` (1-2 digits; 60 allowed)
 * `%f` (fraction, any number of digits, truncated to ms) `%z` (`Z`, `±hh`,
 * `±hhmm`, `±hh:mm`) `%Z` (zone name: `UTC`/`GMT`/`Z` mean UTC, others are
 * ignored) `%s` (epoch seconds) `%F` (`%Y-%m-%d`) `%T` (`%H:%M:%S`) `%%`.
 * Whitespace in the format matches one or more whitespace characters; other
 * literal text matches itself, ASCII case-insensitively.
 *
 * Missing fields: no year → inferred like RFC 3164 (not more than a day after
 * now); no date at all → today (yesterday if that is over an hour ahead);
 * no time → midnight. Throws (at compile time) on an unknown specifier, a lone
 * `%`, a format without any specifier, and `%I` without `%p` or vice versa.
 */
export function compileTimeFormat(format: string): TimeFormatMatcher {
  return compileInternal(format);
}

function compileInternal(format: string): InternalMatcher {
  const where = `time_format ${JSON.stringify(format)}`;
  if (typeof format !== 'string' || format === '') throw new Error(`${where}: empty`);
  const kinds: K[] = [];
  const lits: string[] = [];
  let lit = '';
  let seen = 0;
  const flush = () => {
    if (lit !== '') {
      kinds.push(K.Lit);
      lits.push(lit.toLowerCase());
      lit = '';
    }
  };
  const push = (k: K) => {
    flush();
    kinds.push(k);
    lits.push('');
    seen |= 1 << k;
  };

  const compile = (f: string, offset: number) => {
    for (let i = 0; i < f.length; i++) {
      const c = f.charCodeAt(i);
      if (c === 37 /* % */) {
        const spec = f[i + 1];
        if (spec === undefined) throw new Error(`${where}: lone "%" at the end (write %% for a literal %)`);
        i++;
        if (spec === '%') {
          lit += '%';
          continue;
        }
        const expansion = SPEC_EXPAND[spec];
        if (expansion !== undefined) {
          compile(expansion, offset + i - 1);
          continue;
        }
        const kind = Object.hasOwn(SPEC_KIND, spec) ? SPEC_KIND[spec] : undefined;
        if (kind === undefined) {
          throw new Error(
            `${where}: unknown specifier %${spec} at position ${offset + i - 1} (supported: ${TIME_FORMAT_SPECIFIERS})`,
          );
        }
        push(kind);
      } else if (isSpace(c)) {
        while (i + 1 < f.length && isSpace(f.charCodeAt(i + 1))) i++;
        push(K.Space);
      } else {
        lit += f[i];
      }
    }
  };
  compile(format, 0);
  flush();

  const has = (k: K) => (seen & (1 << k)) !== 0;
  const specifiers = seen & ~((1 << K.Lit) | (1 << K.Space));
  if (specifiers === 0) throw new Error(`${where}: no date or time specifier (supported: ${TIME_FORMAT_SPECIFIERS})`);
  if (has(K.Hour12) && !has(K.AmPm)) throw new Error(`${where}: %I (12-hour clock) needs %p (AM/PM); use %H for a 24-hour clock`);
  if (has(K.AmPm) && !has(K.Hour12)) throw new Error(`${where}: %p (AM/PM) needs %I (12-hour clock)`);

  const n = kinds.length;
  return (text: string, timezone: string | undefined, clock?: Clock): number | undefined => {
    if (typeof text !== 'string') return undefined;
    const end = text.length;
    let i = 0;
    let year = -1;
    let month = -1;
    let day = -1;
    let yday = -1;
    let hour = -1;
    let hour12 = -1;
    let pm = -1;
    let minute = 0;
    let second = 0;
    let ms = 0;
    let offset: number | undefined;
    let utcName = false;
    let epoch = -1;
    for (let k = 0; k < n; k++) {
      let v: number;
      switch (kinds[k]) {
        case K.Lit: {
          const l = lits[k]!;
          if (i + l.length > end) return undefined;
          for (let j = 0; j < l.length; j++) {
            if (lowerAscii(text.charCodeAt(i + j)) !== l.charCodeAt(j)) return undefined;
          }
          i += l.length;
          continue;
        }
        case K.Space:
          if (i >= end || !isSpace(text.charCodeAt(i))) return undefined;
          do i++;
          while (i < end && isSpace(text.charCodeAt(i)));
          continue;
        case K.Year4:
          year = four(text, i, end);
          if (year < 0) return undefined;
          i += 4;
          continue;
        case K.Year2:
          v = two(text, i, end);
          if (v < 0) return undefined;
          year = v < 69 ? 2000 + v : 1900 + v;
          i += 2;
          continue;
        case K.Month:
          month = digits(text, i, end, 1, 2);
          if (month < 1 || month > 12) return undefined;
          break;
        case K.MonthName: {
          const w = letters(text, i, end);
          month = w === undefined ? -1 : (MONTH_WORDS.get(w) ?? -1);
          if (month < 0) return undefined;
          break;
        }
        case K.Day:
          if (i < end && text.charCodeAt(i) === C_SPACE) i++;
          day = digits(text, i, end, 1, 2);
          if (day < 1 || day > 31) return undefined;
          break;
        case K.DayName: {
          const w = letters(text, i, end);
          if (w === undefined || !DAY_WORDS.has(w)) return undefined;
          break;
        }
        case K.YearDay:
          yday = digits(text, i, end, 1, 3);
          if (yday < 1 || yday > 366) return undefined;
          break;
        case K.Hour24:
          hour = digits(text, i, end, 1, 2);
          if (hour < 0 || hour > 23) return undefined;
          break;
        case K.Hour12:
          hour12 = digits(text, i, end, 1, 2);
          if (hour12 < 1 || hour12 > 12) return undefined;
          break;
        case K.AmPm: {
          if (i + 2 > end || (text.charCodeAt(i + 1) | 0x20) !== 109 /* m */) return undefined;
          const c = text.charCodeAt(i) | 0x20;
          if (c === 97 /* a */) pm = 0;
          else if (c === 112 /* p */) pm = 1;
          else return undefined;
          i += 2;
          continue;
        }
        case K.Minute:
          minute = digits(text, i, end, 1, 2);
          if (minute < 0 || minute > 59) return undefined;
          break;
        case K.Second:
          second = digits(text, i, end, 1, 2);
          if (second < 0 || second > 60) return undefined;
          break;
        case K.Fraction:
          ms = scanFraction(text, i, end);
          if (ms < 0) return undefined;
          break;
        case K.Offset:
          offset = scanOffset(text, i, end);
          if (offset === undefined) return undefined;
          break;
        case K.ZoneName: {
          let j = i;
          for (; j < end; j++) {
            const c = text.charCodeAt(j);
            if (!isAsciiLetter(c) && c !== 95 /* _ */ && c !== C_SLASH) break;
          }
          if (j === i) return undefined;
          const len = j - i;
          if (len === 1) utcName = (text.charCodeAt(i) | 0x20) === C_Z_LOWER;
          else if (len === 3) {
            const w = word3(text, i, end);
            utcName = w === pack3('utc') || w === pack3('gmt');
          }
          pos = j;
          break;
        }
        case K.Epoch:
          epoch = digits(text, i, end, 1, 12);
          if (epoch < 0 || (pos < end && isDigit(text.charCodeAt(pos)))) return undefined;
          break;
      }
      i = pos;
    }
    if (i !== end) return undefined;

    if (epoch >= 0) return inRange(epoch * SECOND + ms);
    if (hour12 >= 0) hour = (hour12 % 12) + (pm === 1 ? 12 : 0);
    const tod = (hour < 0 ? 0 : hour) * HOUR + minute * MINUTE + second * SECOND + ms;
    const fixed = offset !== undefined ? offset : utcName ? 0 : undefined;
    if (year >= 0) {
      let days: number;
      if (yday > 0) {
        if (yday > (isLeapYear(year) ? 366 : 365)) return undefined;
        days = daysFromCivil(year, 1, 1) + yday - 1;
      } else {
        const mo = month < 0 ? 1 : month;
        const d = day < 0 ? 1 : day;
        if (d > daysInMonth(year, mo)) return undefined;
        days = daysFromCivil(year, mo, d);
      }
      const local = days * DAY + tod;
      return fixed !== undefined ? inRange(local - fixed) : localToUtc(local, timezone);
    }
    if (month >= 0 || day >= 0 || yday > 0) {
      return inferYear(month < 0 ? 1 : month, day < 0 ? 1 : day, yday, tod, fixed, timezone, clock);
    }
    return inferDate(tod, fixed, timezone, clock);
  };
}

// ---------------------------------------------------------------------------
// formatTimestamp

const PAD2 = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));
const PAD3 = Array.from({ length: 1000 }, (_, i) => `${i}`.padStart(3, '0'));
/** Year 10000-01-01T00:00:00Z: the fast path covers 1970 to 9999. */
const FAST_END = 253402300800000;
let lastDay = NaN;
let lastPrefix = '';

/**
 * ISO 8601 UTC with exactly three fraction digits: `2026-01-02T03:04:05.000Z`.
 * Fractions of a ms are truncated. The date part is cached per day, so the
 * usual call is a few table lookups and one concatenation. Throws a RangeError
 * for a time outside the Date range (parseTime never returns one).
 */
export function formatTimestamp(ms: number): string {
  if (!(ms >= 0 && ms < FAST_END)) return new Date(ms).toISOString();
  const t = Math.floor(ms);
  const day = Math.floor(t / DAY);
  if (day !== lastDay) {
    lastPrefix = new Date(day * DAY).toISOString().slice(0, 11);
    lastDay = day;
  }
  let rest = t - day * DAY;
  const h = Math.floor(rest / HOUR);
  rest -= h * HOUR;
  const mi = Math.floor(rest / MINUTE);
  rest -= mi * MINUTE;
  const sec = Math.floor(rest / SECOND);
  return `${lastPrefix}${PAD2[h]}:${PAD2[mi]}:${PAD2[sec]}.${PAD3[rest - sec * SECOND]}Z`;
}
