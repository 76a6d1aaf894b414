import * as fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

type Callback = (err: NodeJS.ErrnoException | null, entries?: unknown) => void;

/**
 * One directory walk for fast-glob that lists each real directory once.
 * Following directory symlinks is what users expect (a log directory that is a
 * symlink), but a symlink to an ancestor under `**` makes the walk endless, and
 * a second route to a directory lists its files again. A directory reached
 * through a symlink below a glob's base is skipped when its real path lies
 * under that base (the walk reaches it by its own name), and every real
 * directory is listed at most once.
 *
 * It also keeps what the walk learnt, so telling a file's real path costs a
 * realpath only for entries that are symlinks themselves.
 */
export class LoopCutWalk {
  private readonly realDirs = new Map<string, string>();
  private readonly listed = new Set<string>();
  private readonly symlinks = new Set<string>();
  private readonly realBases = new Map<string, string | undefined>();

  constructor(private readonly bases: readonly string[]) {}

  /** The file's real path: its directory's real path and its name, or the link resolved. */
  /**
   * A file's real path: its directory's real path and its name, without a
   * system call. Undefined for an entry that is a symlink itself (or whose
   * directory was not walked): the caller resolves it.
   */
  knownRealPath(file: string): string | undefined {
    const realDir = this.realDirs.get(dirname(file));
    if (realDir === undefined || this.symlinks.has(file)) return undefined;
    return join(realDir, basename(file));
  }

  readonly readdir = ((dir: fs.PathLike, ...rest: unknown[]): void => {
    const cb = rest.pop() as Callback;
    const spelled = resolve(String(dir));
    fs.realpath(spelled, (err, real) => {
      if (err) return cb(err);
      if (this.reachedTwice(spelled, real)) return cb(null, []);
      this.realDirs.set(spelled, real);
      this.listed.add(real);
      (fs.readdir as (...a: unknown[]) => void)(spelled, ...rest, (e: NodeJS.ErrnoException | null, entries?: (fs.Dirent | string)[]) => {
        for (const d of entries ?? []) if (typeof d !== 'string' && d.isSymbolicLink()) this.symlinks.add(join(spelled, d.name));
        cb(e, entries);
      });
    });
  }) as unknown as typeof fs.readdir;

  private reachedTwice(spelled: string, real: string): boolean {
    const base = this.bases.filter((b) => spelled === b || spelled.startsWith(withSlash(b))).sort((a, b) => b.length - a.length)[0];
    const rb = base === undefined ? undefined : this.realBase(base);
    if (base !== undefined && rb !== undefined) {
      const direct = rb + spelled.slice(base.length);
      if (real !== direct && (real === rb || real.startsWith(withSlash(rb)))) return true;
    }
    return this.listed.has(real);
  }

  private realBase(base: string): string | undefined {
    if (!this.realBases.has(base)) {
      try {
        this.realBases.set(base, fs.realpathSync(base));
      } catch {
        this.realBases.set(base, undefined);
      }
    }
    return this.realBases.get(base);
  }
}

function withSlash(p: string): string {
  return p.endsWith('/') ? p : p + '/';
}
