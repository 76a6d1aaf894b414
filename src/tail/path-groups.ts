import { ReadGenerations } from './generations.js';
import { sameInode } from './identity.js';
import type { TailedFile } from './tailed-file.js';

const REMEMBERED_CLOSED = 4096;

/** Every generation ever tailed under one path, oldest first; `current` is the one the path points at. */
export class PathGroup {
  readonly files: TailedFile[] = [];
  current: TailedFile | undefined;
  /** Generations read under this path, to tell their copies from missed generations. */
  readonly read = new ReadGenerations();

  constructor(readonly path: string) {}

  /** The path now points at `file`, the newest generation. */
  setCurrent(file: TailedFile): void {
    // Opened empty, we know nothing of its content: copytruncates before its first
    // read would leave no trace under the path, only copies written since.
    if (file.id.fp.len === 0 && file.missedSince === undefined) file.missedSince = file.lastMtimeMs;
    this.files.push(file);
    this.current = file;
  }

  /** A generation older than the current one: read before it. */
  addBeforeCurrent(file: TailedFile): void {
    const at = this.current ? this.files.indexOf(this.current) : -1;
    if (at >= 0) this.files.splice(at, 0, file);
    else this.files.push(file);
  }

  remove(file: TailedFile): void {
    this.files.splice(this.files.indexOf(file), 1);
    if (this.current === file) this.current = undefined;
  }

  /**
   * Polls of this path drive a timer (rotate_wait of a rotated generation, the
   * partial-line timeout, a head still to settle), so they stay at poll_interval.
   * Otherwise only a change matters: data known to be unread is read anyway, and
   * reaching its end makes the path due again.
   */
  hasTimers(): boolean {
    return this.files.some((f) => f !== this.current || f.splitter.hasPartial || f.missedSince !== undefined);
  }
}

/**
 * The paths of one input and their generations, plus the inodes of generations
 * closed recently: what is already tailed, so a rescan or a sibling listing
 * does not take it for a new file or an unseen rotation.
 */
export class PathGroups {
  private readonly byPath = new Map<string, PathGroup>();
  private readonly closedInodes = new Set<string>();

  get(path: string): PathGroup | undefined {
    return this.byPath.get(path);
  }

  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /** The group of `path`, made when there is none. */
  of(path: string): PathGroup {
    let g = this.byPath.get(path);
    if (!g) {
      g = new PathGroup(path);
      this.byPath.set(path, g);
    }
    return g;
  }

  delete(path: string): void {
    this.byPath.delete(path);
  }

  values(): IterableIterator<PathGroup> {
    return this.byPath.values();
  }

  /** Tracked generations, every path's. */
  files(): TailedFile[] {
    return [...this.byPath.values()].flatMap((g) => g.files);
  }

  /** A tracked generation on the same inode as `file` (not tracked itself yet): a second path to one file. */
  tailedAs(file: TailedFile): TailedFile | undefined {
    return this.files().find((f) => sameInode(f.id, file.id));
  }

  rememberClosed(file: TailedFile): void {
    if (this.closedInodes.size >= REMEMBERED_CLOSED) this.closedInodes.delete(this.closedInodes.values().next().value!);
    this.closedInodes.add(`${file.id.dev}:${file.id.ino}`);
  }

  isKnownInode(s: { dev: number; ino: number }): boolean {
    if (this.closedInodes.has(`${s.dev}:${s.ino}`)) return true;
    // Called per new path of a rescan: no array per call (thousands of files, thousands of new ones).
    for (const g of this.byPath.values()) for (const f of g.files) if (sameInode(f.id, s)) return true;
    return false;
  }
}
