/**
 * `klog`: the Kubernetes (glog) header format.
 *
 *   Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
 *   I0102 15:04:05.123456    1234 file.go:123] message
 *   I0102 15:04:05.123456    1234 file.go:123] "Pod status updated" pod="kube-system/dns" attempt=2
 *
 * L is I/W/E/F (info, warning, error, fatal). The header has no year (it is
 * inferred as for RFC 3164: the latest year that puts the time no more than a
 * day after `ctx.now()`) and no offset (read in `ctx.timezone`).
 *
 * Structured logging (`klog.InfoS`): when the text after `] ` is a quoted
 * message followed only by `key=value` pairs, `message` is the unquoted
 * message and the pairs become plain keys: quoted values unescaped as Go
 * strings; other values run to the next ` key=` (so `obj=&{ID:1 Type:x}`
 * stays whole), integers/floats become numbers and `true`/`false` booleans;
 * klog's multi-line `key=<\n\t...\n >` blocks become strings. At most 1024
 * pairs. Anything else after `] ` is the message as it stands. Pairs never
 * replace the header's fields (the normaliser, placing the header's ECS
 * fields first, also keeps `msg=`/`time=`/`level=` pairs as attributes).
 *
 * Hand-written scanner, linear in the line length. Never throws.
 */
import { ParseFailure, lineModule, setField } from './types.js';
import type { Fields, ParseResult, ParserContext, ParserModule } from './types.js';
import { clockAt, digitRunEnd, digitsAt, yearlessTimeToEpoch } from './syslog.js';

const LEVELS: Record<string, 'info' | 'warn' | 'error' | 'fatal'> = { I: 'info', W: 'warn', E: 'error', F: 'fatal' };

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };

/** A Go double-quoted string at `s[i]` (`"`): its value and the index past the closing quote. */
function goString(s: string, i: number): { value: string; end: number } | undefined {
  // First find the closing quote, so an unterminated string costs one scan and no decoding.
  const n = s.length;
  let close = -1;
  let escaped = false;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) {
      escaped = true;
      j++;
    } else if (c === 34 /* " */) {
      close = j;
      break;
    }
  }
  if (close < 0) return undefined;
  if (!escaped) return { value: s.slice(i + 1, close), end: close + 1 };
  // Most Go escapes are JSON's: let the native parser decode those (it rejects \x, \a, \v, octal).
  try {
    const v: unknown = JSON.parse(s.slice(i, close + 1));
    if (typeof v === 'string') return { value: v, end: close + 1 };
  } catch {
    // fall through to the Go decoder
  }
  const parts: string[] = [];
  let from = i + 1;
  for (let j = i + 1; j < close; j++) {
    if (s.charCodeAt(j) !== 92) continue;
    parts.push(s.slice(from, j));
    const e = s[j + 1]!;
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      parts.push(simple);
      j += 1;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = s.slice(j + 2, j + 2 + len);
      if (j + 2 + len > close || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) return undefined;
      parts.push(String.fromCodePoint(cp));
      j += 1 + len;
    } else if (e >= '0' && e <= '7') {
      const oct = s.slice(j + 1, j + 4);
      if (j + 4 > close || !/^[0-7]{3}$/.test(oct)) return undefined;
      parts.push(String.fromCharCode(parseInt(oct, 8)));
      j += 3;
    } else {
      return undefined;
    }
    from = j + 1;
  }
  parts.push(s.slice(from, close));
  return { value: parts.join(''), end: close + 1 };
}

/** More pairs than this is not a structured klog line (keeps a hostile 10 MB line cheap): plain message. */
const MAX_PAIRS = 1024;

const KEY = /^[A-Za-z_][A-Za-z0-9_.\-/]{0,127}$/;
const NUMBER = /^-?(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,17})?(?:[eE][-+]?[0-9]{1,3})?$/;

/** Whether `s[i..]` starts with `key=` (looks at most 129 characters ahead). */
function startsPair(s: string, i: number): boolean {
  const eq = s.slice(i, i + 129).indexOf('=');
  return eq > 0 && KEY.test(s.slice(i, i + eq));
}

/**
 * `"msg" k=v k2="v 2" …` → the message and the pairs; undefined when the text is not
 * entirely in that form (then it is a plain message).
 */
