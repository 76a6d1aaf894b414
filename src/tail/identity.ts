import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/**
 * A file generation is dev + inode + a fingerprint of its head. The inode alone
 * is not enough: a deleted file's inode is reused by the next file created.
 *
 * The fingerprint covers the first line, capped at `fingerprint_bytes`: a
 * complete first line never changes while the file lives, so the identity (and
 * the event ids derived from it) are the same on every read and every restart.
 * A head without a newline yet is a provisional fingerprint that only has to
 * match as a prefix, and is extended once the file grows.
 */
export interface Fingerprint {
  /** Bytes hashed. */
  readonly len: number;
  readonly crc: number;
  /** False while the head holds no newline and is shorter than the cap. */
  readonly final: boolean;
}

export interface Identity {
  readonly dev: number;
  readonly ino: number;
  fp: Fingerprint;
}

const EMPTY: Fingerprint = { len: 0, crc: 0, final: false };

/** Reads the head of an open file and fingerprints it. */
export async function readFingerprint(fh: FileHandle, cap: number, scratch: Buffer): Promise<Fingerprint> {
  const want = Math.min(cap, scratch.length);
  const { bytesRead } = await fh.read(scratch, 0, want, 0);
  return fingerprintBytes(scratch, bytesRead, want);
}

/** Fingerprints `head[0, len)`, the first bytes of a file, hashing at most `cap` of them. */
export function fingerprintBytes(head: Buffer, len: number, cap: number): Fingerprint {
  if (len === 0) return EMPTY;
  const n = Math.min(len, cap);
  const nl = head.indexOf(0x0a);
  if (nl !== -1 && nl < n) return { len: nl + 1, crc: crc32(head.subarray(0, nl + 1)), final: true };
  return { len: n, crc: crc32(head.subarray(0, n)), final: n === cap };
}

/**
 * Does a file whose head fingerprints as `actual` hold the same content as `known`?
 * A provisional `known` must be a prefix of what the file holds now.
 */
export async function headMatches(fh: FileHandle, known: Fingerprint, scratch: Buffer): Promise<boolean> {
  if (known.len === 0) return true;
  // A checkpoint written with a larger fingerprint_bytes than today's still compares whole.
  if (known.len > scratch.length) scratch = Buffer.allocUnsafe(known.len);
  const { bytesRead } = await fh.read(scratch, 0, known.len, 0);
  return bytesRead === known.len && crc32(scratch.subarray(0, known.len)) === known.crc;
}

/** Event ids are `<key><offset>`; one hash per generation, none per event. */
export function generationKey(id: Identity, generation: number): string {
  return createHash('sha256')
    .update(`${id.dev}:${id.ino}:${id.fp.len}:${id.fp.crc}:${generation}`)
    .digest('hex')
    .slice(0, 16);
}

export function sameInode(a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
