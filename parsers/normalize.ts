import { isIP } from 'node:net';
import { normalizeLevel } from './level.js';
import { formatTimestamp, parseTime } from './timestamp.js';
import { ParseFailure, setField, type Fields, type ParseResult } from './types.js';

/** The ECS release whose field names the events follow; written to every event as `ecs.version`. */
export const ECS_VERSION = '8.11.0';

export interface NormalizeOptions {
  /** Where non-ECS fields go: `attributes` (default) or `''` for the event root. */
  readonly fieldsUnder: string;
  readonly keepOriginal: boolean;
  readonly timezone: string | undefined;
  readonly timeFormat: string | undefined;
  readonly now: () => number;
}

/** Known about a record besides its text: what the chain learnt before the content parser. */
export interface RecordContext {
  /** Epoch ms to use when the content has no time of its own (container time, else read time). */
  readonly fallbackTime: number;
  /** Extra fields from earlier stages (container stream, multi-line error fields): source keys or ECS names. */
  readonly extra?: Fields;
  readonly tags?: readonly string[];
}

export interface NormalizedEvent {
  readonly event: Record<string, unknown>;
  /** `@timestamp` in epoch ms (outputs partition by it). */
  readonly time: number;
}

/**
 * Well-known source keys and the ECS name they become (matched in lower case).
 * Everything else lands under `attributes` (or the root, with fields_under: "").
 */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ...['@timestamp', 'timestamp', 'time', 'ts', 't', 'datetime', '@t', 'asctime'].map((k) => [k, '@timestamp'] as const),
  ...['message', 'msg', '@m'].map((k) => [k, 'message'] as const),
  ...['level', 'lvl', 'severity', 'loglevel', 'log_level', 'levelname', '@l'].map((k) => [k, 'log.level'] as const),
  ...['logger', 'logger_name', 'loggername'].map((k) => [k, 'log.logger'] as const),
  ['pid', 'process.pid'],
  ...['thread', 'thread_name', 'threadname'].map((k) => [k, 'process.thread.name'] as const),
  ...['trace_id', 'traceid'].map((k) => [k, 'trace.id'] as const),
  ...['span_id', 'spanid'].map((k) => [k, 'span.id'] as const),
  ...['stack', 'stack_trace', 'stacktrace'].map((k) => [k, 'error.stack_trace'] as const),
  ['hostname', 'host.hostname'],
  ...['service', 'service_name'].map((k) => [k, 'service.name'] as const),
]);

/** ECS field sets: a dotted key under one of these stays at the root (`http.request.method`, `log.origin.file.line`). */
const ECS_ROOTS = new Set([
  'log', 'http', 'url', 'source', 'destination', 'client', 'server', 'user_agent', 'user', 'error', 'trace', 'span',
  'transaction', 'process', 'host', 'service', 'event', 'container', 'kubernetes', 'network', 'file', 'labels',
]);

/**
 * Turns a parser's result into an event of the schema (README, "The event"): the well-known keys mapped to
 * ECS, the time parsed to UTC ISO with milliseconds, the level normalised, the
 * rest under `attributes`. A parse failure keeps the raw text as `message`, is
 * tagged `parse_failure` and carries its reason in `error.message` (unless a
 * multi-line preset's exception holds that field).
 */
export function normalize(result: ParseResult, raw: string, ctx: RecordContext, opts: NormalizeOptions): NormalizedEvent {
  // Keys in schema order; an undefined message is left out of the JSON.
  const event: Record<string, unknown> = { '@timestamp': '', message: undefined };
  let tags: string[] | undefined = ctx.tags ? [...ctx.tags] : undefined;
  let time: number | undefined;
  let rawTime: unknown;

  const place = (key: string, value: unknown): void => {
    if (value === undefined) return;
    const { ecs, target } = targetOf(key);
    if (target === '@timestamp') {
      if (time !== undefined) return addAttribute(event, key, value, opts.fieldsUnder);
      time = typeof value === 'number' && key === '@timestamp' ? value : parseTime(value, opts);
      if (time === undefined || !Number.isFinite(time)) {
        time = undefined;
        rawTime = value;
        addAttribute(event, key, value, opts.fieldsUnder);
      }
      return;
    }
    if (target === 'log.level') {
      const level = normalizeLevel(value);
      if (level && getPath(event, 'log.level') === undefined) setPath(event, 'log.level', level);
      else addAttribute(event, key, value, opts.fieldsUnder);
      return;
    }
    if (target === 'message') {
      if (event.message === undefined) event.message = typeof value === 'string' ? value : JSON.stringify(value);
      else addAttribute(event, key, value, opts.fieldsUnder);
      return;
    }
    if (ecs === undefined && (key === 'err' || key === 'error') && typeof value === 'object' && value !== null) {
      placeError(event, value as Record<string, unknown>);
      return;
    }
    if (ecs === undefined && (key === 'err' || key === 'error') && typeof value === 'string') {
      setIfAbsent(event, 'error.message', value);
      return;
    }
    if (target !== undefined && setIfAbsent(event, target, NUMERIC_ECS.has(target) ? toNumber(value) : value)) return;
    addAttribute(event, key, value, opts.fieldsUnder);
  };

  if (result instanceof ParseFailure) {
    event.message = raw;
    (tags ??= []).push('parse_failure');
  } else {
    for (const key in result) place(key, result[key]);
  }
  if (ctx.extra) for (const key in ctx.extra) place(key, ctx.extra[key]);
  if (result instanceof ParseFailure) setIfAbsent(event, 'error.message', result.reason);
  addSourceIp(event);
  // A time key that could not be read matters only when no other one could.
  if (rawTime !== undefined && time === undefined) (tags ??= []).push('timestamp_parse_failure');

  const when = time ?? ctx.fallbackTime;
  event['@timestamp'] = formatTimestamp(when);
  if (opts.keepOriginal) setPath(event, 'event.original', raw);
  if (tags) event.tags = tags;
  event.ecs = { version: ECS_VERSION };
  return { event, time: when };
}

