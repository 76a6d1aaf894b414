import { access, constants } from 'node:fs/promises';
import picomatch from 'picomatch';
import type { Logger } from '../log.js';
import type { Discovery } from './discovery.js';

interface Problem {
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * Says why an input tails nothing, or less than its globs name: a glob that
 * matches no file, its directory missing or unreadable, a matched path that is
 * not a regular file (FIFO, device, socket, dangling symlink). Checked after
 * every scan; each problem is logged once at warn when it appears, and again
 * if it comes back after it was cleared, never on every scan.
 */
export class InputProblems {
  private readonly active = new Map<string, Problem>();
  private readonly globs: { pattern: string; base: string; match: (path: string) => boolean }[];

  constructor(
    private readonly discovery: Discovery,
    private readonly input: string,
    private readonly logger: Logger,
  ) {
    this.globs = discovery.globs().map((g) => ({ ...g, match: picomatch(g.pattern, { dot: true }) }));
  }

  /** `files`: what the scan just found. */
  async check(files: readonly string[]): Promise<void> {
    const now = new Map<string, Problem>();
    for (const { pattern, base, match } of this.globs) {
      const dirProblem = await directoryProblem(base);
      if (dirProblem) now.set(`dir:${pattern}:${dirProblem}`, { msg: dirProblem, fields: { glob: pattern, dir: base } });
      else if (!files.some(match)) now.set(`none:${pattern}`, { msg: 'glob matches no file (yet); its files are picked up when they appear', fields: { glob: pattern } });
    }
    for (const { path, kind } of this.discovery.skipped) {
      now.set(`skip:${path}:${kind}`, { msg: 'matched path is not a regular file; not tailed', fields: { path, kind } });
    }
    for (const [key, p] of now) {
      if (!this.active.has(key)) this.logger.warn({ input: this.input, ...p.fields }, p.msg);
    }
    for (const [key, p] of this.active) {
      if (!now.has(key)) this.logger.info({ input: this.input, ...p.fields, was: p.msg }, 'input problem cleared');
    }
    this.active.clear();
    for (const [key, p] of now) this.active.set(key, p);
  }
}

async function directoryProblem(dir: string): Promise<string | undefined> {
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'directory of the glob does not exist; its files are picked up when it appears';
    if (code === 'ENOTDIR') return 'directory of the glob is not a directory';
    if (code === 'EACCES' || code === 'EPERM') return 'directory of the glob cannot be read (permission denied); nothing is tailed from it';
    return `directory of the glob cannot be checked (${code ?? (err as Error).message})`;
  }
}
