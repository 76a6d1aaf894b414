/**
 * `syslog`: RFC 5424 and RFC 3164 (BSD) lines, detected per line.
 *
 *   RFC 5424  <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
 *   RFC 3164  [<PRI>]TIMESTAMP [HOSTNAME] [TAG[PID]:] MSG
 *
 * RFC 3164 timestamps seen in the wild: `Oct 11 22:14:15`, `Oct  1 22:14:15.123`,
 * `2024 Oct 11 22:14:15`, `Oct 11 2024 22:14:15`, and ISO 8601
 * (`2024-10-11T22:14:15.123+02:00`, rsyslog's RFC 3339 template). A time
 * without a year gets the most recent year that puts it no more than a day
 * after `ctx.now()`; a time without an offset is read in `ctx.timezone`.
 *
 * Hand-written scanner: every loop moves forward, so any line, however long
 * or broken, is answered in linear time. Never throws.
 */
import { ParseFailure, setField, lineModule } from './types.js';
import type { Fields, ParseResult, ParserContext, ParserModule } from './types.js';
import { yearlessToUtc, zonedToUtc } from './timestamp.js';
import { normalizeLevel } from './level.js';
import type { Level } from './level.js';

// ---------------------------------------------------------------------------
// Helpers shared by the format parsers (syslog, access-log, error-log, klog).
// ---------------------------------------------------------------------------

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The month (1-12) named by the three letters at `s[i..i+3)`, any case; 0 when none. */
export function monthAt(s: string, i: number): number {
  if (i + 3 > s.length) return 0;
  const m = MONTHS.indexOf(s.slice(i, i + 3).toLowerCase());
  return m + 1;
}

/** The value of exactly `n` ASCII digits at `s[i..i+n)`; -1 when any is not a digit. */
export function digitsAt(s: string, i: number, n: number): number {
  if (i + n > s.length) return -1;
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Index just past the run of ASCII digits starting at `i` (=== i when none). */
export function digitRunEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) break;
    j++;
  }
  return j;
}

/** Milliseconds from a fraction of a second written as digits (`123456` → 123); any length. */
export function fractionMs(digits: string): number {
  return digits.length === 0 ? 0 : Math.floor(Number(`0.${digits.slice(0, 9)}`) * 1000 + 1e-6);
}


export interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** False for a time no calendar has (month 13, Feb 30, 25:00); second 60 is a leap second and allowed. */
export function validWallTime(t: WallTime): boolean {
  return (
    t.month >= 1 &&
    t.month <= 12 &&
    t.day >= 1 &&
    t.day <= daysInMonth(t.year, t.month) &&
    t.hour >= 0 &&
    t.hour <= 23 &&
    t.minute >= 0 &&
    t.minute <= 59 &&
    t.second >= 0 &&
    t.second <= 60 &&
    t.ms >= 0 &&
    t.ms <= 999
  );
}

/** Epoch ms of a wall-clock time in the given offset (minutes east of UTC). */
function offsetTimeToEpoch(t: WallTime, offsetMinutes: number): number | undefined {
  if (!validWallTime(t)) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(t.year, t.month - 1, t.day);
  d.setUTCHours(t.hour, t.minute, t.second, t.ms);
  const v = d.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(v) ? v : undefined;
}

