import { z } from 'zod';
import { ParseFailure, type Fields, type LineParser, type ParseResult, type ParserModule } from './types.js';

/** Vector's `parse_json` default and bound: deep enough for any real log, shallow enough for every recursive step after it. */
export const DEFAULT_MAX_DEPTH = 64;
const MAX_MAX_DEPTH = 128;

/**
 * `json`: one JSON object per record (NDJSON). Nested objects and arrays are
 * kept as they are; keys are the source's own (the normaliser maps them).
 *
 * - A UTF-8 BOM (U+FEFF) at the start of the record is stripped.
 * - Nesting is bounded (`max_depth`, default 64; the record's object is level
 *   1): an object or array that opens deeper is kept as a string, its text as
 *   written, as Vector's `parse_json` does. So a hostile `{"a":{"a":…}}` of
 *   any depth cannot overflow the stack in JSON.parse, the normaliser or the
 *   encoder.
 * - A valid JSON value that is not an object (array, string, number, boolean,
 *   null) is a ParseFailure: there are no fields to take from it.
 * - Malformed JSON is a ParseFailure whose reason names what was wrong and the
 *   0-based position (UTF-16 index in the record, the BOM included), e.g.
 *   `invalid JSON: expected ',' or '}' at position 12`.
 *
 * Fast path: count the brackets (native indexOf); a record with no more than
 * `max_depth` of them cannot be too deep and goes straight to one
 * `JSON.parse`. Only a record that fails it is scanned again, to describe the
 * error (V8's own messages omit the position for an unexpected token and
 * quote raw, possibly binary, input).
 */
