import { parseTime } from '../timestamp.js';

const C_0 = 48;
const C_9 = 57;
const C_MINUS = 45;
const C_COLON = 58;
const C_DOT = 46;
const C_T = 84;

/** `YYYY-MM-DDTHH:MM:SS`: the part of an RFC 3339 time that is cached. */
const SECONDS_LEN = 19;

/**
 * RFC 3339 times as container runtimes write them
 * (`2024-01-02T03:04:05.123456789Z`, CRI-O also `…+00:00`), to epoch ms.
 *
 * Consecutive lines of one file almost always share the second and the zone,
 * so the epoch ms of `YYYY-MM-DDTHH:MM:SS<zone>` is cached and only the
 * fraction is read per line (the fraction is truncated to ms, as `parseTime`
 * does); a new second or zone goes through `parseTime` (one call per second).
 * A value that is not shaped like RFC 3339 (epoch digits, a syslog time…) is
 * undefined: container runtimes write nothing else. A time without an offset
 * is read as UTC.
 */
export class Rfc3339Cache {
  private prefix = '';
  private suffix = '';
  private base = 0;

  parse(s: string): number | undefined {
    const n = s.length;
    if (
      n < SECONDS_LEN ||
      s.charCodeAt(4) !== C_MINUS ||
      s.charCodeAt(7) !== C_MINUS ||
      (s.charCodeAt(10) | 0x20) !== (C_T | 0x20) ||
      s.charCodeAt(13) !== C_COLON ||
      s.charCodeAt(16) !== C_COLON
    ) {
      return undefined;
    }
    let i = SECONDS_LEN;
    let ms = 0;
    if (s.charCodeAt(i) === C_DOT) {
      i++;
      const fracStart = i;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c < C_0 || c > C_9) break;
        if (i - fracStart < 3) ms = ms * 10 + (c - C_0);
        i++;
      }
      const digits = i - fracStart;
      if (digits === 0) return undefined;
      if (digits === 1) ms *= 100;
      else if (digits === 2) ms *= 10;
    }
    if (i === n) return parseTime(s); // no zone: parseTime reads it as UTC; rare, not cached
    const suffixLen = n - i;
    if (suffixLen === this.suffix.length && s.startsWith(this.prefix) && s.endsWith(this.suffix)) {
      return this.base + ms;
    }
    const prefix = s.slice(0, SECONDS_LEN);
    const suffix = s.slice(i);
    const base = parseTime(prefix + suffix);
    if (base === undefined) return undefined;
    this.prefix = prefix;
    this.suffix = suffix;
    this.base = base;
    return base + ms;
  }
}
