import { compileUserRegex } from '../processors/user-regex.js';

/**
 * Values as Fluentd and Fluent Bit write them, turned into logship's
 * spelling: durations (`60`, `5s`, `1m30s`), sizes (`8m`, `5MB`, `256k`,
 * 1024-based in both), booleans (`true`, `On`), Ruby/Onigmo regexes
 * (`/…/i`) and record keys (`log`, `level`) as logship event fields.
 */

/** A value from the environment (`${NAME}`): kept for logship to expand at load, not converted. */
export const fromEnv = (v: string): boolean => /\$\{[^}]+\}/.test(v);

// Fluentd's per-chunk placeholders (`${tag}`, `${tag[1]}`, `${record['k']}`, `${hostname}`, `%{…}`): filled per event there, unknown here.
const PLACEHOLDER = /\$\{(?:tag|tag_parts|tag_prefix|tag_suffix|record|hostname|chunk_id|uuid)\b[^}]*\}|%\{[^}]+\}/g;

/**
 * A name (index, key prefix) without Fluentd's per-event placeholders, which
 * logship would take for environment variables; `removed` says there were some.
 */
export function withoutPlaceholders(v: string): { value: string; removed: boolean } {
  const stripped = v.replace(PLACEHOLDER, '');
  if (stripped === v) return { value: v, removed: false };
  // The separators around a removed placeholder collapse: `app.${tag}.%Y` → `app.%Y`.
  return { value: stripped.replace(/([-._/])[-._/]+/g, '$1').replace(/^[-._/]+|[-._]+$/g, ''), removed: true };
}

export function bool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(s)) return true;
  if (['false', 'off', 'no', '0'].includes(s)) return false;
  return undefined;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `60`, `0.5`, `5s`, `1m30s`, `1h`: a bare number is seconds, as in both shippers. */
export function durationMs(v: string): number | undefined {
  const s = v.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) return undefined;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0));
}

/** A logship duration (`500ms`, `5s`, `2m`, `1h`) for a number of milliseconds, in the largest exact unit. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration converted, or the value kept as it is when it comes from the environment; undefined when unreadable. */
export function duration(v: string): string | undefined {
  if (fromEnv(v)) return v;
  const ms = durationMs(v);
  return ms === undefined ? undefined : formatDuration(ms);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

/** Bytes of `8m`, `5MB`, `256k`, `1024` (K, M, G count in 1024s in Fluentd and Fluent Bit alike). */
export function sizeBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?b?)$/i.exec(v.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

export function formatSize(bytes: number): string {
  for (const [unit, size] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

export function size(v: string): string | undefined {
  if (fromEnv(v)) return v;
  const bytes = sizeBytes(v);
  return bytes === undefined ? undefined : formatSize(bytes);
}

/**
 * A Ruby (Fluentd) or Onigmo (Fluent Bit) regex as a JavaScript one: `/…/flags`
 * or bare; `\A` `\z` `\Z` anchors, `\h` hex digits and Ruby's `m` flag (dot
 * matches newline, JavaScript's `s`) translated. Group names with `.` or `-`
 * become `__` and `_` (logship reads `__` in a group name as a dot).
 * Returns the reason when JavaScript cannot take it.
 */
export function jsRegex(text: string): { pattern: string; flags: string } | string {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text.trim());
  const body = m ? m[1]! : text.trim();
  const rubyFlags = m ? m[2]! : '';
  if (rubyFlags.includes('x')) return 'extended mode (the x flag) has no JavaScript equivalent';
  const flags = [...new Set([...rubyFlags].map((f) => (f === 'm' ? 's' : f)))].filter((f) => f === 'i' || f === 's').join('');
  const pattern = body
    .replace(/\\A/g, '^')
    .replace(/\\[zZ]/g, '$')
    .replace(/\\h/g, '[0-9a-fA-F]')
    .replace(/\(\?<([A-Za-z_][\w.-]*)>/g, (_g, name: string) => `(?<${name.replace(/\./g, '__').replace(/-/g, '_')}>`);
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    return `JavaScript cannot compile it: ${(err as Error).message}`;
  }
  return { pattern, flags };
}

/** A regex for a `drop`/`keep` condition (RE2 syntax), or the reason RE2 refuses it. */
export function re2Regex(text: string): string | { reason: string } {
  const js = jsRegex(text);
  if (typeof js === 'string') return { reason: js };
  const pattern = js.flags.includes('i') ? `(?i)${js.pattern}` : js.pattern;
  const compiled = compileUserRegex(pattern);
  return typeof compiled === 'string' ? { reason: compiled } : pattern;
}

// The record keys logship's normaliser turns into ECS fields (docs/parsers.md, "Well-known keys").
const ECS_KEYS: Record<string, string> = {
  log: 'message',
  message: 'message',
  msg: 'message',
  level: 'log.level',
  severity: 'log.level',
  loglevel: 'log.level',
  log_level: 'log.level',
  logger: 'log.logger',
  pid: 'process.pid',
  thread: 'process.thread.name',
  trace_id: 'trace.id',
  span_id: 'span.id',
  hostname: 'host.hostname',
  host: 'host.hostname',
  service: 'service.name',
  service_name: 'service.name',
  stack_trace: 'error.stack_trace',
};

/**
 * The logship event field holding what the old shipper kept under record key
 * `key`: the line itself (`log` in Fluent Bit, `message` in Fluentd) is
 * `message`, well-known keys their ECS field, any other key is under
 * `attributes` (where logship's parsers put fields without an ECS name).
 * Fluent Bit's record accessor (`$kubernetes['labels']['app']`) is a dotted path.
 */
export function eventField(key: string): string {
  const path = key.startsWith('$') ? key.slice(1).replace(/\['([^']*)'\]|\["([^"]*)"\]/g, (_m, a: string | undefined, b: string | undefined) => `.${a ?? b}`) : key;
  const known = ECS_KEYS[path.toLowerCase()];
  if (known) return known;
  if (/^(log|http|url|source|destination|client|server|user_agent|user|error|trace|span|transaction|process|host|service|event|container|kubernetes|network|file|labels)\./.test(path)) return path;
  return `attributes.${path}`;
}
