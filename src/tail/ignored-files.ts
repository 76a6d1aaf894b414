import type { Stats } from 'node:fs';
import type { InputConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { PollScheduler } from './poll-scheduler.js';

/** A found path to open; `offset`: where to start instead of the default. */
export interface FreshFile {
  path: string;
  offset?: number;
}

/**
 * ignore_older: paths left closed because they were not modified within it,
 * with what they held then. They are re-checked at rescans, backing off like
 * idle files; once modified they are tailed from where they ended then.
 */
export class IgnoredFiles {
  private readonly held = new Map<string, { dev: number; ino: number; size: number }>();
  private readonly polls: PollScheduler<string>;

  constructor(
    private readonly input: InputConfig,
    private readonly logger: Logger,
    maxInterval: number,
  ) {
    this.polls = new PollScheduler(input.poll_interval, maxInterval);
  }

  /** A watch event named `path`: a file left closed is looked at by the next scan. */
  hint(path: string): void {
    if (this.held.has(path)) this.polls.hint(path);
  }

  /** Forgets paths the globs no longer match: a file found there again is a new one. */
  keepOnly(found: readonly string[]): void {
    if (this.held.size === 0) return;
    const still = new Set(found);
    for (const p of this.held.keys()) if (!still.has(p)) this.forget(p);
  }

  /** Should this scan look at `path`: not left closed, or due to be checked again. */
  wanted(path: string, now: number): boolean {
    return !this.held.has(path) || this.polls.isDue(path, now);
  }

  /**
   * Of found paths with their fresh stats, those to open. One not modified
   * within ignore_older is left closed and remembered; one left closed and
   * modified since is tailed from where it ended then, or from 0 when replaced meanwhile.
   */
  select(found: readonly { path: string; st: Stats }[], now: number): FreshFile[] {
    const limit = this.input.ignore_older;
    const out: FreshFile[] = [];
    let newlyIgnored = 0;
    for (const { path, st } of found) {
      const was = this.held.get(path);
      if (limit !== undefined && now - st.mtimeMs > limit) {
        if (!was) {
          this.held.set(path, { dev: st.dev, ino: st.ino, size: st.size });
          newlyIgnored++;
        }
        this.polls.polled(path, now, false);
        continue;
      }
      if (!was) {
        out.push({ path });
        continue;
      }
      this.forget(path);
      const offset = was.dev === st.dev && was.ino === st.ino && st.size >= was.size ? was.size : 0;
      this.logger.info({ input: this.input.name, path, offset }, 'file left closed by ignore_older was modified; tailing what was written since');
      out.push({ path, offset });
    }
    if (newlyIgnored > 0) {
      this.logger.info({ input: this.input.name, files: newlyIgnored, ignoreOlderMs: limit }, 'files not modified within ignore_older are left closed until they change');
    }
    return out;
  }

  private forget(path: string): void {
    this.held.delete(path);
    this.polls.delete(path);
  }
}
