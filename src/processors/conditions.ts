import { FieldPath, type Event } from './field-path.js';
import { compileUserRegex, type UserRegex } from './user-regex.js';

/**
 * The `when:` of `drop` and `keep`: one operator per mapping, nested with
 * `all`, `any` and `not`. Checked once (`conditionProblems`, by path, for
 * `logship validate`), compiled once into a closure tree: per event only field
 * lookups and comparisons run, every regex is compiled already.
 *
 *     { equals: { log.level: debug } }      every listed field equals its value
 *     { matches: { message: kube-probe } }  every listed field contains a match (RE2, unanchored)
 *     { exists: http.request.id }           the field is present and not null
 *     { all: [C…] } { any: [C…] } { not: C }
 */
export type Condition = (event: Event) => boolean;

export const CONDITION_OPERATORS = ['equals', 'matches', 'exists', 'all', 'any', 'not'] as const;

export interface ConditionProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type Scalar = string | number | boolean | null;

const isScalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every problem of a condition as the user wrote it, each at its path below the condition. */
export function conditionProblems(raw: unknown, at: readonly (string | number)[] = []): ConditionProblem[] {
  if (!isMap(raw)) return [{ path: at, message: `expected a condition mapping with one of ${CONDITION_OPERATORS.join(', ')}` }];
  const keys = Object.keys(raw);
  if (keys.length !== 1) return [{ path: at, message: `a condition has exactly one operator (${CONDITION_OPERATORS.join(', ')}), got ${keys.length === 0 ? 'none' : keys.join(', ')}` }];
  const op = keys[0]!;
  const arg = raw[op];
  const here = [...at, op];
  switch (op) {
    case 'equals':
    case 'matches': {
      if (!isMap(arg) || Object.keys(arg).length === 0) return [{ path: here, message: `expected a mapping of field → ${op === 'equals' ? 'value' : 'regular expression'}` }];
      return Object.entries(arg).flatMap(([field, value]): ConditionProblem[] => {
        const fieldPath = [...here, field];
        if (!validField(field)) return [{ path: fieldPath, message: 'expected a dotted field name (log.level)' }];
        if (op === 'equals') return isScalar(value) ? [] : [{ path: fieldPath, message: 'expected a string, number, boolean or null' }];
        if (typeof value !== 'string' || value === '') return [{ path: fieldPath, message: 'expected a regular expression' }];
        const re = compileUserRegex(value);
        return typeof re === 'string' ? [{ path: fieldPath, message: re }] : [];
      });
    }
    case 'exists':
      return typeof arg === 'string' && validField(arg) ? [] : [{ path: here, message: 'expected a dotted field name (log.level)' }];
    case 'all':
    case 'any':
      if (!Array.isArray(arg) || arg.length === 0) return [{ path: here, message: 'expected a non-empty list of conditions' }];
      return arg.flatMap((c, i) => conditionProblems(c, [...here, i]));
    case 'not':
      return conditionProblems(arg, here);
    default:
      return [{ path: here, message: `unknown condition operator, expected one of ${CONDITION_OPERATORS.join(', ')}` }];
  }
}

/** `a.b.c`: no empty segment. */
export function validField(field: string): boolean {
  return field !== '' && field.split('.').every((s) => s !== '');
}

/** Compiles a condition that passed conditionProblems. */
export function compileCondition(raw: unknown): Condition {
  const cond = raw as Record<string, unknown>;
  const op = Object.keys(cond)[0] as (typeof CONDITION_OPERATORS)[number];
  const arg = cond[op];
  switch (op) {
    case 'equals':
      return every(Object.entries(arg as Record<string, Scalar>).map(([f, v]) => equalsField(new FieldPath(f), v)));
    case 'matches':
      return every(Object.entries(arg as Record<string, string>).map(([f, re]) => matchesField(new FieldPath(f), compileUserRegex(re) as UserRegex)));
    case 'exists': {
      const path = new FieldPath(arg as string);
      return (e) => path.get(e) != null;
    }
    case 'all':
      return every((arg as unknown[]).map(compileCondition));
    case 'any': {
      const parts = (arg as unknown[]).map(compileCondition);
      return (e) => parts.some((p) => p(e));
    }
    case 'not': {
      const inner = compileCondition(arg);
      return (e) => !inner(e);
    }
  }
}

function every(parts: Condition[]): Condition {
  return parts.length === 1 ? parts[0]! : (e) => parts.every((p) => p(e));
}

/** A number equals its text (`status: 200` matches a parsed `"200"`): YAML and parsers disagree on types often. */
function equalsField(path: FieldPath, expected: Scalar): Condition {
  const text = expected === null ? undefined : String(expected);
  return (e) => {
    const v = path.get(e);
    if (v === expected) return true;
    return text !== undefined && (typeof v === 'number' || typeof v === 'string') && typeof expected !== 'boolean' && String(v) === text;
  };
}

function matchesField(path: FieldPath, re: UserRegex): Condition {
  return (e) => {
    const v = path.get(e);
    if (typeof v === 'string') return re.test(v);
    return (typeof v === 'number' || typeof v === 'boolean') && re.test(String(v));
  };
}
