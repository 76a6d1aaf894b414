import { watch, type FSWatcher } from 'node:fs';

/**
 * fs.watch on directories, used only as a hint to poll sooner: inotify events
 * are lost on some volumes (NFS, some overlay and bind mounts), so the poll
 * timer stays the guarantee and a failed watch is not an error.
 */
export class WatchHints {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Hidden switch for tests (and volumes where inotify misbehaves): poll only, as if every event were lost. */
  private readonly disabled = process.env.LOGSHIP_NO_FS_WATCH === '1';

  /** `name`: the entry of `dir` the event is about; null when the platform does not say. */
  constructor(private readonly onHint: (dir: string, name: string | null) => void) {}

  watchDir(dir: string): void {
    if (this.disabled || this.watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => this.onHint(dir, name));
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
