import { z } from 'zod';
import { ParseFailure, setField, type Fields, type LineParser, type ParseResult, type ParserModule } from './types.js';

/**
 * `key_value`: pairs with configurable separators and quotes, e.g.
 * `user: bob; action: "log in"` with `{ field_split: ';', value_split: ':', trim: true }`.
 *
 * - `field_split` (default `' '`) separates pairs; `value_split` (default `'='`)
 *   separates a key from its value. Both may be several characters (`', '`).
 *   Repeated field separators count as one.
 * - `quotes` (default `['"', "'"]`): single characters that may open a quoted
 *   key or value, closed by the same character. Inside, a backslash escapes the
 *   quote character or a backslash; any other backslash is kept as written.
 *   A closing quote must be followed by a field separator or the end.
 * - `trim` (default false): strip whitespace around keys and unquoted values
 *   (never inside quotes, never across a field separator).
 * - A key alone is `true`; `key=` is the empty string; an unquoted value runs to
 *   the next field separator and may contain the value separator (`q=a=b` → `a=b`).
 *   Values stay strings. A repeated key: the last value wins.
 *
 * A malformed pair (`=value` without a key, text glued to a closing quote) is
 * skipped to the next field separator, an unterminated quote to the end of the
 * record; the well-formed pairs around them are kept. Only a record with no well-formed pair at all is a
 * ParseFailure (never a throw; one linear pass), named after its first
 * problem: `unterminated quote at column N` (1-based column of the opening
 * quote, in UTF-16 code units), `missing key before '<value_split>' at column
 * N`, `unexpected character after the closing quote at column N`, or `empty
 * record`.
 */
export const keyValueOptions = z
  .strictObject({
    field_split: z.string().min(1).default(' ').describe('Separates pairs (may be several characters, e.g. `", "`); repeated separators count as one.'),
    value_split: z.string().min(1).default('=').describe('Separates a key from its value; must differ from `field_split`.'),
    quotes: z
      .array(z.string().length(1, 'a quote is one character'))
      .default(['"', "'"])
      .describe('Characters that open a quoted key or value, closed by the same one; inside, `\\` escapes the quote or a backslash.'),
    trim: z.boolean().default(false).describe('Strip whitespace around keys and unquoted values.'),
  })
  .superRefine((o, ctx) => {
    if (o.field_split === o.value_split) {
      ctx.addIssue({ code: 'custom', path: ['value_split'], message: 'must differ from field_split' });
    }
    o.quotes.forEach((q, i) => {
      if (o.field_split.includes(q) || o.value_split.includes(q)) {
        ctx.addIssue({ code: 'custom', path: ['quotes', i], message: `${JSON.stringify(q)} is part of a separator` });
      }
    });
  })
  .prefault({});

export type KeyValueOptions = z.output<typeof keyValueOptions>;

export const keyValue: ParserModule<KeyValueOptions> = {
  name: 'key_value',
  options: keyValueOptions,
  create(options: KeyValueOptions): LineParser {
    const o = keyValueOptions.parse(options ?? {}); // defaults also when called directly
    const scanner = new KeyValueScanner(o.field_split, o.value_split, o.quotes, o.trim);
    return { parse: (text) => scanner.parse(text) };
  },
};

export default keyValue;

// ---- scanner -----------------------------------------------------------------

const BS = 0x5c;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}


class KeyValueScanner {
  private readonly fs0: number;
  private readonly vs0: number;
  private readonly quoteCodes: Set<number>;

  constructor(
    private readonly fs: string,
    private readonly vs: string,
    quotes: readonly string[],
    private readonly trim: boolean,
  ) {
    this.fs0 = fs.charCodeAt(0);
    this.vs0 = vs.charCodeAt(0);
    this.quoteCodes = new Set(quotes.map((q) => q.charCodeAt(0)));
  }

  private atFs(text: string, i: number): boolean {
    return text.charCodeAt(i) === this.fs0 && (this.fs.length === 1 || text.startsWith(this.fs, i));
  }

  private atVs(text: string, i: number): boolean {
    return text.charCodeAt(i) === this.vs0 && (this.vs.length === 1 || text.startsWith(this.vs, i));
  }