/** Epoch ms of a wall-clock time read in `ctx.timezone` (UTC when unset); undefined when impossible. */
export function localTimeToEpoch(t: WallTime, ctx: ParserContext): number | undefined {
  if (!validWallTime(t)) return undefined;
  try {
    const v = zonedToUtc(t, ctx.timezone ?? 'UTC');
    return Number.isFinite(v) && Math.abs(v) <= 8.64e15 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Epoch ms of a year-less wall-clock time (RFC 3164, klog), the year inferred from `ctx.now()` (see yearlessToUtc). */
export function yearlessTimeToEpoch(t: Omit<WallTime, 'year'>, ctx: ParserContext): number | undefined {
  return yearlessToUtc(t, ctx.timezone, () => ctx.now());
}

/**
 * Reads an ISO 8601 / RFC 3339 date-time at `s[i..]`: `YYYY-MM-DD(T| )hh:mm[:ss[.frac]][Z|±hh[:]mm]`.
 * Returns the index past it and the epoch ms (offset-less → ctx.timezone), or undefined.
 */
export function isoAt(s: string, i: number, ctx: ParserContext, allowSpace = false): { end: number; ms: number } | undefined {
  const year = digitsAt(s, i, 4);
  if (year < 0 || s[i + 4] !== '-') return undefined;
  const month = digitsAt(s, i + 5, 2);
  if (month < 0 || s[i + 7] !== '-') return undefined;
  const day = digitsAt(s, i + 8, 2);
  const sep = s[i + 10];
  if (day < 0 || !(sep === 'T' || sep === 't' || (allowSpace && sep === ' '))) return undefined;
  const hour = digitsAt(s, i + 11, 2);
  if (hour < 0 || s[i + 13] !== ':') return undefined;
  const minute = digitsAt(s, i + 14, 2);
  if (minute < 0) return undefined;
  let j = i + 16;
  let second = 0;
  let ms = 0;
  if (s[j] === ':') {
    second = digitsAt(s, j + 1, 2);
    if (second < 0) return undefined;
    j += 3;
    if (s[j] === '.' || s[j] === ',') {
      const end = digitRunEnd(s, j + 1);
      if (end === j + 1) return undefined;
      ms = fractionMs(s.slice(j + 1, end));
      j = end;
    }
  }
  const wall: WallTime = { year, month, day, hour, minute, second, ms };
  const c = s[j];
  if (c === 'Z' || c === 'z') {
    const v = offsetTimeToEpoch(wall, 0);
    return v === undefined ? undefined : { end: j + 1, ms: v };
  }
  if (c === '+' || c === '-') {
    const oh = digitsAt(s, j + 1, 2);
    if (oh < 0) return undefined;
    let k = j + 3;
    if (s[k] === ':') k++;
    const om = digitsAt(s, k, 2);
    if (om < 0 || oh > 23 || om > 59) return undefined;
    const v = offsetTimeToEpoch(wall, (c === '-' ? -1 : 1) * (oh * 60 + om));
    return v === undefined ? undefined : { end: k + 2, ms: v };
  }
  const v = localTimeToEpoch(wall, ctx);
  return v === undefined ? undefined : { end: j, ms: v };
}

/** Reads `hh:mm:ss[.frac]` at `s[i..]`. */
export function clockAt(s: string, i: number): { end: number; hour: number; minute: number; second: number; ms: number } | undefined {
  const hour = digitsAt(s, i, 2);
  if (hour < 0 || s[i + 2] !== ':') return undefined;
  const minute = digitsAt(s, i + 3, 2);
  if (minute < 0 || s[i + 5] !== ':') return undefined;
  const second = digitsAt(s, i + 6, 2);
  if (second < 0) return undefined;
  let end = i + 8;
  let ms = 0;
  if (s[end] === '.' || s[end] === ',') {
    const fe = digitRunEnd(s, end + 1);
    if (fe > end + 1) {
      ms = fractionMs(s.slice(end + 1, fe));
      end = fe;
    }
  }
  return { end, hour, minute, second, ms };
}

/** A level word/letter mapped by the shared normaliser, with a fallback table for the ones it may not know. */
export function levelOf(raw: string): Level | undefined {
  const lvl = normalizeLevel(raw);
  if (lvl !== undefined) return lvl;
  const w = raw.toLowerCase();
  if (/^trace[1-8]$/.test(w)) return 'trace';
  return FALLBACK_LEVELS[w];
}

const FALLBACK_LEVELS: Record<string, Level | undefined> = Object.assign(Object.create(null) as Record<string, Level>, {
  emerg: 'fatal',
  emergency: 'fatal',
  panic: 'fatal',
  alert: 'fatal',
  crit: 'fatal',
  critical: 'fatal',
  err: 'error',
  error: 'error',
  warn: 'warn',
  warning: 'warn',
  notice: 'info',
  info: 'info',
  informational: 'info',
  debug: 'debug',
  trace: 'trace',
});

// ---------------------------------------------------------------------------
// syslog
// ---------------------------------------------------------------------------

const FACILITY_NAMES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
  'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];

/** `\"`, `\\`, `\]` → the character; any other backslash is kept (RFC 5424 §6.3.3). Linear, chunked, no per-escape strings. */
function unescapeSd(raw: string): string {
  const n = raw.length;
  const out = new Uint16Array(n);
  let o = 0;
  for (let j = 0; j < n; j++) {
    let c = raw.charCodeAt(j);
    if (c === 92) {
      const d = raw.charCodeAt(j + 1);
      if (d === 34 || d === 92 || d === 93) {
        c = d;
        j++;
      }
    }
    out[o++] = c;
  }
  let result = '';
  for (let k = 0; k < o; k += 8192) {
    result += String.fromCharCode.apply(null, out.subarray(k, Math.min(o, k + 8192)) as unknown as number[]);
  }
  return result;
}

const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** `<PRI>` at the start: its value and the index past it; undefined when the line has none; a failure when it is broken. */
function readPri(s: string): { pri: number; end: number } | ParseFailure | undefined {
  if (s.charCodeAt(0) !== 60 /* < */) return undefined;
  const end = digitRunEnd(s, 1);
  if (end === 1 || end > 4 || s[end] !== '>') return new ParseFailure('syslog: malformed <PRI>');
  const pri = Number(s.slice(1, end));
  if (pri > 191) return new ParseFailure(`syslog: PRI ${pri} out of range (0-191)`);
  return { pri, end: end + 1 };
}

function priorityFields(fields: Fields, pri: number): void {
  const facility = pri >> 3;
  const severity = pri & 7;
  fields['log.syslog.priority'] = pri;
  fields['log.syslog.facility.code'] = facility;
  fields['log.syslog.facility.name'] = FACILITY_NAMES[facility];
  fields['log.syslog.severity.code'] = severity;
  fields['log.syslog.severity.name'] = SEVERITY_NAMES[severity];
  const level = levelOf(SEVERITY_NAMES[severity]!);
  if (level !== undefined) fields['log.level'] = level;
}

function setPid(fields: Fields, procid: string): void {
  if (/^[0-9]{1,15}$/.test(procid)) fields['process.pid'] = Number(procid);
  else fields['log.syslog.procid'] = procid;
}

/** A header token of RFC 5424: up to the next space; printable, non-empty. */
function token(s: string, i: number): { value: string; end: number } | undefined {
  const sp = s.indexOf(' ', i);
  if (sp <= i) return undefined;
  for (let k = i; k < sp; k++) {
    const c = s.charCodeAt(k);
    if (c < 33 || c === 127) return undefined;
  }
  return { value: s.slice(i, sp), end: sp };
}

/** RFC 5424 STRUCTURED-DATA at `s[i]` (`[`…): the elements and the index past them, or a failure. */
function readStructuredData(s: string, i: number): { sd: Record<string, Record<string, unknown>>; end: number } | ParseFailure {
  const sd: Record<string, Record<string, unknown>> = {};
  const n = s.length;
  while (i < n && s.charCodeAt(i) === 91 /* [ */) {
    // SD-ID
    let j = i + 1;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c === 32 || c === 93 /* ] */) break;
      if (c < 33 || c === 127 || c === 61 /* = */ || c === 34 /* " */) {
        return new ParseFailure(`syslog: invalid character in SD-ID at ${j}`);
      }
      j++;
    }
    if (j === i + 1) return new ParseFailure(`syslog: empty SD-ID at ${i}`);
    if (j >= n) return new ParseFailure('syslog: unterminated structured data');
    const id = s.slice(i + 1, j);
    let params = Object.prototype.hasOwnProperty.call(sd, id) ? sd[id] : undefined;
    if (params === undefined) {
      params = {};
      setField(sd, id, params);
    }
    // SD-PARAMs
    while (s.charCodeAt(j) === 32) {
      while (s.charCodeAt(j) === 32) j++; // lenient: several spaces
      if (s.charCodeAt(j) === 93) break;
      const nameStart = j;
      while (j < n) {
        const c = s.charCodeAt(j);
        if (c === 61 /* = */) break;
        if (c <= 32 || c === 127 || c === 93 || c === 34) {
          return new ParseFailure(`syslog: invalid PARAM-NAME in structured data at ${j}`);
        }
        j++;
      }
      if (j === nameStart || j >= n) return new ParseFailure(`syslog: malformed SD-PARAM at ${nameStart}`);
      const name = s.slice(nameStart, j);
      j++; // =
      while (s.charCodeAt(j) === 32) j++; // lenient: senders that write `name= "value"`
      if (s.charCodeAt(j) !== 34) return new ParseFailure(`syslog: PARAM-VALUE must be quoted at ${j}`);
      j++;
      // PARAM-VALUE: `\"`, `\\`, `\]` are escapes; a backslash before anything else is kept.
      // Find the closing quote first, then unescape the value in one native pass.
      const from = j;
      let closed = false;
      let escaped = false;
      while (j < n) {
        const c = s.charCodeAt(j);
        if (c === 92 /* \ */) {
          escaped = true;
          j += 2;
          continue;
        }
        if (c === 34) {
          closed = true;
          break;
        }
        j++;
      }
      if (!closed) return new ParseFailure('syslog: unterminated PARAM-VALUE in structured data');
      const raw = s.slice(from, j);
      const value = escaped ? unescapeSd(raw) : raw;
      j++; // closing quote
      const prev = Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
      if (prev === undefined) setField(params, name, value);
      else if (Array.isArray(prev)) prev.push(value);
      else setField(params, name, [prev, value]);
    }
    if (s.charCodeAt(j) !== 93) {
      return new ParseFailure(j >= n ? 'syslog: unterminated structured data' : `syslog: expected ']' or ' ' in structured data at ${j}`);
    }
    i = j + 1;
  }
  return { sd, end: i };
}