/** ECS wants `source.ip` (typed ip, what Kibana maps and filters by) beside `source.address` when the address is an IP. */
function addSourceIp(event: Record<string, unknown>): void {
  const source = event.source;
  if (typeof source !== 'object' || source === null) return;
  const s = source as Record<string, unknown>;
  if (s.ip === undefined && typeof s.address === 'string' && isIP(s.address) !== 0) s.ip = s.address;
}

/** ECS fields typed as numbers: a text format's `pid=4121` becomes 4121, as json's would be. */
const NUMERIC_ECS = new Set([
  'process.pid', 'process.thread.id', 'http.response.status_code', 'http.response.body.bytes',
  'http.request.body.bytes', 'source.port', 'destination.port', 'log.origin.file.line',
]);

function toNumber(value: unknown): unknown {
  if (typeof value !== 'string' || value.length === 0 || value.length > 15) return value;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return value;
  }
  return Number(value);
}

function isEcsKey(key: string): boolean {
  const dot = key.indexOf('.');
  return dot > 0 && ECS_ROOTS.has(key.slice(0, dot));
}

/** Where a source key goes: its ECS alias (`ecs`), else the key itself when it is an ECS name (`target`). */
interface KeyTarget {
  readonly ecs: string | undefined;
  readonly target: string | undefined;
}

/** Per source key, resolved once: a log's keys repeat on every line (bounded, so random keys cannot grow it). */
const TARGETS = new Map<string, KeyTarget>();
function targetOf(key: string): KeyTarget {
  let t = TARGETS.get(key);
  if (t === undefined) {
    const ecs = ALIASES.get(key.toLowerCase()) ?? (key === '@timestamp' ? key : undefined);
    t = { ecs, target: ecs ?? (isEcsKey(key) ? key : undefined) };
    if (TARGETS.size < 10_000) TARGETS.set(key, t);
  }
  return t;
}

/** pino/bunyan-style `err: {type, message, stack}`. */
function placeError(event: Record<string, unknown>, err: Record<string, unknown>): void {
  if (typeof err.type === 'string') setIfAbsent(event, 'error.type', err.type);
  else if (typeof err.name === 'string') setIfAbsent(event, 'error.type', err.name);
  if (typeof err.message === 'string') setIfAbsent(event, 'error.message', err.message);
  if (typeof err.stack === 'string') setIfAbsent(event, 'error.stack_trace', err.stack);
}

/** Root names the schema owns: a parsed field by one of these names stays under `attributes` even with fields_under: "". */
export const RESERVED_ROOTS: ReadonlySet<string> = new Set(['@timestamp', 'message', 'tags', 'attributes', 'ecs', ...ECS_ROOTS]);

function addAttribute(event: Record<string, unknown>, key: string, value: unknown, under: string): void {
  if (under === '' && !RESERVED_ROOTS.has(key) && !Object.hasOwn(event, key)) {
    setField(event, key, value);
    return;
  }
  const bag = (event[under === '' ? 'attributes' : under] ??= {}) as Record<string, unknown>;
  setField(bag, key, value);
}


/** Dotted paths split once: the same few dozen ECS names come back on every event. */
const PARTS = new Map<string, string[]>();
function partsOf(path: string): string[] {
  let parts = PARTS.get(path);
  if (!parts) {
    parts = path.split('.');
    if (PARTS.size < 10_000) PARTS.set(path, parts);
  }
  return parts;
}

function getPath(obj: Record<string, unknown>, path: string): unknown {
  let node: unknown = obj;
  for (const part of partsOf(path)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Sets a dotted path, creating objects; false when a non-object is in the way. */
function setPath(obj: Record<string, unknown>, path: string, value: unknown): boolean {
  const parts = partsOf(path);
  let node = obj;
  if (parts.includes('__proto__')) return false;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = node[parts[i]!];
    if (next === undefined) node = node[parts[i]!] = {};
    else if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next as Record<string, unknown>;
    else return false;
  }
  node[parts.at(-1)!] = value;
  return true;
}

/** The first value for an ECS field wins; false if it was taken (the caller keeps the value as an attribute). */
function setIfAbsent(obj: Record<string, unknown>, path: string, value: unknown): boolean {
  if (getPath(obj, path) !== undefined) return false;
  return setPath(obj, path, value);
}
