import { realpath } from 'node:fs/promises';

/** A file found under several paths: tailed once, as `path`. */
export interface Alias {
  readonly path: string;
  readonly alias: string;
}

/**
 * One path per real file among `paths` (sorted): a symlink beside its target,
 * or a directory symlink loop under `**` (which repeats every file once per
 * turn), would otherwise tail the same bytes twice. The file's own path is
 * kept when it was found; otherwise the first in sort order, so the choice is
 * the same on every scan and every restart.
 */
export async function onePathPerFile(paths: readonly string[]): Promise<{ paths: string[]; aliases: Alias[] }> {
  const byReal = new Map<string, string[]>();
  for (const p of paths) {
    let real: string;
    try {
      real = await realpath(p);
    } catch {
      real = p; // gone since the glob saw it: the tailer's open decides
    }
    const same = byReal.get(real);
    if (same) same.push(p);
    else byReal.set(real, [p]);
  }
  const kept: string[] = [];
  const aliases: Alias[] = [];
  for (const [real, found] of byReal) {
    const path = found.includes(real) ? real : found[0]!;
    kept.push(path);
    for (const alias of found) if (alias !== path) aliases.push({ path, alias });
  }
  return { paths: kept.sort(), aliases };
}