function parse5424(s: string, start: number, pri: number | undefined, ctx: ParserContext): ParseResult {
  const fields: Fields = {};
  if (pri !== undefined) priorityFields(fields, pri);
  const verEnd = digitRunEnd(s, start);
  fields['log.syslog.version'] = s.slice(start, verEnd);
  let i = verEnd + 1;

  const ts = token(s, i);
  if (ts === undefined) return new ParseFailure('syslog: RFC 5424 header is incomplete (TIMESTAMP)');
  if (ts.value !== '-') {
    const t = isoAt(s, i, ctx);
    if (t === undefined || t.end !== ts.end) return new ParseFailure(`syslog: invalid RFC 5424 TIMESTAMP ${JSON.stringify(ts.value.slice(0, 64))}`);
    fields['@timestamp'] = t.ms;
  }
  i = ts.end + 1;

  const names = ['HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'] as const;
  const values: string[] = [];
  for (const name of names) {
    const t = token(s, i);
    if (t === undefined) return new ParseFailure(`syslog: RFC 5424 header is incomplete (${name})`);
    values.push(t.value);
    i = t.end + 1;
  }
  const [hostname, app, procid, msgid] = values as [string, string, string, string];
  if (hostname !== '-') fields['host.hostname'] = hostname;
  if (app !== '-') fields['process.name'] = app;
  if (procid !== '-') setPid(fields, procid);
  if (msgid !== '-') fields['log.syslog.msgid'] = msgid;

  // STRUCTURED-DATA
  if (s.charCodeAt(i) === 45 /* - */) {
    i++;
  } else if (s.charCodeAt(i) === 91 /* [ */) {
    const r = readStructuredData(s, i);
    if (r instanceof ParseFailure) return r;
    fields['log.syslog.structured_data'] = r.sd;
    i = r.end;
  } else {
    return new ParseFailure(`syslog: expected structured data or '-' at ${i}`);
  }

  if (i >= s.length) {
    fields['message'] = '';
  } else if (s.charCodeAt(i) === 32) {
    let msg = s.slice(i + 1);
    if (msg.charCodeAt(0) === 0xfeff) msg = msg.slice(1);
    fields['message'] = msg;
  } else {
    return new ParseFailure(`syslog: expected a space after structured data at ${i}`);
  }
  return fields;
}

