import { open, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CheckpointEntry } from '../checkpoint/entry.js';
import type { CheckpointData } from '../checkpoint/store.js';
import type { InputConfig } from '../config/schema.js';
import { Discovery } from '../tail/discovery.js';
import { fingerprintBytes, generationKey } from '../tail/identity.js';
import type { OldPosition } from './positions.js';

/**
 * The old shipper's positions as logship checkpoint entries (the tailer's
 * ResumePoint, src/tail/resume-point.ts): each file is found by its inode,
 * under its path or, rotated since, beside it; its dev, inode and a
 * fingerprint of its first line are taken from the file as it is now, so
 * logship's first run recognises it and resumes at the imported offset.
 */
export interface ImportResult {
  entries: CheckpointData;
  /** One line per position: imported (where to) or skipped (why). */
  report: string[];
  imported: number;
}

export async function positionsToCheckpoints(inputs: readonly InputConfig[], positions: readonly OldPosition[]): Promise<ImportResult> {
  const discoveries = inputs.map((input) => ({ input, discovery: new Discovery(input.paths, input.exclude) }));
  const result: ImportResult = { entries: {}, report: [], imported: 0 };
  for (const pos of positions) {
    const path = resolve(pos.path);
    const owner = discoveries.find((d) => d.discovery.matches(path));
    if (!owner) {
      result.report.push(`skipped ${path} (${pos.where}): no input of the config tails it`);
      continue;
    }
    const found = await findByInode(path, pos.inode);
    if (!found) {
      result.report.push(`skipped ${path} (${pos.where}): no file with inode ${pos.inode} under that path or beside it (deleted since)`);
      continue;
    }
    if (found.st.size < pos.offset) {
      result.report.push(`skipped ${path} (${pos.where}): ${found.path} holds ${found.st.size} bytes, fewer than the position ${pos.offset} (truncated since); logship reads it per start_at`);
      continue;
    }
    const entry = await entryFor(path, found.path, found.st, pos.offset, owner.input.fingerprint_bytes);
    const list = (result.entries[owner.input.name] ??= []);
    if (list.some((e) => e.dev === entry.dev && e.ino === entry.ino)) {
      result.report.push(`skipped ${path} (${pos.where}): inode ${pos.inode} was imported already from another position`);
      continue;
    }
    list.push(entry);
    result.imported++;
    const at = found.path === path ? '' : ` (now ${found.path})`;
    result.report.push(`imported ${path}${at}: resumes at byte ${pos.offset} of ${found.st.size}, input ${owner.input.name}`);
  }
  return result;
}

/** The file with `inode`: at `path`, else a sibling in its directory (rotated to app.log.1). */
async function findByInode(path: string, inode: number): Promise<{ path: string; st: Stats } | undefined> {
  const atPath = await stat(path).catch(() => undefined);
  if (atPath?.isFile() && atPath.ino === inode) return { path, st: atPath };
  const dir = dirname(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const candidate = join(dir, name);
    const st = await stat(candidate).catch(() => undefined);
    if (st?.isFile() && st.ino === inode) return { path: candidate, st };
  }
  return undefined;
}

async function entryFor(tailedAs: string, file: string, st: Stats, offset: number, fingerprintCap: number): Promise<CheckpointEntry> {
  const head = Buffer.alloc(fingerprintCap);
  const fh = await open(file, 'r');
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, fingerprintCap, 0));
  } finally {
    await fh.close();
  }
  const fp = fingerprintBytes(head, n, fingerprintCap);
  return {
    // The event-id key as the tailer derives it for generation 0; empty while the head is provisional (the tailer does the same).
    key: fp.final ? generationKey({ dev: st.dev, ino: st.ino, fp }, 0) : '',
    path: tailedAs,
    dev: st.dev,
    ino: st.ino,
    fp_len: fp.len,
    fp_crc: fp.crc,
    fp_final: fp.final,
    generation: 0,
    offset,
    mtime_ms: st.mtimeMs,
  };
}
