import type { Fingerprint } from './identity.js';

/**
 * Where the tailer takes a file generation up again after a restart: its
 * identity (inode, head fingerprint, generation) and the first byte not yet
 * durably handed off. The checkpoint file persists these fields as they are.
 */
export interface ResumePoint {
  /** Event-id prefix of the generation (empty if no line was emitted yet). */
  key: string;
  /** Where the file was tailed; a rotated file is looked up beside it by identity. */
  path: string;
  dev: number;
  ino: number;
  fp_len: number;
  fp_crc: number;
  fp_final: boolean;
  generation: number;
  /** Byte offset of the first line not yet durably handed off. */
  offset: number;
  /** Last modification time seen: generations written after it were rotated away unseen. */
  mtime_ms: number;
}

export function fingerprintOf(p: ResumePoint): Fingerprint {
  return { len: p.fp_len, crc: p.fp_crc, final: p.fp_final };
}

/** The most recently modified point tailed under `path`: the generation the path held when we stopped. */
export function latestAt(points: readonly ResumePoint[], path: string): ResumePoint | undefined {
  let latest: ResumePoint | undefined;
  for (const p of points) if (p.path === path && (!latest || p.mtime_ms > latest.mtime_ms)) latest = p;
  return latest;
}
