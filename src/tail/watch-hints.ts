import { watch, type FSWatcher } from 'node:fs';

/**
 * fs.watch on directories, used only as a hint to poll sooner: inotify events
 * are lost on some volumes (NFS, some overlay and bind mounts), so the poll
 * timer stays the guarantee and a failed watch is not an error.
 */
export class WatchHints {
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(private readonly onHint: (dir: string) => void) {}

  watchDir(dir: string): void {
    if (this.watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, () => this.onHint(dir));
      w.on('error', () => this.unwatch(dir));
      this.watchers.set(dir, w);
    } catch {
      // ENOENT (not created yet), ENOSPC (inotify limit): polling covers it.
    }
  }

  unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
