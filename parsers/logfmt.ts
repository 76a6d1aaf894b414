import { ParseFailure, setField, lineModule, type Fields, type ParseResult, type ParserModule } from './types.js';

/**
 * `logfmt`: `key=value key2="quoted \" value" flag`.
 *
 * - Pairs are separated by whitespace (space, tab, CR, LF: a multi-line record
 *   joined with `\n` parses too); runs of whitespace count as one.
 * - A key is everything up to `=` or whitespace; a key alone (`flag`) is `true`.
 * - `key=` is the empty string. A bare value runs to the next whitespace and
 *   may contain `=` and `"` (`q=a=b` → `a=b`).
 * - A value that starts with `"` is quoted: it ends at the next unescaped `"`,
 *   which must be followed by whitespace or the end. JSON escapes are decoded
 *   (`\" \\ \/ \b \f \n \r \t \uXXXX`); any other backslash is kept as written.
 * - Values stay strings: no number or boolean guessing.
 * - A repeated key: the last value wins.
 *
 * ParseFailure (never a throw; one linear pass, so never a hang):
 * `unterminated quote at column N` (N: 1-based column of the opening quote,
 * counted in UTF-16 code units), `missing key before '=' at column N`,
 * `unexpected '"' in key at column N`, `expected whitespace after the closing
 * quote at column N`, and `empty record` for a blank one.
 */
export function parseLogfmt(text: string): ParseResult {
  const out: Fields = {};
  const n = text.length;
  let i = 0;
  let pairs = 0;
  for (;;) {
    while (i < n && isWs(text.charCodeAt(i))) i++;
    if (i >= n) break;

    const keyStart = i;
    let c = 0;
    for (; i < n; i++) {
      c = text.charCodeAt(i);
      if (c === EQ || c === DQ || isWs(c)) break;
    }
    if (i < n && c === DQ) return new ParseFailure(`unexpected '"' in key at column ${i + 1}`);
    if (i === keyStart) return new ParseFailure(`missing key before '=' at column ${i + 1}`);
    const key = text.slice(keyStart, i);
    pairs++;
    if (i >= n || c !== EQ) {
      setField(out, key, true);
      continue;
    }
    i++; // '='

    if (i < n && text.charCodeAt(i) === DQ) {
      const open = i;
      i++;
      let value = '';
      let segment = i;
      for (;;) {
        if (i >= n) return new ParseFailure(`unterminated quote at column ${open + 1}`);
        c = text.charCodeAt(i);
        if (c === DQ) break;
        if (c === BS) {
          if (i + 1 >= n) return new ParseFailure(`unterminated quote at column ${open + 1}`);
          value += text.slice(segment, i);
          const [decoded, len] = unescape(text, i);
          value += decoded;
          i += len;
          segment = i;
          continue;
        }
        i++;
      }
      value += text.slice(segment, i);
      i++; // closing quote
      if (i < n && !isWs(text.charCodeAt(i))) {
        return new ParseFailure(`expected whitespace after the closing quote at column ${i + 1}`);
      }
      setField(out, key, value);
    } else {
      const valueStart = i;
      while (i < n && !isWs(text.charCodeAt(i))) i++;
      setField(out, key, text.slice(valueStart, i));
    }
  }
  if (pairs === 0) return new ParseFailure('empty record');
  return out;
}

export const logfmt: ParserModule = lineModule('logfmt', parseLogfmt);

export default logfmt;

// ---- helpers -----------------------------------------------------------------

const EQ = 0x3d;
const DQ = 0x22;
const BS = 0x5c;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}


/** Decodes the escape whose backslash is at `i` (with `i + 1 < text.length`): [text, length consumed]. */
function unescape(text: string, i: number): [string, number] {
  const e = text.charCodeAt(i + 1);
  switch (e) {
    case 0x22:
      return ['"', 2];
    case 0x5c:
      return ['\\', 2];
    case 0x2f:
      return ['/', 2];
    case 0x62:
      return ['\b', 2];
    case 0x66:
      return ['\f', 2];
    case 0x6e:
      return ['\n', 2];
    case 0x72:
      return ['\r', 2];
    case 0x74:
      return ['\t', 2];
    case 0x75: {
      const hex = text.slice(i + 2, i + 6);
      if (/^[0-9a-fA-F]{4}$/.test(hex)) return [String.fromCharCode(parseInt(hex, 16)), 6];
      return ['\\u', 2];
    }
    default:
      return [text.slice(i, i + 2), 2];
  }
}
