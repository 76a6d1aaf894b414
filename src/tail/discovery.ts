import { basename, dirname, resolve } from 'node:path';
import fg from 'fast-glob';
import picomatch from 'picomatch';

/**
 * Expands an input's globs into the files to tail. `exclude` patterns match
 * the full path or the file name (`*.gz` excludes every gzip file).
 */
export class Discovery {
  private readonly excluded: (path: string) => boolean;
  private readonly patterns: string[];

  constructor(paths: readonly string[], exclude: readonly string[]) {
    this.patterns = paths.map((p) => toPosix(resolve(p)));
    const match = exclude.length > 0 ? picomatch(exclude.map(toPosix), { dot: true }) : () => false;
    this.excluded = (p) => match(p) || match(basename(p));
  }

  async scan(): Promise<string[]> {
    const found = await fg(this.patterns, {
      absolute: true,
      onlyFiles: true,
      dot: true,
      unique: true,
      suppressErrors: true,
      followSymbolicLinks: true,
    });
    return found.filter((p) => !this.excluded(p)).sort();
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
