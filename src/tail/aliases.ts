/** A file found under several paths: tailed once, as `path`. */
export interface Alias {
  readonly path: string;
  readonly alias: string;
}

/**
 * One path per real file among `found` (sorted by path): a symlink beside its
 * target, or a second route to its directory, would otherwise tail the same
 * bytes twice. The file's own path is kept when it was found; otherwise the
 * first in sort order, so the choice is the same on every scan and every restart.
 */
export function onePathPerFile(found: readonly { path: string; real: string }[]): { paths: string[]; aliases: Alias[] } {
  const byReal = new Map<string, string[]>();
  for (const { path: p, real } of found) {
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
