import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import fg from 'fast-glob';
import { emitPlan } from './emit.js';
import { parseFluentBit } from './fluent-bit-syntax.js';
import { parseFluentd, type IncludeReader } from './fluentd-syntax.js';
import type { Dialect } from './plan.js';
import { planFluentBit } from './route-fluent-bit.js';
import { planFluentd } from './route-fluentd.js';

/**
 * A Fluentd or Fluent Bit config file as logship YAML. Throws
 * ConvertSyntaxError when the text is not that dialect at all; anything that
 * only fails to map becomes a note in the output.
 */
export function convertConfig(dialect: Dialect, file: string, text: string): string {
  const source = file;
  if (dialect === 'fluentd') return emitPlan(planFluentd(parseFluentd(text, file, readIncluded), source));
  return emitPlan(planFluentBit(parseFluentBit(text, file, readIncluded), source, readIncluded));
}

/**
 * An `@include`/`@INCLUDE`/`Parsers_File` target relative to the including
 * file: the files it names (a glob may name several, in name order), or why
 * none was read (a remote URL, nothing there).
 */
export const readIncluded: IncludeReader = (target, fromFile) => {
  if (/^[a-z]+:\/\//i.test(target)) return 'remote includes are not fetched';
  const path = isAbsolute(target) ? target : resolve(dirname(fromFile), target);
  const files = /[*?[{]/.test(path) ? fg.sync(path, { onlyFiles: true }).sort() : exists(path) ? [path] : [];
  if (files.length === 0) return `nothing at ${path}`;
  try {
    return files.map((f) => ({ file: isAbsolute(target) ? f : relativeLike(fromFile, f), text: readFileSync(f, 'utf8') }));
  } catch (err) {
    return `cannot read it: ${(err as Error).message}`;
  }
};

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** An included file named the way the including one was (relative stays relative), so notes read the same on any machine. */
function relativeLike(fromFile: string, included: string): string {
  if (isAbsolute(fromFile)) return included;
  const base = resolve(dirname(fromFile));
  return included.startsWith(`${base}/`) ? `${dirname(fromFile)}/${included.slice(base.length + 1)}`.replace(/^\.\//, '') : included;
}
