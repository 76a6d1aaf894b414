import { z } from 'zod';
import { enableBacktrackFallback } from './regex-safety.js';
import { ParseFailure, type Fields, type LineParser, type ParseResult, type ParserModule } from './types.js';

/**
 * `regex`: a user's pattern; its named groups become fields.
 *
 *     parser: { name: regex, options: { pattern: '^(?<ts>\S+) (?<level>\w+) (?<msg>.*)$' } }
 *
 * - Named groups → fields under the group's name; a group that did not take
 *   part in the match (`undefined`) is omitted. Values are strings.
 * - Dotted names: a JavaScript group name cannot contain `.`, so every `__` in
 *   a group name is read as a dot: `(?<http__request__method>\S+)` → key
 *   `http.request.method` (left to right: `a___b` → `a._b`).
 * - `flags`: RegExp flags (`i`, `s`, `m`, `u`, `v`…). The parser matches once
 *   per record from its start, so `g` changes nothing and `y` anchors at 0.
 * - No match → ParseFailure('no match').
 * - The pattern is compiled in `create`: an invalid pattern, or one with no
 *   named group, throws at config time with a message naming the pattern.
 *
 * THE INPUT LIMIT (`max_input_bytes`, default 16384 = 16 KiB): each record is
 * cut to its first `max_input_bytes` UTF-8 bytes (at a character boundary)
 * before matching, so a group near the end of a longer record sees only the
 * cut text and an anchor such as `$` matches at the cut. This bounds what a
 * pathological user regex can cost per record when its cost grows
 * polynomially with the length (e.g. `^(.*)x(.*)y(.*)$`): it runs on 16 KiB,
 * never on a 10 MB line. It cannot bound exponential backtracking on its own
 * (`^(a+)+$` on 30 `a`s and a `b` takes seconds in a plain backtracking
 * engine), so the first `create` also turns on V8's linear-time fallback
 * (`--enable-experimental-regexp-engine-on-excessive-backtracks`): a match
 * that backtracks too much is re-run by V8's non-backtracking engine, with the
 * same result. That engine does not support backreferences, lookarounds, or
 * the `i`/`u`/`v` flags (Node 20); such patterns keep only the length limit.
 */
export const regexOptions = z
  .strictObject({
    pattern: z.string().min(1).describe('A JavaScript regular expression with at least one named group; its named groups become fields.'),
    flags: z.string().optional().describe('RegExp flags (`i`, `s`, `m`, `u`…); the pattern is matched once per record from its start.'),
    max_input_bytes: z.number().int().positive().default(16_384).describe('Each record is cut to this many UTF-8 bytes (at a character boundary) before matching.'),
  })
  .superRefine((o, ctx) => {
    try {
      compile(o.pattern, o.flags);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: (err as Error).message });
    }
  });

export type RegexOptions = z.output<typeof regexOptions>;

export const regex: ParserModule<RegexOptions> = {
  name: 'regex',
  options: regexOptions,
  create(options: RegexOptions): LineParser {
    const re = compile(options.pattern, options.flags);
    const maxBytes = options.max_input_bytes ?? 16_384;
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) {
      throw new Error(`regex parser: max_input_bytes must be a positive integer, got ${String(maxBytes)}`);
    }
    enableBacktrackFallback();
    const keys = new Map<string, string>();
    const keyOf = (group: string): string => {
      let key = keys.get(group);
      if (key === undefined) {
        key = group.includes('__') ? group.replaceAll('__', '.') : group;
        keys.set(group, key);
      }
      return key;
    };
    return {
      parse(text: string): ParseResult {
        re.lastIndex = 0; // `g`/`y` flags make exec stateful
        const m = re.exec(cutUtf8(text, maxBytes));
        if (m === null) return new ParseFailure('no match');
        const out: Fields = {};
        const groups = m.groups;
        if (groups !== undefined) {
          for (const name in groups) {
            const value = groups[name];
            if (value === undefined) continue;
            const key = keyOf(name);
            if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
            else out[key] = value;
          }
        }
        return out;
      },
    };
  },
};

export default regex;

/** Compiles a user pattern; throws an Error naming the pattern if it is invalid or has no named group. */
function compile(pattern: string, flags: string | undefined): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags ?? '');
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`regex parser: invalid pattern ${JSON.stringify(pattern)}${flags ? ` (flags "${flags}")` : ''}: ${detail}`);
  }
  // `(?<name>`, not the lookbehinds `(?<=` / `(?<!`.
  if (!/\(\?<(?![=!])/.test(pattern)) {
    throw new Error(`regex parser: pattern ${JSON.stringify(pattern)} has no named group (?<name>...), so it would extract no fields`);
  }
  return re;
}

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never
 * splitting a character (a surrogate pair is 4 bytes; a lone surrogate, encoded
 * as U+FFFD, 3). Looks at no more than `maxBytes` code units.
 */
export function cutUtf8(text: string, maxBytes: number): string {
  const n = text.length;
  if (n * 3 <= maxBytes) return text; // a UTF-16 code unit is at most 3 UTF-8 bytes
  let bytes = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let width = 3;
    let units = 1;
    if (c < 0x80) width = 1;
    else if (c < 0x800) width = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        width = 4;
        units = 2;
      }
    }
    if (bytes + width > maxBytes) return text.slice(0, i);
    bytes += width;
    i += units;
  }
  return text;
}
