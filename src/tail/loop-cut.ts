import * as fs from 'node:fs';
import { resolve } from 'node:path';

type Callback = (err: NodeJS.ErrnoException | null, entries?: unknown) => void;

/**
 * A `readdir` for fast-glob that lists each real directory once per scan.
 * Following directory symlinks is what users expect (a log directory that is a
 * symlink), but a symlink to an ancestor under `**` makes the walk endless, and
 * a second route to a directory lists its files again. A directory reached
 * through a symlink below a glob's base is skipped when its real path lies
 * under that base (the walk reaches it by its own name), and every real
 * directory is listed at most once.
 */
export function loopCuttingReaddir(bases: readonly string[]): typeof fs.readdir {
  const listed = new Set<string>();
  const realBases = new Map<string, string | undefined>();
  const realBase = (base: string): string | undefined => {
    if (!realBases.has(base)) {
      try {
        realBases.set(base, fs.realpathSync(base));
      } catch {
        realBases.set(base, undefined);
      }
    }
    return realBases.get(base);
  };
  const readdir = (dir: fs.PathLike, ...rest: unknown[]): void => {
    const cb = rest.pop() as Callback;
    const spelled = resolve(String(dir));
    fs.realpath(spelled, (err, real) => {
      if (err) return cb(err);
      const base = bases.filter((b) => spelled === b || spelled.startsWith(b.endsWith('/') ? b : b + '/')).sort((a, b) => b.length - a.length)[0];
      const rb = base === undefined ? undefined : realBase(base);
      if (base !== undefined && rb !== undefined) {
        const direct = rb + spelled.slice(base.length);
        const underBase = real === rb || real.startsWith(rb.endsWith('/') ? rb : rb + '/');
        if (real !== direct && underBase) return cb(null, []);
      }
      if (listed.has(real)) return cb(null, []);
      listed.add(real);
      (fs.readdir as (...a: unknown[]) => void)(spelled, ...rest, cb);
    });
  };
  return readdir as unknown as typeof fs.readdir;
}
