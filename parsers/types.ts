import type { z } from 'zod';

/**
 * What a parser extracted from one record. Keys are either the source's own
 * names (`msg`, `level`, `user_id`: the normaliser maps the well-known ones to
 * ECS and puts the rest under `attributes`) or ECS dotted names the format
 * defines (`http.request.method`, `source.address`: kept at the root).
 *
 * `@timestamp` may be a number (epoch ms, when the parser resolved the format
 * itself, e.g. syslog's year-less time) or the raw string/number for the
 * normaliser to parse. `log.level` may be raw (`WARNING`, `W`, 30): the
 * normaliser maps it.
 */
export type Fields = Record<string, unknown>;

/** A record the parser could not read: kept as `message`, tagged `parse_failure`, never dropped. */
export class ParseFailure {
  constructor(readonly reason: string) {}
}

export type ParseResult = Fields | ParseFailure;

export interface ParserContext {
  /** IANA zone (or `UTC`, `+02:00`) for timestamps without an offset; default UTC. */
  readonly timezone: string | undefined;
  /** strptime-style format for timestamps the built-in recognisers do not know. */
  readonly timeFormat: string | undefined;
  /** The current time (ms); for year inference of RFC 3164 timestamps. */
  now(): number;
}

/**
 * A content parser: one record (a line, or a multi-line event joined with
 * `\n`) in, fields out. A user's parser (plain JS, untyped) may also return
 * `null` to drop the record (counted, never shipped); the chain checks
 * whatever it returns.
 */
export interface LineParser {
  parse(text: string): ParseResult;
}

/** A parser module: a registry entry, or a user's module loaded by path (`parser: { module, options }`). */
export interface ParserModule<O = unknown> {
  readonly name: string;
  /** Validates the `options` of `parser: { name, options }`; absent: the parser takes none. */
  readonly options?: z.ZodType<O>;
  create(options: O, ctx: ParserContext): LineParser;
}

/**
 * A parser module for a format without options: `parse(text, ctx)` is all it
 * is. (A throw fails only that record: the chain turns it into a ParseFailure.)
 */
export function lineModule(name: string, parse: (text: string, ctx: ParserContext) => ParseResult): ParserModule {
  return {
    name,
    create: (_options: unknown, ctx: ParserContext): LineParser => ({ parse: (text) => parse(text, ctx) }),
  };
}

/** `out[key] = value`, also for a parsed key named `__proto__` (kept as an own field, as JSON.parse does, not as the prototype). */
export function setField(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** The message of anything thrown, itself read defensively (a user's error may have a throwing getter). */
export function errorText(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return 'an unprintable error';
  }
}