  /** Whitespace that is not the start of a field separator. */
  private skipWs(text: string, i: number): number {
    const n = text.length;
    while (i < n && isWs(text.charCodeAt(i)) && !this.atFs(text, i)) i++;
    return i;
  }

  /**
   * The quoted string whose opening quote is at `open`: [value, index past the
   * closing quote], or a ParseFailure.
   */
  private quoted(text: string, open: number): [string, number] | ParseFailure {
    const n = text.length;
    const q = text.charCodeAt(open);
    let i = open + 1;
    let value = '';
    let segment = i;
    for (;;) {
      if (i >= n) return new ParseFailure(`unterminated quote at column ${open + 1}`);
      const c = text.charCodeAt(i);
      if (c === q) break;
      if (c === BS) {
        if (i + 1 >= n) return new ParseFailure(`unterminated quote at column ${open + 1}`);
        const e = text.charCodeAt(i + 1);
        if (e === q || e === BS) {
          value += text.slice(segment, i);
          segment = i + 1; // keep the escaped character
        }
        i += 2;
        continue;
      }
      i++;
    }
    return [value + text.slice(segment, i), i + 1];
  }

  /** After a closing quote at `i`: the end or a field separator (whitespace first if trimming). */
  private afterQuote(text: string, i: number): number | ParseFailure {
    if (this.trim) i = this.skipWs(text, i);
    if (i >= text.length || this.atFs(text, i)) return i;
    return new ParseFailure(`unexpected character after the closing quote at column ${i + 1}`);
  }

  /** Index of the next field separator at or after `i` (or the end): where a malformed pair is skipped to. */
  private nextFs(text: string, i: number): number {
    const e = text.indexOf(this.fs, i);
    return e < 0 ? text.length : e;
  }

  parse(text: string): ParseResult {
    const out: Fields = {};
    const n = text.length;
    const fsLen = this.fs.length;
    let i = 0;
    let pairs = 0;
    let malformed: ParseFailure | undefined;
    // A malformed pair is skipped to the next field separator; the well-formed ones around it are kept.
    // An unterminated quote runs to the end of the record: nothing after it is a pair.
    const skip = (f: ParseFailure, from: number): void => {
      malformed ??= f;
      i = from >= n ? n : this.nextFs(text, from);
    };
    for (;;) {
      // separators (and whitespace, when trimming) before the next key
      for (;;) {
        if (i < n && this.atFs(text, i)) i += fsLen;
        else if (this.trim && i < n && isWs(text.charCodeAt(i))) i++;
        else break;
      }
      if (i >= n) break;

      // key
      let key: string;
      const keyStart = i;
      if (this.quoteCodes.has(text.charCodeAt(i))) {
        const r = this.quoted(text, i);
        if (r instanceof ParseFailure) {
          skip(r, n);
          continue;
        }
        key = r[0];
        const after = this.trim ? this.skipWs(text, r[1]) : r[1];
        if (after < n && !this.atFs(text, after) && !this.atVs(text, after)) {
          skip(new ParseFailure(`unexpected character after the closing quote at column ${after + 1}`), after);
          continue;
        }
        i = after;
      } else {
        while (i < n && !this.atVs(text, i) && !this.atFs(text, i)) i++;
        key = text.slice(keyStart, i);
        if (this.trim) key = key.trim();
        if (key === '') {
          skip(new ParseFailure(`missing key before '${this.vs}' at column ${i + 1}`), i);
          continue;
        }
      }
      if (i >= n || !this.atVs(text, i)) {
        setField(out, key, true);
        pairs++;
        continue;
      }
      i += this.vs.length;

      // value
      if (this.trim) i = this.skipWs(text, i);
      if (i < n && this.quoteCodes.has(text.charCodeAt(i))) {
        const r = this.quoted(text, i);
        if (r instanceof ParseFailure) {
          skip(r, n);
          continue;
        }
        const after = this.afterQuote(text, r[1]);
        if (after instanceof ParseFailure) {
          skip(after, r[1]);
          continue;
        }
        setField(out, key, r[0]);
        i = after;
      } else {
        const end = this.nextFs(text, i);
        const value = text.slice(i, end);
        setField(out, key, this.trim ? value.trim() : value);
        i = end;
      }
      pairs++;
    }
    if (pairs === 0) return malformed ?? new ParseFailure('empty record');
    return out;
  }
}
