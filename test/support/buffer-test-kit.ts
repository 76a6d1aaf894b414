// Helpers shared by the buffer's unit and CLI tests.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskBuffer } from '../../src/buffer/disk-buffer.js';
import { HEADER_BYTES, MAGIC, segmentFirstId } from '../../src/buffer/segment-format.js';
import type { TakenBatch } from '../../src/buffer/types.js';
import type { EventBatch } from '../../src/output/contract.js';
import { eventBatch, texts } from './records.js';

export const T0 = Date.UTC(2024, 0, 1);
/** Record n's JSON: its number, padded to about `pad` bytes. */
export const rec = (n: number, pad = 0) => JSON.stringify({ n, pad: 'x'.repeat(pad) });
/** A pipeline batch of records from..from+count-1, with times T0+n and event ids `e<n>`. */
export const batch = (seq: number, from: number, count: number, pad = 0): EventBatch =>
  eventBatch(
    seq,
    Array.from({ length: count }, (_, i) => rec(from + i, pad)),
    { times: Array.from({ length: count }, (_, i) => T0 + from + i), ids: Array.from({ length: count }, (_, i) => `e${from + i}`) },
  );
/** The record numbers of a taken batch. */
export const ns = (b: TakenBatch | null) => (b ? texts(b).map((r) => (JSON.parse(r) as { n: number }).n) : []);

/** Byte offsets of the records of a segment's bytes (following their length fields). */
export function recordOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = MAGIC.length; at + HEADER_BYTES <= bytes.length; at += HEADER_BYTES + bytes.readUInt32LE(at)) out.push(at);
  return out;
}

/** Names, sizes, mtimes and content hashes of every file under `dir`: equal snapshots mean nothing was touched. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    const s = await stat(p);
    out[p] = e.isFile() ? `${s.size} ${s.mtimeMs} ${createHash('sha1').update(await readFile(p)).digest('hex')}` : 'dir';
  }
  return out;
}

/** Segment file names in a buffer dir, in id order. */
export const segs = async (dir: string) => (await readdir(dir)).filter((n) => segmentFirstId(n) !== undefined).sort();

export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Ends a take() that found nothing: once the buffer has a taker waiting for
 * data, stop taking (take returns null). Polls the buffer's private waiter list.
 */
export function endWhenIdle(b: DiskBuffer): NodeJS.Timeout {
  return setInterval(() => {
    if ((b as unknown as { dataWaiters: unknown[] }).dataWaiters.length > 0) b.stopTaking();
  }, 10);
}
