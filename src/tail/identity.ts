import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { eventKey } from '../event/event-id.js';

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

/** Does `head[0, n)`, the first bytes of a file, start with the head fingerprinted as `fp`? */
export function extendsHead(head: Buffer, n: number, fp: Fingerprint): boolean {
  return fp.len === 0 || (n >= fp.len && crc32(head.subarray(0, fp.len)) === fp.crc);
}

/** The event-id key of one generation of a file (src/event/event-id.ts). */
export function generationKey(id: Identity, generation: number): string {
  return eventKey(`${id.dev}:${id.ino}:${id.fp.len}:${id.fp.crc}:${generation}`);
}

export function sameInode(a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * The last bytes read of a generation (up to `end`): with the head, what tells
 * its copy from another generation's when every generation starts alike (a
 * banner line, a CSV header).
 */
export interface TailMark {
  readonly end: number;
  readonly len: number;
  readonly crc: number;
}

// Long enough to span a line break in most logs: the tails of two lines padded alike still differ there.
export const TAIL_MARK_BYTES = 256;

/** Marks `buf[0, n)`, read at `pos`. */
export function tailMark(buf: Buffer, n: number, pos: number): TailMark {
  const len = Math.min(TAIL_MARK_BYTES, n);
  return { end: pos + n, len, crc: crc32(buf.subarray(n - len, n)) };
}

/** Does the open file hold, before `mark.end`, the bytes marked? */
export async function tailMatches(fh: FileHandle, mark: TailMark, scratch: Buffer): Promise<boolean> {
  if (mark.len === 0) return true;
  if (mark.len > scratch.length) scratch = Buffer.allocUnsafe(mark.len);
  const { bytesRead } = await fh.read(scratch, 0, mark.len, mark.end - mark.len);
  return bytesRead === mark.len && crc32(scratch.subarray(0, mark.len)) === mark.crc;
}
