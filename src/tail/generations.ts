import type { FileHandle } from 'node:fs/promises';
import { headMatches, tailMatches, type Fingerprint, type TailMark } from './identity.js';
import type { Sibling, SiblingSnapshot } from './siblings.js';

// A copy that keeps its source's mtime may store it coarser (µs via utimes, 2 s on FAT) than we read it.
const MTIME_SLACK_MS = 2000;

/** What we know of a generation that left its path before we read it to its end. */
export interface GoneGeneration {
  readonly fp: Fingerprint;
  /** The last bytes read of it, if any were. */
  readonly tail: TailMark | undefined;
  /** First byte not emitted: where reading goes on in its copy. */
  readonly resumeAt: number;
  /** Its mtime when last seen: a copy of it was made at or after this. */
  readonly since: number;
}

/**
 * Finds the copy of `gone` among siblings not tailed yet (`isKnown` says which
 * are): one that starts with the head we fingerprinted (a provisional head as
 * a prefix) and holds the last bytes we read of it, wherever rotations since
 * have moved it (`app.log.1`, or `app.log.9` after eight more). Oldest first:
 * copies of later generations are newer, and may start alike.
 *
 * A generation we saw nothing of (empty when opened) has nothing to match by:
 * its copy is among the generations written since, taken as missed.
 */
export async function findCopy(
  snapshot: SiblingSnapshot,
  gone: GoneGeneration,
  isKnown: (s: Sibling) => boolean,
  scratch: Buffer,
): Promise<Sibling | undefined> {
  if (gone.fp.len === 0) return undefined;
  for (const s of snapshot.list) {
    if (s.mtimeMs < gone.since - MTIME_SLACK_MS || s.size < gone.resumeAt || isKnown(s)) continue;
    if (!(await headMatches(s.fh, gone.fp, scratch))) continue;
    // A copy made before our last read (logrotate copies, then truncates a moment later) is shorter than what we read: the head must do.
    if (gone.tail && s.size >= gone.tail.end && !(await tailMatches(s.fh, gone.tail, scratch))) continue;
    return s;
  }
  return undefined;
}

/**
 * Siblings written since `since` that we never tailed, oldest first: the
 * generations rotated away while we were behind. The caller still drops
 * copies of generations it has read.
 */
export function writtenSince(snapshot: SiblingSnapshot, since: number, isKnown: (s: Sibling) => boolean): Sibling[] {
  return snapshot.list.filter((s) => s.mtimeMs >= since && !isKnown(s));
}

const REMEMBERED = 4096;

/**
 * Generations already read under one path, by head and last bytes read, to
 * tell their copies (made by copytruncate, or left by a rotation scheme that
 * keeps both) from generations we missed. When every generation starts alike,
 * the last bytes read tell them apart.
 */
export class ReadGenerations {
  private readonly byHead = new Map<string, (TailMark | undefined)[]>();
  private count = 0;

  remember(fp: Fingerprint, tail: TailMark | undefined): void {
    if (fp.len === 0) return;
    if (this.count >= REMEMBERED) {
      this.byHead.clear();
      this.count = 0;
    }
    const key = headKey(fp);
    const tails = this.byHead.get(key);
    if (tails) tails.push(tail);
    else this.byHead.set(key, [tail]);
    this.count++;
  }

  /**
   * Is `s`, whose head fingerprints as `fp`, a copy of a generation read here
   * or being read (`live`)? Past the head, the last bytes read tell; for a
   * live generation not read yet, the first bytes past the head do. Where
   * nothing tells (a copy shorter than what we read), it is taken as a copy:
   * only when two generations start alike can that guess be wrong.
   */
  async isCopy(s: Sibling, fp: Fingerprint, live: readonly LiveGeneration[], scratch: Buffer): Promise<boolean> {
    if (fp.len === 0) return false;
    const key = headKey(fp);
    for (const tail of this.byHead.get(key) ?? []) {
      if (await holdsTail(s, tail, scratch)) return true;
    }
    for (const f of live) {
      if (headKey(f.id.fp) !== key) continue;
      if (f.tail ? await holdsTail(s, f.tail, scratch) : await samePrefix(s.fh, f.fh)) return true;
    }
    return false;
  }
}

export interface LiveGeneration {
  readonly fh: FileHandle;
  readonly id: { readonly fp: Fingerprint };
  readonly tail: TailMark | undefined;
}

async function holdsTail(s: Sibling, tail: TailMark | undefined, scratch: Buffer): Promise<boolean> {
  return !tail || s.size < tail.end || (await tailMatches(s.fh, tail, scratch));
}

const PREFIX_BYTES = 4096;

/** Do two files start with the same bytes, as far as the shorter goes (within PREFIX_BYTES)? */
async function samePrefix(a: FileHandle, b: FileHandle): Promise<boolean> {
  const x = Buffer.allocUnsafe(PREFIX_BYTES);
  const y = Buffer.allocUnsafe(PREFIX_BYTES);
  const [ra, rb] = await Promise.all([a.read(x, 0, PREFIX_BYTES, 0), b.read(y, 0, PREFIX_BYTES, 0)]);
  const n = Math.min(ra.bytesRead, rb.bytesRead);
  return x.subarray(0, n).equals(y.subarray(0, n));
}

function headKey(fp: Fingerprint): string {
  return `${fp.len}:${fp.crc}`;
}
