/**
 * The last line of defence between a config's secrets and an error message.
 * errors.ts leaves values of secret keys out of the messages it writes; this
 * module covers the messages it does not write (the YAML library's, a custom
 * check's, an exception's) by finding every text in the source that may be a
 * secret and scrubbing it out of whatever is about to be printed.
 */

/** Keys whose value is a secret: password, api_key, token, secret*, credentials, … */
export const SECRET_KEY = /passw(or)?d|passphrase|secret|token|api[_-]?key|credential|private[_-]?key|access[_-]?key/i;

/** What a secret becomes in a message. */
export const REDACTED = '[redacted]';

// A run of text ending in `@`: greedy, so a password holding `@` is taken whole.
const USERINFO = /[^\s"'[\]{},]*@/g;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
// `key:` (plain or quoted) followed by a space or the end of the line: YAML's mapping indicator.
const KEY = /["']?([A-Za-z0-9_.-]+)["']?\s*:(?=\s|$)/g;
// What separates a value's pieces in flow syntax, and the indicators that may lead one (`*alias`, `&anchor`, `|`, `!tag`).
const PIECES = /[\s,[\]{}"']+/;
const LEADING_INDICATORS = /^[*&!|>-]+/;
/** Shorter pieces are not worth scrubbing on their own: they would blank out ordinary words. */
const MIN_PIECE = 3;

/**
 * `user:password@` of a URL-like text (with or without a scheme, the password
 * holding `/ # ? @`) replaced by `[redacted]@`.
 */
export function hideUserinfo(text: string): string {
  return text.replace(USERINFO, (run) => {
    const scheme = SCHEME.exec(run)?.[0] ?? '';
    return run.slice(scheme.length).includes(':') ? `${scheme}${REDACTED}@` : run;
  });
}

/** The userinfo (`user:password`) of every URL-like text in `text`. */
function userinfos(text: string, out: Set<string>): void {
  for (const [run] of text.matchAll(USERINFO)) {
    const info = run.slice(0, -1).replace(SCHEME, '');
    if (info.includes(':')) add(info, out);
  }
}

// `${VAR}` is a reference, not a value: its name must stay readable in `VAR is not set`.
const REFERENCE = /\$\{[^}]*\}/g;

function add(value: string, out: Set<string>): void {
  const whole = value.replace(REFERENCE, ' ').trim();
  if (whole === '') return;
  out.add(whole);
  for (const piece of whole.split(PIECES)) {
    const bare = piece.replace(LEADING_INDICATORS, '');
    if (bare.length >= MIN_PIECE) out.add(bare);
  }
}

// A quoted value to its closing quote (`\"` and `''` escape one), or to the line's end when unclosed.
const DOUBLE_QUOTED = /^"(?:[^"\\]|\\.)*"?/;
const SINGLE_QUOTED = /^'(?:[^']|'')*'?/;
// In a flow mapping the next `, key:` ends a plain value.
const NEXT_FLOW_KEY = /[,{]\s*["']?[A-Za-z0-9_.-]+["']?\s*:(?=\s|$)/;

/**
 * The text of the value that starts `rest`: a quoted value to its closing
 * quote, a plain one up to the next key of a flow mapping or the line's end.
 */
function valueText(rest: string): string {
  const text = rest.trimStart();
  const quoted = (text[0] === '"' ? DOUBLE_QUOTED : text[0] === "'" ? SINGLE_QUOTED : undefined)?.exec(text);
  if (quoted) return quoted[0];
  const next = NEXT_FLOW_KEY.exec(text);
  return next ? text.slice(0, next.index) : text;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

export interface SourceSecrets {
  /** Texts that may be secrets, longest first (so a secret is scrubbed whole before its pieces). */
  readonly texts: string[];
  /** 1-based line numbers holding (part of) a secret key's value. */
  readonly lines: ReadonlySet<number>;
}

/**
 * Every text of the raw source that may be a secret: what follows a secret
 * key on its line (flow mappings included) and the lines of a block nested
 * under it, and the userinfo of any URL. Read from the text, not the parsed
 * document, so it works on a file the YAML parser cannot read.
 */
export function secretsInSource(text: string): SourceSecrets {
  const texts = new Set<string>();
  const lines = new Set<number>();
  userinfos(text, texts);
  let blockIndent = -1; // indentation of the secret key whose nested block we are in
  text.split(/\r?\n/).forEach((line, i) => {
    if (blockIndent >= 0 && (line.trim() === '' || indentOf(line) > blockIndent)) {
      lines.add(i + 1);
      add(line, texts);
      return;
    }
    blockIndent = -1;
    for (const m of line.matchAll(KEY)) {
      if (!SECRET_KEY.test(m[1]!)) continue;
      lines.add(i + 1);
      add(valueText(line.slice(m.index + m[0].length)), texts);
      blockIndent = indentOf(line);
    }
  });
  return { texts: [...texts].sort((a, b) => b.length - a.length), lines };
}

/**
 * Adds texts that came from the environment: `secretValues` (under secret
 * keys) whole, and the URL userinfo of any `otherValues`.
 */
export function withSecrets(secrets: SourceSecrets, secretValues: readonly string[], otherValues: readonly string[]): SourceSecrets {
  const texts = new Set(secrets.texts);
  for (const v of secretValues) add(v, texts);
  for (const v of otherValues) userinfos(v, texts);
  return { texts: [...texts].sort((a, b) => b.length - a.length), lines: secrets.lines };
}

/** `message` with every secret text (as written, or JSON-escaped) and any URL userinfo replaced. */
export function scrub(message: string, secrets: SourceSecrets): string {
  let out = hideUserinfo(message);
  for (const secret of secrets.texts) {
    out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join(REDACTED);
  }
  return out;
}
