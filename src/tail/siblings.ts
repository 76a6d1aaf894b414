import { readdir, stat, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { headMatches, type Fingerprint } from './identity.js';

export interface Sibling {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

// We cannot read compressed generations; logrotate's delaycompress keeps the first one plain.
const COMPRESSED = /\.(?:gz|bz2|xz|zst|lz4|zip|Z)$/;

/**
 * Rotated generations of `path` in its directory: `app.log.1`, `app.log-20260101`, …
 * Used to find a file we were reading by identity after it was renamed, the copy
 * made by copytruncate, and generations rotated away before we ever saw them.
 */
export async function listSiblings(path: string): Promise<Sibling[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: Sibling[] = [];
  for (const name of names) {
    if (name === base || !name.startsWith(base) || COMPRESSED.test(name)) continue;
    const p = join(dir, name);
    try {
      const st = await stat(p);
      if (st.isFile()) out.push({ path: p, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // Rotated away again while we looked.
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs);
}

/** Does the file at `path` start with the head fingerprinted as `fp`? */
export async function hasHead(path: string, fp: Fingerprint, scratch: Buffer): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      return await headMatches(fh, fp, scratch);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}
