import { readdir, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface Sibling {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  /** Held open: the bytes stay reachable whatever the file is renamed to after the listing. */
  readonly fh: FileHandle;
}

// We cannot read compressed generations; logrotate's delaycompress keeps the first one plain.
const COMPRESSED = /\.(?:gz|bz2|xz|zst|lz4|zip|Z)$/;
// A rotation running while we look can keep two listings from agreeing; past this, we take the union seen.
const MAX_LISTINGS = 5;

/**
 * Rotated generations of a path in its directory (`app.log.1`, `app.log-20260101`, …),
 * each held open, oldest first. Used to find a file we were reading by identity
 * after it was renamed, the copy made by copytruncate, and generations rotated
 * away before we ever saw them.
 *
 * logrotate shifts its copies (`app.log.1` → `app.log.2` …) by renames; a file
 * renamed between our readdir and our open is missed by that listing, so the
 * directory is listed until two listings hold the same files, and every file
 * seen by any of them is kept.
 */
export class SiblingSnapshot {
  private constructor(private readonly held: Map<string, Sibling>) {}

  static async take(path: string): Promise<SiblingSnapshot> {
    const held = new Map<string, Sibling>();
    let previous = '';
    for (let n = 0; n < MAX_LISTINGS; n++) {
      const seen = await listOnce(path, held);
      if (seen === previous) break;
      previous = seen;
    }
    return new SiblingSnapshot(held);
  }

  /** Oldest first (by mtime). */
  get list(): Sibling[] {
    return [...this.held.values()].sort((a, b) => a.mtimeMs - b.mtimeMs);
  }

  /** Hands a sibling's fd over to its new owner: `close()` leaves it open. */
  adopt(s: Sibling): FileHandle {
    this.held.delete(`${s.dev}:${s.ino}`);
    return s.fh;
  }

  async close(): Promise<void> {
    for (const s of this.held.values()) await s.fh.close().catch(() => {});
    this.held.clear();
  }
}

/** One listing into `held`; returns the listed inodes, sorted, to compare with the next listing. */
async function listOnce(path: string, held: Map<string, Sibling>): Promise<string> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return '';
  }
  const seen: string[] = [];
  for (const name of names) {
    if (name === base || !name.startsWith(base) || COMPRESSED.test(name)) continue;
    const p = join(dir, name);
    let fh: FileHandle;
    try {
      fh = await open(p, 'r');
    } catch {
      continue; // rotated away again while we looked; the next listing finds it
    }
    try {
      const st = await fh.stat();
      const key = `${st.dev}:${st.ino}`;
      if (!st.isFile()) {
        await fh.close();
        continue;
      }
      const known = held.get(key);
      if (known) await fh.close();
      // The latest name, size and mtime; the fd first opened.
      held.set(key, { path: p, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, fh: known?.fh ?? fh });
      seen.push(key);
    } catch {
      await fh.close().catch(() => {});
    }
  }
  return seen.sort().join(',');
}