/** An RFC 3164 timestamp at `s[i..]` in one of the forms in the header comment. */
function timestamp3164(s: string, i: number, ctx: ParserContext): { end: number; ms: number | undefined } | undefined {
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) {
    // ISO 8601, or `YYYY Mon dd hh:mm:ss`
    const iso = isoAt(s, i, ctx);
    if (iso !== undefined) return { end: iso.end, ms: iso.ms };
    const year = digitsAt(s, i, 4);
    if (year < 0 || s[i + 4] !== ' ') return undefined;
    const rest = monthDayClock(s, i + 5);
    if (rest === undefined) return undefined;
    return { end: rest.end, ms: localTimeToEpoch({ ...rest.t, year }, ctx) };
  }
  const md = monthDayClock(s, i);
  if (md !== undefined) return { end: md.end, ms: yearlessTimeToEpoch(md.t, ctx) };
  // `Oct 11 2024 22:14:15`
  const date = monthDay(s, i);
  if (date === undefined) return undefined;
  const year = digitsAt(s, date.end, 4);
  if (year < 0 || s[date.end + 4] !== ' ') return undefined;
  const clock = clockAt(s, date.end + 5);
  if (clock === undefined) return undefined;
  return { end: clock.end, ms: localTimeToEpoch({ year, month: date.month, day: date.day, hour: clock.hour, minute: clock.minute, second: clock.second, ms: clock.ms }, ctx) };
}

