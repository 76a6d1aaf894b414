import { isMap, isScalar, isSeq, Scalar, type Document } from 'yaml';
import { isSecretPath, type ConfigPath, type Problem } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

// At each `$`: the `$${` escape first, then a closed `${…}`, then an unclosed `${`.
const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const INNER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export interface Expansion {
  value: string;
  /** Whether any `${…}` was replaced (an escape alone does not count). */
  substituted: boolean;
  /** Messages without a path; `hideText` leaves the reference text out of them. */
  problems: string[];
}

/**
 * Expands `${VAR}` and `${VAR:-default}` in one string, POSIX-style: the
 * default applies when VAR is unset or empty. `$${` is a literal `${`.
 * References are never expanded recursively, so an environment value is
 * always taken as plain text.
 */
export function expand(text: string, env: Env, hideText = false): Expansion {
  const problems: string[] = [];
  let substituted = false;
  const shown = (ref: string) => (hideText ? '' : ` in ${JSON.stringify(ref)}`);
  const value = text.replace(REFERENCE, (ref: string, inner: string | undefined) => {
    if (ref === '$${') return '${';
    if (inner === undefined) {
      problems.push(`unclosed variable reference "\${"${shown(text)}; write $\${ for a literal \${`);
      return ref;
    }
    const m = INNER.exec(inner);
    if (!m) {
      problems.push(`malformed variable reference${shown(ref)}: use \${NAME} or \${NAME:-default}`);
      return ref;
    }
    const [, name, fallback] = m as unknown as [string, string, string | undefined];
    if (fallback?.includes('${')) {
      problems.push(`nested variable references are not supported${shown(ref)}`);
      return ref;
    }
    substituted = true;
    const set = env[name];
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    if (set === undefined) {
      problems.push(`environment variable ${name} is not set`);
      return ref;
    }
    return set;
  });
  return { value, substituted, problems };
}

/**
 * After substitution a plain (unquoted) scalar is typed as if its new text had
 * been written there: `max_events: ${N}` yields a number, `on: ${FLAG}` a
 * boolean. Only numbers and booleans: null or structure never come from a
 * variable, and a quoted scalar always stays a string.
 */
function retype(text: string): string | number | boolean {
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  return text;
}

export interface Substitution {
  problems: Problem[];
  /** Paths whose value now holds text from the environment. */
  substituted: ConfigPath[];
}

function walk(node: unknown, path: ConfigPath, env: Env, out: Substitution): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      walk(pair.value, [...path, key], env, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item, [...path, i], env, out));
  } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
    const result = expand(node.value, env, isSecretPath(path));
    for (const message of result.problems) out.problems.push({ path, message, offset: node.range?.[0] });
    if (result.substituted) out.substituted.push(path);
    node.value = result.substituted && node.type === Scalar.PLAIN ? retype(result.value) : result.value;
  }
  // Aliases are left alone: their anchor is expanded where it is defined.
}

/**
 * Substitutes environment variables in the document's scalar values, in place.
 * Working on parsed scalars rather than the raw text means a value holding
 * `: `, `#` or a newline stays one string and cannot add keys to the config.
 * Mapping keys are not substituted.
 */
export function substituteEnv(doc: Document, env: Env): Substitution {
  const out: Substitution = { problems: [], substituted: [] };
  walk(doc.contents, [], env, out);
  return out;
}
