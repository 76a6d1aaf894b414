import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { keyFileProblems } from '../processors/key-file.js';
import { systemReason } from '../startup-error.js';
import { formatPath, type ConfigPath } from './errors.js';
import type { ResolvedConfig } from './load.js';

/**
 * What `run` would hit at once in the filesystem, checked without changing
 * anything: the state directory and every file output's directory must be
 * directories logship can create and write (a read-only filesystem is named
 * as such, not as the `ENOENT mkdir` Node reports), a parser module a file.
 * Root passes permission checks, but not a read-only filesystem.
 */
export async function preflight(config: ResolvedConfig): Promise<string[]> {
  const checks: Promise<string | undefined>[] = [writableDirectory(['buffer', 'path'], config.buffer.path)];
  config.outputs.forEach((output, i) => {
    if (output.type === 'file') checks.push(writableDirectory(['outputs', i, 'path'], output.path));
    if ((output.type === 'elasticsearch' || output.type === 'opensearch') && output.dead_letter.path !== undefined) checks.push(writableDirectory(['outputs', i, 'dead_letter', 'path'], dirname(resolve(output.dead_letter.path))));
  });
  config.inputs.forEach((input, i) => {
    // `parser:` is one spec or a fallback list of them.
    const specs = Array.isArray(input.parser) ? input.parser.map((spec, j) => [spec, ['inputs', i, 'parser', j]] as const) : [[input.parser, ['inputs', i, 'parser']] as const];
    for (const [spec, at] of specs) {
      if (typeof spec === 'object' && spec.module !== undefined) checks.push(moduleFile([...at, 'module'], spec.module));
    }
  });
  const keyFiles = config.inputs.flatMap((input, i) => keyFileProblems(input.processors, formatPath(['inputs', i])));
  return [...(await Promise.all(checks)).filter((p): p is string => p !== undefined), ...keyFiles];
}

async function writableDirectory(path: ConfigPath, dir: string): Promise<string | undefined> {
  const target = resolve(dir);
  // The directory, or the nearest ancestor that exists (logship creates the rest).
  let existing = target;
  for (;;) {
    try {
      const st = await stat(existing);
      if (!st.isDirectory()) {
        return existing === target
          ? `${formatPath(path)}: ${target} is a file, expected a directory`
          : `${formatPath(path)}: cannot create ${target}: ${existing} is a file`;
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(existing) === existing) return `${formatPath(path)}: ${target}: ${systemReason(err) ?? String(err)}`;
      existing = dirname(existing);
    }
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    const what = existing === target ? `${target} is not writable` : `cannot create ${target} in ${existing}`;
    return `${formatPath(path)}: ${what}: ${systemReason(err) ?? String(err)}`;
  }
}

async function moduleFile(path: ConfigPath, file: string): Promise<string | undefined> {
  try {
    if ((await stat(resolve(file))).isDirectory()) return `${formatPath(path)}: ${file} is a directory, expected a JavaScript module file`;
    return undefined;
  } catch {
    return undefined; // a missing module is the schema's problem (reported there)
  }
}
