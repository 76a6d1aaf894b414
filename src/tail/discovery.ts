import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Dirent } from 'node:fs';
import fg from 'fast-glob';
import picomatch from 'picomatch';
import { onePathPerFile, type Alias } from './aliases.js';
import { LoopCutWalk } from './loop-cut.js';

/**
 * Expands an input's globs into the files to tail. `exclude` patterns match
 * the full path or the file name (`*.gz` excludes every gzip file).
 */
export class Discovery {
  private readonly excluded: (path: string) => boolean;
  private readonly patterns: string[];
  /** Each glob with the fixed directory in front of it, and those directories once each: computed once, read every scan. */
  private readonly globList: readonly { pattern: string; base: string }[];
  private readonly bases: readonly string[];
  /** Matched by the last scan but not regular files (FIFOs, devices, sockets, dangling symlinks): never tailed. */
  skipped: { path: string; kind: string }[] = [];

  /** `onAlias`: a file also found under another path, not tailed there (called on every scan that finds it). */
  constructor(
    paths: readonly string[],
    exclude: readonly string[],
    private readonly onAlias: (a: Alias) => void = () => {},
  ) {
    this.patterns = paths.map((p) => toPosix(resolve(p)));
    this.globList = this.patterns.map((pattern) => ({ pattern, base: baseOf(pattern) }));
    this.bases = [...new Set(this.globList.map((g) => g.base))];
    const match = exclude.length > 0 ? picomatch(exclude.map(toPosix), { dot: true }) : () => false;
    this.excluded = (p) => match(p) || match(basename(p));
  }

  async scan(): Promise<string[]> {
    const walk = new LoopCutWalk(this.baseDirs());
    const found = await fg(this.patterns, {
      absolute: true,
      onlyFiles: false,
      objectMode: true,
      dot: true,
      unique: true,
      suppressErrors: true,
      followSymbolicLinks: true,
      fs: { readdir: walk.readdir },
    });
    const files: string[] = [];
    const skipped: { path: string; kind: string }[] = [];
    for (const { path, dirent } of found) {
      if (this.excluded(path) || dirent.isDirectory()) continue;
      if (dirent.isFile()) files.push(path);
      else skipped.push({ path, kind: kindOf(dirent) });
    }
    this.skipped = skipped;
    const withReal: { path: string; real: string }[] = [];
    for (const path of files.sort()) withReal.push({ path, real: walk.knownRealPath(path) ?? (await realpath(path).catch(() => path)) });
    const { paths, aliases } = onePathPerFile(withReal);
    for (const a of aliases) this.onAlias(a);
    return paths;
  }

  /** The input's globs, each with the fixed directory in front of it. */
  globs(): readonly { pattern: string; base: string }[] {
    return this.globList;
  }

  /** Would a scan pick this path up? (rotated siblings that match are tailed on their own). */
  matches(path: string): boolean {
    return !this.excluded(path) && this.patterns.some((pattern) => picomatch.isMatch(toPosix(path), pattern, { dot: true }));
  }

  /** The fixed directories in front of each glob: where new files show up. */
  baseDirs(): readonly string[] {
    return this.bases;
  }
}

function baseOf(pattern: string): string {
  const scan = picomatch.scan(pattern);
  return scan.isGlob ? scan.base || '/' : dirname(pattern);
}

type EntryType = Pick<Dirent, 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket' | 'isSymbolicLink'>;

function kindOf(d: EntryType): string {
  if (d.isFIFO()) return 'FIFO';
  if (d.isCharacterDevice()) return 'character device';
  if (d.isBlockDevice()) return 'block device';
  if (d.isSocket()) return 'socket';
  if (d.isSymbolicLink()) return 'dangling symlink';
  return 'not a regular file';
}

function toPosix(p: string): string {
  return p.split('\\').join('/');
}
