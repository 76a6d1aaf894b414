import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
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

  /** `onAlias`: a file also found under another path, not tailed there (called on every scan that finds it). */
  constructor(
    paths: readonly string[],
    exclude: readonly string[],
    private readonly onAlias: (a: Alias) => void = () => {},
  ) {
    this.patterns = paths.map((p) => toPosix(resolve(p)));
    const match = exclude.length > 0 ? picomatch(exclude.map(toPosix), { dot: true }) : () => false;
    this.excluded = (p) => match(p) || match(basename(p));
  }

  async scan(): Promise<string[]> {
    const walk = new LoopCutWalk(this.baseDirs());
    const found = await fg(this.patterns, {
      absolute: true,
      onlyFiles: true,
      dot: true,
      unique: true,
      suppressErrors: true,
      followSymbolicLinks: true,
      fs: { readdir: walk.readdir },
    });
    const kept = found.filter((p) => !this.excluded(p)).sort();
    const withReal: { path: string; real: string }[] = [];
    for (const path of kept) withReal.push({ path, real: walk.knownRealPath(path) ?? (await realpath(path).catch(() => path)) });
    const { paths, aliases } = onePathPerFile(withReal);
    for (const a of aliases) this.onAlias(a);
    return paths;
  }


  /** Would a scan pick this path up? (rotated siblings that match are tailed on their own). */
  matches(path: string): boolean {
    return !this.excluded(path) && this.patterns.some((pattern) => picomatch.isMatch(toPosix(path), pattern, { dot: true }));
  }

  /** The fixed directories in front of each glob: where new files show up. */
  baseDirs(): string[] {
    return [...new Set(this.patterns.map((p) => {
      const scan = picomatch.scan(p);
      return scan.isGlob ? scan.base || '/' : dirname(p);
    }))];
  }
}

function toPosix(p: string): string {
  return p.split('\\').join('/');
}
