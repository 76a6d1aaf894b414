/**
 * The labels and annotations files of a Downward API volume: the kubelet
 * writes one `key="value"` line per entry, the value quoted by Go's `%q`
 * (strconv.Quote: `\"`, `\\`, `\n`, `\t`, … and `\xNN`, `\uNNNN`,
 * `\UNNNNNNNN` for what is not printable), sorted by key, no newline after
 * the last line.
 */

export interface DownwardFile {
  readonly values: Map<string, string>;
  /** `line N: why` for each line that is not `key="value"`; the other lines are kept. */
  readonly problems: string[];
}

export function parseDownwardFile(text: string): DownwardFile {
  const values = new Map<string, string>();
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq) : '';
    const value = key === '' ? undefined : unquoteGo(line.slice(eq + 1));
    if (value === undefined) problems.push(`line ${i + 1}: expected key="value" (a Go-quoted value), got ${JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line)}`);
    else values.set(key, value);
  }
  return { values, problems };
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * strconv.Unquote for a double-quoted string: undefined when `quoted` is not
 * exactly one. `\xNN` and octal escapes are bytes (joined and decoded as
 * UTF-8), `\u`/`\U` code points.
 */
export function unquoteGo(quoted: string): string | undefined {
  if (quoted.length < 2 || quoted[0] !== '"' || quoted.at(-1) !== '"') return undefined;
  const body = quoted.slice(1, -1);
  if (!body.includes('\\')) return body.includes('"') ? undefined : body;
  const bytes: number[] = [];
  const text = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"') return undefined;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      text(ch);
      i += ch.length - 1;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) bytes.push(SIMPLE_ESCAPES[e]!);
    else if (e in HEX_DIGITS) {
      const n = HEX_DIGITS[e]!;
      const digits = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== n) return undefined;
      const v = parseInt(digits, 16);
      if (e === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
      else text(String.fromCodePoint(v));
      i += n;
    } else if (e >= '0' && e <= '7') {
      const digits = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) return undefined;
      bytes.push(parseInt(digits, 8));
      i += 2;
    } else return undefined;
  }
  return Buffer.from(bytes).toString('utf8');
}
