/**
 * `log.level` normalisation (the event schema: README, "The event"): whatever a format calls its
 * severity, the event says one of six words.
 *
 * Strings are looked up in a Map (as given first, then trimmed and
 * lower-cased), numbers by range; no regex.
 */

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * Lower-case spellings. Single letters cover klog/glog (`I W E F`) and
 * Android/logcat (`V D I W E F`, `A` assert). Four-letter forms include .NET's
 * console logger (`trce dbug info warn fail crit`).
 */
const WORDS: Record<Level, readonly string[]> = {
  trace: ['trace', 'trc', 'trac', 'trce', 'finest', 'finer', 'verbose', 'vrb', 'silly', 't', 'v'],
  // `config` is java.util.logging's level between FINE and INFO.
  debug: ['debug', 'dbg', 'dbug', 'debu', 'fine', 'config', 'd'],
  info: ['info', 'inf', 'information', 'informational', 'notice', 'ntc', 'i'],
  warn: ['warn', 'warning', 'wrn', 'w'],
  // zap's `dpanic` panics only in development; in production it is an error.
  error: ['error', 'err', 'erro', 'eror', 'fail', 'severe', 'dpanic', 'e'],
  fatal: ['fatal', 'fata', 'ftl', 'crit', 'critical', 'alert', 'emerg', 'emergency', 'panic', 'pani', 'f', 'a'],
};

const LOOKUP = new Map<string, Level>();
for (const level of LEVELS) {
  for (const w of WORDS[level]) {
    // The common spellings as logs write them, so the hot path needs no toLowerCase.
    LOOKUP.set(w, level);
    LOOKUP.set(w.toUpperCase(), level);
    LOOKUP.set(w[0]!.toUpperCase() + w.slice(1), level);
  }
}

/** Syslog severities (RFC 5424): 0 emerg, 1 alert, 2 crit, 3 err, 4 warning, 5 notice, 6 info, 7 debug. */
const SYSLOG: readonly Level[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];
/** pino/bunyan bands: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
const PINO: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function fromNumber(n: number): Level | undefined {
  if (!(n >= 0)) return undefined; // NaN, negative
  if (n < 8) return Number.isInteger(n) ? SYSLOG[n] : undefined;
  if (n < 10) return undefined;
  // Between two bands rounds down; 60-99 are fatal (custom levels above fatal).
  if (n < 100) return PINO[Math.min(Math.floor(n / 10), 6) - 1];
  return undefined;
}

/** A short all-digit string (at most 3 digits) as a number, else -1. */
function digitString(s: string): number {
  const n = s.length;
  if (n === 0 || n > 3) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * The normalised level of `value`, or undefined when it is not a level:
 * words in any case (`WARNING`, `Err`, `CRITICAL`, `notice`, logrus' `WARN`/`ERRO`,
 * Serilog's `INF`/`WRN`, JUL's `SEVERE`/`FINE`…), single letters (`T D I W E F`,
 * `V`), syslog severities 0-7 and pino/bunyan numbers 10-60 (in between rounds
 * down), as numbers or digit strings. Surrounding whitespace is ignored.
 */
export function normalizeLevel(value: unknown): Level | undefined {
  if (typeof value === 'string') {
    const hit = LOOKUP.get(value);
    if (hit !== undefined) return hit;
    const s = value.trim();
    if (s === '' || s.length > 16) return undefined;
    const n = digitString(s);
    if (n >= 0) return fromNumber(n);
    return LOOKUP.get(s.toLowerCase());
  }
  if (typeof value === 'number') return fromNumber(value);
  return undefined;
}