export function parseJson(text: string, maxDepth = DEFAULT_MAX_DEPTH): ParseResult {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let source = start === 0 ? text : text.slice(start);
  if (bracketsExceed(source, maxDepth)) {
    const flat = flattenDeep(source, maxDepth);
    if (flat === undefined) return new ParseFailure(`invalid JSON: ${describeJsonError(text, start) ?? 'unbalanced brackets'}`);
    source = flat;
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    return new ParseFailure(`invalid JSON: ${describeJsonError(text, start) ?? fallbackReason(err)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return new ParseFailure(`JSON value is ${kindOf(value)}, not an object`);
  }
  return value as Fields;
}

export const jsonOptions = z
  .strictObject({
    max_depth: z
      .number()
      .int()
      .min(1)
      .max(MAX_MAX_DEPTH)
      .default(DEFAULT_MAX_DEPTH)
      .describe("Levels of nesting parsed (the record's object is level 1); an object or array that opens deeper is kept as a string holding its JSON text."),
  })
  .prefault({});

export type JsonOptions = z.output<typeof jsonOptions>;

export const json: ParserModule<JsonOptions> = {
  name: 'json',
  options: jsonOptions,
  create(options: JsonOptions): LineParser {
    const maxDepth = jsonOptions.parse(options ?? {}).max_depth; // defaults also when called directly
    return { parse: (text) => parseJson(text, maxDepth) };
  },
};

export default json;

// ---- depth bound ----------------------------------------------------------------

/** More than `limit` opening brackets in all (strings included): the only records that can nest deeper. */
function bracketsExceed(text: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) if (++count > limit) return true;
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) if (++count > limit) return true;
  return false;
}

/**
 * `text` with every object or array that opens below level `maxDepth` replaced
 * by a JSON string holding its text. One linear pass, no recursion. Undefined
 * when such a subtree never closes (then the record is malformed anyway).
 * Syntax is left to JSON.parse: only strings and brackets are tracked.
 */
function flattenDeep(text: string, maxDepth: number): string | undefined {
  const n = text.length;
  let out = '';
  let copied = 0;
  let depth = 0;
  let cut = -1; // where the subtree being collapsed opened
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: to its closing quote (backslash escapes)
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === maxDepth + 1) cut = i;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === maxDepth + 1) {
        out += text.slice(copied, cut) + JSON.stringify(text.slice(cut, i + 1));
        copied = i + 1;
        cut = -1;
      }
      depth--;
    }
  }
  if (cut >= 0) return undefined;
  return out + text.slice(copied);
}

// ---- error description (slow path, only after JSON.parse failed) -----------

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}

function fallbackReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // V8 quotes the input; keep the reason short and printable.
  return JSON.stringify(msg.length > 200 ? `${msg.slice(0, 200)}…` : msg).slice(1, -1);
}

/** `'x'`, with control characters, backslashes and lone surrogates escaped as in JSON. */
function showChar(text: string, i: number): string {
  const ch = String.fromCodePoint(text.codePointAt(i)!);
  return ch === '"' ? `'"'` : `'${JSON.stringify(ch).slice(1, -1)}'`;
}

const enum S {
  Value,
  FirstValue, // after '[': a value or ']'
  FirstKey, // after '{': a key or '}'
  Key,
  After, // after a complete value
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * Finds the first syntax error of `text` from `start` (RFC 8259 grammar) and
 * describes it with its position. Iterative (an explicit stack), so deep
 * nesting cannot overflow the call stack; linear in the record's length.
 * Returns undefined if it finds none (then V8's message is used).
 */
function describeJsonError(text: string, start: number): string | undefined {
  const n = text.length;
  const stack: boolean[] = []; // true: object, false: array
  let i = start;
  let state = S.Value;
  const at = (what: string, pos = i) => `${what} at position ${pos}`;
  const unexpected = () => (i >= n ? at('unexpected end of input') : at(`unexpected ${showChar(text, i)}`));

  /** Scans a string whose opening quote is at `i`; returns an error or undefined (then `i` is past it). */
  const scanString = (): string | undefined => {
    const open = i;
    i++;
    for (;;) {
      if (i >= n) return at('unterminated string', open);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return at('control character in string', i);
      if (c === 0x5c) {
        const e = text.charCodeAt(i + 1);
        if (i + 1 >= n) return at('unterminated string', open);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            if (!isHex(text.charCodeAt(i + k))) return at('bad \\u escape in string', i);
          }
          i += 6;
          continue;
        }
        // " \ / b f n r t
        if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
          continue;
        }
        return at('bad escape in string', i);
      }
      i++;
    }
  };

  const scanNumber = (): string | undefined => {
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
    else return unexpected();
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(text.charCodeAt(i))) return unexpected();
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = text.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) return unexpected();
      while (isDigit(text.charCodeAt(i))) i++;
    }
    return undefined;
  };

  const scanLiteral = (word: string): string | undefined => {
    for (let k = 0; k < word.length; k++, i++) {
      if (text.charCodeAt(i) !== word.charCodeAt(k)) return unexpected();
    }
    return undefined;
  };

  for (;;) {
    while (i < n && isWs(text.charCodeAt(i))) i++;
    const c = i < n ? text.charCodeAt(i) : -1;
    let err: string | undefined;
    switch (state) {
      case S.FirstValue:
        if (c === 0x5d) {
          i++;
          stack.pop();
          state = S.After;
          continue;
        }
        state = S.Value;
        continue;
      case S.Value:
        if (c === 0x7b) {
          stack.push(true);
          i++;
          state = S.FirstKey;
          continue;
        }
        if (c === 0x5b) {
          stack.push(false);
          i++;
          state = S.FirstValue;
          continue;
        }
        if (c === 0x22) err = scanString();
        else if (c === 0x2d || isDigit(c)) err = scanNumber();
        else if (c === 0x74) err = scanLiteral('true');
        else if (c === 0x66) err = scanLiteral('false');
        else if (c === 0x6e) err = scanLiteral('null');
        else return unexpected();
        if (err !== undefined) return err;
        state = S.After;
        continue;
      case S.FirstKey:
        if (c === 0x7d) {
          i++;
          stack.pop();
          state = S.After;
          continue;
        }
        state = S.Key;
        continue;
      case S.Key:
        if (c !== 0x22) return i >= n ? unexpected() : at(`expected a double-quoted property name, found ${showChar(text, i)}`);
        err = scanString();
        if (err !== undefined) return err;
        while (i < n && isWs(text.charCodeAt(i))) i++;
        if (text.charCodeAt(i) !== 0x3a) return i >= n ? unexpected() : at(`expected ':' after property name, found ${showChar(text, i)}`);
        i++;
        state = S.Value;
        continue;
      case S.After: {
        if (stack.length === 0) {
          return i < n ? at(`unexpected ${showChar(text, i)} after the JSON value`) : undefined;
        }
        const inObject = stack[stack.length - 1]!;
        const close = inObject ? 0x7d : 0x5d;
        if (c === 0x2c) {
          i++;
          state = inObject ? S.Key : S.Value;
          continue;
        }
        if (c === close) {
          i++;
          stack.pop();
          continue;
        }
        if (i >= n) return unexpected();
        return at(`expected ',' or '${inObject ? '}' : ']'}', found ${showChar(text, i)}`);
      }
    }
  }
}