/** `Mon dd ` (day space-padded or not); `end` is just past the space after the day. */
function monthDay(s: string, i: number): { month: number; day: number; end: number } | undefined {
  const month = monthAt(s, i);
  if (month === 0 || s[i + 3] !== ' ') return undefined;
  let j = i + 4;
  if (s[j] === ' ') j++;
  const dEnd = digitRunEnd(s, j);
  if (dEnd === j || dEnd - j > 2 || s[dEnd] !== ' ') return undefined;
  return { month, day: Number(s.slice(j, dEnd)), end: dEnd + 1 };
}

/** `Mon dd hh:mm:ss[.frac]` (day space-padded or not). */
function monthDayClock(s: string, i: number): { end: number; t: Omit<WallTime, 'year'> } | undefined {
  const date = monthDay(s, i);
  if (date === undefined) return undefined;
  const clock = clockAt(s, date.end);
  if (clock === undefined) return undefined;
  return { end: clock.end, t: { month: date.month, day: date.day, hour: clock.hour, minute: clock.minute, second: clock.second, ms: clock.ms } };
}

/**
 * `TAG[PID]: ` or `TAG: ` at `s[i..]` (TAG: no space, `[`, `]`, `:`; the colon is required,
 * so free text such as `syslogd 1.4.1: restart.` stays whole in `message`).
 * `lenient` (after a HOSTNAME, where a tag is expected) also takes what real
 * senders write without the colon: `TAG[PID] msg` and `TAG [msg…` (a message
 * that starts with `[`).
 */
