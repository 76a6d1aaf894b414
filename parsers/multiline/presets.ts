import type { MultilineConfig } from './assembler.js';
import { parseDuration, parseSize } from '../units.js';
import { combinePresets } from './combined.js';
import type { MultilinePreset } from './rules.js';
import { dotnet } from './presets/dotnet.js';
import { go } from './presets/go.js';
import { java } from './presets/java.js';
import { node } from './presets/node.js';
import { php } from './presets/php.js';
import { python } from './presets/python.js';
import { ruby } from './presets/ruby.js';

export type { MultilinePreset } from './rules.js';

const PRESETS: ReadonlyMap<string, MultilinePreset> = new Map(
  [java, python, go, ruby, node, dotnet, php].map((p) => [p.name, p]),
);

/** Names of the built-in presets, for validation messages, `--help` and docs. */
export const MULTILINE_PRESETS: readonly string[] = Object.freeze([...PRESETS.keys()]);

export function getMultilinePreset(name: string): MultilinePreset | undefined {
  return PRESETS.get(name);
}

/** `multiline:` of an input as the user wrote it (or `--multiline` / `--multiline-start`). */
export interface MultilineSpec {
  /** One preset, several (`[java, go]` or `java,go`): a line that starts a trace of any of them starts one. */
  preset?: string | readonly string[];
  start?: string;
  continue?: string;
  max_lines?: number;
  /** Bytes, or a size like `1MiB`. */
  max_bytes?: number | string;
  /** Milliseconds, or a duration like `2s`. */
  timeout?: number | string;
}

/** A bad `multiline:` spec; `key` is the offending key (`start`, `max_bytes`, ...), also the start of the message. */
export class MultilineSpecError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`${key}: ${detail}`);
    this.name = 'MultilineSpecError';
  }
}

export const MULTILINE_DEFAULTS = Object.freeze({ maxLines: 500, maxBytes: 1024 * 1024, timeoutMs: 1000 });

/**
 * Compiles and checks a `multiline:` spec and applies the defaults. Throws a
 * MultilineSpecError naming the bad key (and the pattern, for a regex that
 * does not compile): `start: invalid regular expression "(": Unterminated group`.
 *
 * `preset` and `start`/`continue` combine: a line matching `start` always
 * begins an event, a line matching `continue` always continues one, and the
 * preset decides the other lines.
 */
export function resolveMultiline(spec: MultilineSpec): { config: MultilineConfig; preset?: MultilinePreset } {
  const preset = spec.preset === undefined ? undefined : presetsNamed(spec.preset);
  const start = spec.start === undefined ? undefined : compile('start', spec.start);
  const cont = spec.continue === undefined ? undefined : compile('continue', spec.continue);
  if (preset === undefined && start === undefined && cont === undefined) {
    throw new MultilineSpecError('preset', `set a preset (${MULTILINE_PRESETS.join(', ')}) or a start or continue pattern`);
  }
  const config: MultilineConfig = {
    maxLines: count('max_lines', spec.max_lines, MULTILINE_DEFAULTS.maxLines),
    maxBytes: bytes(spec.max_bytes),
    timeoutMs: millis(spec.timeout),
  };
  if (start !== undefined) config.start = start;
  if (cont !== undefined) config.continue = cont;
  return preset === undefined ? { config } : { config, preset };
}

/** The presets a `preset:` value names, combined; every unknown name is reported at once. */
function presetsNamed(value: string | readonly string[]): MultilinePreset {
  const names = (typeof value === 'string' ? value.split(',') : value).map((n) => n.trim());
  const unknown = names.filter((n) => !PRESETS.has(n));
  if (names.length === 0 || unknown.length > 0) {
    const what = unknown.length === 1 ? `unknown preset ${JSON.stringify(unknown[0])}` : names.length === 0 ? 'no preset named' : `unknown presets ${unknown.map((n) => JSON.stringify(n)).join(', ')}`;
    throw new MultilineSpecError('preset', `${what} (known: ${MULTILINE_PRESETS.join(', ')})`);
  }
  return combinePresets([...new Set(names)].map((n) => PRESETS.get(n)!));
}

function compile(key: string, pattern: unknown): RegExp {
  if (typeof pattern !== 'string' || pattern === '') {
    throw new MultilineSpecError(key, `expected a regular expression, got ${JSON.stringify(pattern)}`);
  }
  try {
    return new RegExp(pattern);
  } catch (err) {
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new MultilineSpecError(key, `invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
  }
}

function count(key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MultilineSpecError(key, `expected a whole number >= 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

function bytes(value: number | string | undefined): number {
  if (value === undefined) return MULTILINE_DEFAULTS.maxBytes;
  const n = parseSize(value);
  if (n === undefined || n < 1) throw new MultilineSpecError('max_bytes', `expected a size like 1MiB, got ${JSON.stringify(value)}`);
  return n;
}

function millis(value: number | string | undefined): number {
  if (value === undefined) return MULTILINE_DEFAULTS.timeoutMs;
  const n = typeof value === 'number' ? (Number.isFinite(value) ? value : undefined) : parseDuration(value);
  if (n === undefined || n <= 0) throw new MultilineSpecError('timeout', `expected a duration like 500ms or 2s, got ${JSON.stringify(value)}`);
  return n;
}
