import { parseJson } from './json.js';
import { parseLogfmt } from './logfmt.js';
import { parsePlain } from './plain.js';
import { ParseFailure, lineModule, type ParseResult, type ParserModule } from './types.js';

/**
 * `auto` (`logship parse --format auto`): picks a format per record, and never
 * returns a ParseFailure.
 *
 * 1. The first character after an optional BOM and whitespace is `{` → `json`;
 *    if that fails (malformed, truncated), go on.
 * 2. The record starts with at least two `key=value` pairs whose keys are
 *    identifiers (`[A-Za-z_][A-Za-z0-9_.-]*`; a value may be quoted) → `logfmt`;
 *    if that fails (e.g. an unterminated quote later on), go on.
 * 3. `plain`: `{ message: text }`.
 *
 * So `user=bob logged in` (one pair) is plain, and `level=info msg="started"`
 * is logfmt.
 */
export function parseAuto(text: string): ParseResult {
  if (startsWithBrace(text)) {
    const r = parseJson(text);
    if (!(r instanceof ParseFailure)) return r;
  }
  if (looksLikeLogfmt(text)) {
    const r = parseLogfmt(text);
    if (!(r instanceof ParseFailure)) return r;
  }
  return parsePlain(text);
}

export const auto: ParserModule = lineModule('auto', parseAuto);

export default auto;

// ---- detection -------------------------------------------------------------------

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

function startsWithBrace(text: string): boolean {
  return text.charCodeAt(skipWs(text, text.charCodeAt(0) === 0xfeff ? 1 : 0)) === 0x7b;
}

function isIdentStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d;
}

/** `ident=value ident=` at the start (after whitespace). Stops after the second `=`. */
function looksLikeLogfmt(text: string): boolean {
  const n = text.length;
  let i = skipWs(text, 0);
  for (let pair = 0; ; pair++) {
    if (i >= n || !isIdentStart(text.charCodeAt(i))) return false;
    i++;
    while (i < n && isIdentPart(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== 0x3d) return false;
    i++;
    if (pair === 1) return true;
    if (text.charCodeAt(i) === 0x22) {
      // quoted value: to the closing quote (backslash escapes)
      i++;
      for (;;) {
        if (i >= n) return false;
        const c = text.charCodeAt(i);
        if (c === 0x22) break;
        i += c === 0x5c ? 2 : 1;
      }
      i++;
    } else {
      while (i < n && !isWs(text.charCodeAt(i))) i++;
    }
    if (i >= n || !isWs(text.charCodeAt(i))) return false;
    i = skipWs(text, i);
  }
}