function readTag(s: string, i: number, lenient: boolean): { name: string; pid: string | undefined; end: number } | undefined {
  const n = s.length;
  let j = i;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c === 32 || c === 91 || c === 93 || c === 58 || c < 32) break;
    j++;
  }
  if (j === i) return undefined;
  const name = s.slice(i, j);
  let pid: string | undefined;
  if (s.charCodeAt(j) === 91) {
    const close = s.indexOf(']', j + 1);
    if (close < 0) return undefined;
    pid = s.slice(j + 1, close);
    if (pid.includes(' ')) return undefined;
    j = close + 1;
  }
  if (s.charCodeAt(j) !== 58) {
    const bare = lenient && s.charCodeAt(j) === 32 && (pid !== undefined || s.charCodeAt(j + 1) === 91);
    return bare ? { name, pid, end: j + 1 } : undefined;
  }
  j++;
  if (j < n && s.charCodeAt(j) !== 32) return undefined;
  return { name, pid, end: j < n ? j + 1 : j };
}

/** Whether the word at `s[i..]` is a tag (`su:`, `su[12]:`) rather than a hostname. */
function looksLikeTag(s: string, i: number): boolean {
  return readTag(s, i, false) !== undefined;
}

function parse3164(s: string, start: number, pri: number | undefined, ctx: ParserContext): ParseResult {
  const fields: Fields = {};
  if (pri !== undefined) priorityFields(fields, pri);
  const ts = timestamp3164(s, start, ctx);
  if (ts === undefined) {
    // RFC 3164 §4.3.3: a PRI without a valid TIMESTAMP: the whole rest is the message.
    if (pri === undefined) return new ParseFailure('syslog: no RFC 3164 timestamp or <PRI>');
    fields['message'] = s.slice(start);
    return fields;
  }
  if (ts.ms === undefined) return new ParseFailure('syslog: timestamp names no real time');
  fields['@timestamp'] = ts.ms;
  let i = ts.end;
  if (s.charCodeAt(i) === 58 /* Cisco-style `...:15: ` */ && s.charCodeAt(i + 1) === 32) i++;
  if (i < s.length && s.charCodeAt(i) !== 32) return new ParseFailure(`syslog: expected a space after the timestamp at ${i}`);
  while (s.charCodeAt(i) === 32) i++;

  // HOSTNAME, unless the sender left it out (`Oct 11 22:14:15 su[12]: ...`).
  const sawHost = i < s.length && !looksLikeTag(s, i);
  if (sawHost) {
    let sp = s.indexOf(' ', i);
    if (sp < 0) sp = s.length;
    fields['host.hostname'] = s.slice(i, sp);
    i = sp;
    while (s.charCodeAt(i) === 32) i++;
  }
  const tag = i < s.length ? readTag(s, i, sawHost) : undefined;
  if (tag !== undefined) {
    fields['process.name'] = tag.name;
    if (tag.pid !== undefined && tag.pid !== '') setPid(fields, tag.pid);
    i = tag.end;
  }
  fields['message'] = s.slice(i);
  return fields;
}

/** Parses one syslog line (RFC 5424 or RFC 3164, detected from what follows the PRI). */
export function parseSyslog(line: string, ctx: ParserContext): ParseResult {
  const p = readPri(line);
  if (p instanceof ParseFailure) return p;
  const start = p === undefined ? 0 : p.end;
  const pri = p?.pri;
  // RFC 5424: `<PRI>` then VERSION (1-2 digits, no leading zero) and a space. Without
  // a PRI (some relays strip it) the VERSION must be followed by an ISO date.
  const verEnd = digitRunEnd(line, start);
  if (
    verEnd > start &&
    verEnd - start <= 2 &&
    line.charCodeAt(start) !== 48 &&
    line.charCodeAt(verEnd) === 32 &&
    (pri !== undefined || (digitsAt(line, verEnd + 1, 4) >= 0 && line[verEnd + 5] === '-'))
  ) {
    return parse5424(line, start, pri, ctx);
  }
  return parse3164(line, start, pri, ctx);
}

export const syslog: ParserModule = lineModule('syslog', parseSyslog);