function structured(s: string): { message: string; pairs: [string, unknown][] } | undefined {
  const msg = goString(s, 0);
  if (msg === undefined) return undefined;
  const pairs: [string, unknown][] = [];
  const n = s.length;
  let i = msg.end;
  while (i < n) {
    if (s.charCodeAt(i) !== 32 || pairs.length >= MAX_PAIRS) return undefined;
    i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) return undefined;
    const key = s.slice(i, eq);
    if (!KEY.test(key)) return undefined;
    i = eq + 1;
    if (s.charCodeAt(i) === 34) {
      const v = goString(s, i);
      if (v === undefined) return undefined;
      pairs.push([key, v.value]);
      i = v.end;
    } else if (s.startsWith('<\n', i)) {
      // klog's multi-line value: `key=<\n\tline 1\n\tline 2\n >`
      const end = s.indexOf('\n >', i + 1);
      if (end < 0) return undefined;
      const body = s.slice(i + 2, end);
      pairs.push([key, body.split('\n').map((l) => (l.startsWith('\t') ? l.slice(1) : l)).join('\n')]);
      i = end + 3;
    } else {
      // A bare value runs to the next ` key=` (Go's %+v of a struct may hold spaces: `&{ID:1 Type:Started}`).
      let sp = s.indexOf(' ', i);
      while (sp >= 0 && !startsPair(s, sp + 1)) sp = s.indexOf(' ', sp + 1);
      if (sp < 0) sp = n;
      const raw = s.slice(i, sp);
      if (raw === '' || raw.includes('\n')) return undefined;
      let value: unknown = raw;
      if (NUMBER.test(raw)) {
        const num = Number(raw);
        if (Number.isFinite(num) && (raw.includes('.') || raw.includes('e') || raw.includes('E') || Number.isSafeInteger(num))) value = num;
      } else if (raw === 'true') value = true;
      else if (raw === 'false') value = false;
      pairs.push([key, value]);
      i = sp;
    }
  }
  return { message: msg.value, pairs };
}

export function parseKlog(line: string, ctx: ParserContext): ParseResult {
  const fail = (what: string) => new ParseFailure(`klog: ${what}`);
  const level = LEVELS[line[0] ?? ''];
  if (level === undefined) return fail('expected I, W, E or F at the start');
  const month = digitsAt(line, 1, 2);
  const day = digitsAt(line, 3, 2);
  if (month < 0 || day < 0 || line[5] !== ' ') return fail('expected "Lmmdd hh:mm:ss.uuuuuu" at the start');
  const clock = clockAt(line, 6);
  if (clock === undefined) return fail('expected "Lmmdd hh:mm:ss.uuuuuu" at the start');
  let i = clock.end;
  if (line[i] !== ' ') return fail('expected a thread id after the time');
  while (line[i] === ' ') i++;
  const tidEnd = digitRunEnd(line, i);
  if (tidEnd === i || line[tidEnd] !== ' ') return fail('expected a thread id after the time');
  const tid = Number(line.slice(i, tidEnd));
  i = tidEnd + 1;
  // file:line]
  const bracket = line.indexOf('] ', i);
  const end = bracket >= 0 ? bracket : line.endsWith(']') ? line.length - 1 : -1;
  if (end < 0) return fail('expected "file:line]" after the thread id');
  const origin = line.slice(i, end);
  const colon = origin.lastIndexOf(':');
  if (colon <= 0 || origin.includes(' ')) return fail('expected "file:line]" after the thread id');
  const lineNo = origin.slice(colon + 1);
  if (!/^[0-9]{1,9}$/.test(lineNo)) return fail('expected "file:line]" after the thread id');

  const ms = yearlessTimeToEpoch({ month, day, hour: clock.hour, minute: clock.minute, second: clock.second, ms: clock.ms }, ctx);
  if (ms === undefined) return fail('time names no real time');

  const fields: Fields = {
    '@timestamp': ms,
    'log.level': level,
    'process.thread.id': Number.isSafeInteger(tid) ? tid : line.slice(i, tidEnd),
    'log.origin.file.name': origin.slice(0, colon),
    'log.origin.file.line': Number(lineNo),
  };
  const text = end + 2 <= line.length ? line.slice(end + 2) : '';
  const s = text.charCodeAt(0) === 34 ? structured(text) : undefined;
  if (s === undefined) {
    fields['message'] = text;
    return fields;
  }
  fields['message'] = s.message;
  for (const [key, value] of s.pairs) {
    if (!Object.prototype.hasOwnProperty.call(fields, key)) setField(fields, key, value);
  }
  return fields;
}

export const klog: ParserModule = lineModule('klog', parseKlog);
