import { createHmac } from 'node:crypto';
import { DETECTORS, type Detector } from './detectors.js';
import { FieldPath, isMapping, type Event } from './field-path.js';
import { compileUserRegex, userMatches, type UserRegex } from './user-regex.js';

/** What a found value becomes: `[REDACTED:email]`, or its keyed hash so equal values still correlate. */
export type RedactMode = 'mask' | 'hash';

export interface RedactSpec {
  /** Built-in detector kinds and `{ name, regex }` of the user's, in the order they are tried. */
  readonly detectors: readonly Detector[];
  readonly user: readonly { kind: string; regex: UserRegex }[];
  /** Dotted fields to scan besides `message`; undefined: every string field. */
  readonly fields: readonly string[] | undefined;
  readonly mode: RedactMode;
  /** The HMAC key of `hash` mode. */
  readonly key: Buffer | undefined;
}

/** Hex digits of the HMAC kept: 128 bits, plenty to tell values apart. */
const HASH_HEX = 32;

interface Span {
  start: number;
  end: number;
  kind: string;
}

/**
 * Finds secrets and personal data in an event's strings and replaces them.
 * Every detector searches the original text; the matches are then merged left
 * to right (an overlap goes to the one found first in detector order), so a
 * replacement is never searched again and one value is counted once.
 */
export class Redactor {
  private readonly paths: FieldPath[] | undefined;
  /** Redactions per kind: read by the metrics. */
  readonly counts: Record<string, number> = {};
  private readonly spans: Span[] = [];

  constructor(private readonly spec: RedactSpec) {
    // `event.original` is the raw line, so a copy of the message: it is scanned whenever it is there.
    this.paths = spec.fields === undefined ? undefined : [...new Set(['message', 'event.original', ...spec.fields])].map((f) => new FieldPath(f));
    for (const d of spec.detectors) this.counts[d.kind] = 0;
    for (const u of spec.user) this.counts[u.kind] = 0;
  }

  apply(event: Event): void {
    if (this.paths === undefined) {
      this.walk(event);
      return;
    }
    for (const path of this.paths) {
      const v = path.get(event);
      if (typeof v === 'string') {
        const out = this.text(v);
        if (out !== v) path.set(event, out);
      } else if (typeof v === 'object' && v !== null) {
        this.walk(v as Event);
      }
    }
  }

  /** Every string inside a mapping or list, in place. */
  private walk(node: Event | unknown[]): void {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v = node[i];
        if (typeof v === 'string') node[i] = this.text(v);
        else if (typeof v === 'object' && v !== null) this.walk(v as Event);
      }
      return;
    }
    for (const key in node) {
      const v = node[key];
      if (typeof v === 'string') node[key] = this.text(v);
      else if (Array.isArray(v) || isMapping(v)) this.walk(v);
    }
  }

  /** The text with every finding replaced; the same string when nothing was found (no allocation). */
  text(s: string): string {
    const spans = this.spans;
    spans.length = 0;
    for (const d of this.spec.detectors) {
      if (!d.mayContain(s)) continue;
      const re = d.regex;
      re.lastIndex = 0;
      for (let m = re.exec(s); m !== null; m = re.exec(s)) {
        if (d.valid === undefined || d.valid(m[0])) spans.push({ start: m.index, end: m.index + m[0].length, kind: d.kind });
      }
    }
    for (const u of this.spec.user) {
      for (const [start, end] of userMatches(u.regex, s)) spans.push({ start, end, kind: u.kind });
    }
    if (spans.length === 0) return s;
    // Stable: at one start the detector tried first wins.
    spans.sort((a, b) => a.start - b.start);
    let out = '';
    let at = 0;
    for (const span of spans) {
      if (span.start < at) continue; // overlaps one already replaced
      out += s.slice(at, span.start) + this.replacement(span.kind, s.slice(span.start, span.end));
      this.counts[span.kind]!++;
      at = span.end;
    }
    return out + s.slice(at);
  }

  private replacement(kind: string, value: string): string {
    if (this.spec.mode === 'mask') return `[REDACTED:${kind}]`;
    return `[HMAC:${kind}:${createHmac('sha256', this.spec.key!).update(value).digest('hex').slice(0, HASH_HEX)}]`;
  }
}

/** The detectors a `patterns` list names, built-in kinds by name; undefined entries mean every built-in. */
export function detectorsFor(patterns: readonly (string | { name: string; regex: string })[] | undefined): Pick<RedactSpec, 'detectors' | 'user'> {
  if (patterns === undefined) return { detectors: DETECTORS, user: [] };
  const names = new Set(patterns.filter((p): p is string => typeof p === 'string'));
  return {
    detectors: DETECTORS.filter((d) => names.has(d.kind)),
    user: patterns.filter((p): p is { name: string; regex: string } => typeof p !== 'string').map((p) => ({ kind: p.name, regex: compileUserRegex(p.regex) as UserRegex })),
  };
}
