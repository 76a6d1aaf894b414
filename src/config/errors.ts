import type { z } from 'zod';
import { REDACTED, SECRET_KEY } from './secrets.js';

/** A path into the config as the user wrote it: `['outputs', 0, 'object', 'max_bytes']`. */
export type ConfigPath = readonly (string | number)[];

/**
 * One thing wrong with a config, before it is rendered. `offset` is a character
 * offset into the source, turned into a line number by whoever holds the text.
 */
export interface Problem {
  path: ConfigPath;
  message: string;
  offset?: number;
}

/**
 * Thrown by loadConfig/parseConfigText. `problems` holds every problem found,
 * one line each (`inputs[0].pathz: unknown key (line 3)`), so a user fixes a
 * config in one round instead of one error per run.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: string[];
  /** The file name (or other label) the config came from. */
  readonly source: string;

  constructor(source: string, problems: string[]) {
    super(`invalid config ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.source = source;
    this.problems = problems;
  }
}

// Identifiers print as `.key`; anything else (`service.name`, `a b`) as `["…"]`
// so the path stays unambiguous.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Renders a path in the file's own notation: `outputs[0].object.max_bytes`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/**
 * Whether a value under this path must never be echoed. Any segment counts:
 * under `credentials:` even an innocent-looking `key` is secret.
 */
export function isSecretPath(path: ConfigPath): boolean {
  return path.some((seg) => typeof seg === 'string' && SECRET_KEY.test(seg));
}

/**
 * Removes a secret value from a message written by someone else (a schema's
 * custom check may quote the input). The `, got …` tail is the convention of
 * units.ts; the value itself is replaced wherever else it appears.
 */
export function redact(message: string, value: unknown): string {
  let out = message.replace(/,? got .*$/s, '');
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') {
    const raw = String(value);
    out = out.split(JSON.stringify(raw)).join(REDACTED).split(raw).join(REDACTED);
  }
  return out;
}

/** `a string`, `a list`: the YAML user's words for zod's type names. */
function typeName(expected: string): string {
  switch (expected) {
    case 'array': return 'a list';
    case 'object': case 'record': case 'map': return 'a mapping';
    case 'int': return 'an integer';
    case 'undefined': case 'never': return 'nothing';
    default: return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
  }
}

/** What the user wrote, described without structure: `"zip"`, `3`, `a list`. */
function describe(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  return typeof value;
}

/** What was found, for a message; nothing at all for secrets. */
function got(value: unknown, secret: boolean): string {
  return secret ? '' : `, got ${describe(value)}`;
}

function values(list: readonly unknown[]): string {
  return list.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

/** Reads `path` out of the parsed (pre-validation) data; undefined when absent. */
export function valueAt(data: unknown, path: ConfigPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function hasKey(data: unknown, path: ConfigPath): boolean {
  if (path.length === 0) return true;
  const parent = valueAt(data, path.slice(0, -1));
  return parent !== null && typeof parent === 'object' && Object.prototype.hasOwnProperty.call(parent, path.at(-1)!);
}

function range(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean; origin: string }, small: boolean): string {
  const n = Number(small ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case 'array': case 'set':
      return small ? `needs at least ${n} item${n === 1 ? '' : 's'}` : `allows at most ${n} item${n === 1 ? '' : 's'}`;
    case 'string':
      if (small && n === 1) return 'must not be empty';
      return small ? `needs at least ${n} characters` : `allows at most ${n} characters`;
    default: {
      const op = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      return `must be ${op} ${n}`;
    }
  }
}

/** A union's branches all failed on type alone: `expected a string or a number`. */
function unionOfTypes(errors: readonly (readonly z.core.$ZodIssue[])[]): string | undefined {
  const expected: string[] = [];
  for (const branch of errors) {
    const only = branch.length === 1 ? branch[0] : undefined;
    if (!only || only.code !== 'invalid_type' || only.path.length !== 0) return undefined;
    expected.push(typeName(only.expected));
  }
  const names = [...new Set(expected)];
  if (names.length === 0) return undefined;
  return `expected ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`}`;
}

/**
 * Turns one zod issue into problems in the user's terms. `data` is what the
 * YAML held before validation: it tells a missing key from a wrong one, and
 * supplies the value for messages, except where `hidden` says the value must
 * not be shown (secret-looking keys by default).
 */
export function issueToProblems(
  issue: z.core.$ZodIssue,
  data: unknown,
  hidden: (path: ConfigPath) => boolean = isSecretPath,
): Problem[] {
  const path = issue.path.filter((seg): seg is string | number => typeof seg !== 'symbol');
  const value = valueAt(data, path);
  const secret = hidden(path);
  const one = (message: string): Problem[] => [{ path, message }];

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown key' }));
    case 'invalid_type':
      if (!hasKey(data, path)) return one('required');
      return one(`expected ${typeName(issue.expected)}${got(value, secret)}`);
    case 'invalid_value':
      if (!hasKey(data, path)) return one(`required, one of ${values(issue.values)}`);
      return one(
        issue.values.length === 1
          ? `expected ${values(issue.values)}${got(value, secret)}`
          : `expected one of ${values(issue.values)}${got(value, secret)}`,
      );
    case 'invalid_union': {
      // zod 4 reports a discriminatedUnion miss with the allowed values and the
      // discriminator already on the path (`outputs[1].type`).
      const options = 'options' in issue ? issue.options : undefined;
      if (issue.discriminator !== undefined && options) {
        if (!hasKey(data, path)) return one(`required, one of ${values(options)}`);
        return one(`expected one of ${values(options)}${got(value, secret)}`);
      }
      if (!hasKey(data, path)) return one('required');
      const types = unionOfTypes(issue.errors);
      if (types) return one(`${types}${got(value, secret)}`);
      return one(secret ? 'invalid value' : issue.message);
    }
    case 'too_small':
      return one(range(issue, true));
    case 'too_big':
      return one(range(issue, false));
    case 'invalid_format':
      return one(`expected ${issue.format}${got(value, secret)}`);
    default:
      // custom checks (sizes, durations, cross-references) write their own message.
      return one(secret ? redact(issue.message, value) : issue.message);
  }
}
