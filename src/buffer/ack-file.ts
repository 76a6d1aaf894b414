import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir } from '../util/atomic-write.js';
import { writeAll } from '../util/write-all.js';

/** `ack.json`: everything up to `acked_id` is delivered; replay starts at `offset` in segment `segment`. */
export interface AckPosition {
  readonly acked_id: number;
  /** First id of the segment replay starts in, and the byte offset in it (just past the acknowledged record). */
  readonly segment: number;
  readonly offset: number;
}

/**
 * The file's fixed size. It is rewritten in place (one write at offset 0, then
 * fsync) rather than replaced through a temp file: overwriting blocks a file
 * already has needs no free space, so acknowledging, and then freeing
 * segments, works on a full disk. The record is JSON padded with spaces, with
 * a CRC: a torn write is detected and replays the buffer (duplicates, not loss).
 */
export const ACK_FILE_BYTES = 128;

function checksum(a: AckPosition): number {
  return crc32(`${a.acked_id},${a.segment},${a.offset}`);
}

export function encodeAck(a: AckPosition): Buffer {
  const out = Buffer.alloc(ACK_FILE_BYTES, ' ');
  out.write(JSON.stringify({ acked_id: a.acked_id, segment: a.segment, offset: a.offset, crc: checksum(a) }), 0, 'latin1');
  out[ACK_FILE_BYTES - 1] = 0x0a;
  return out;
}

/** The buffer's acknowledged position: missing is no position; anything unusable is an error, named. */
export async function readAck(dir: string): Promise<{ ack: AckPosition | undefined; error: string | undefined }> {
  let text: string;
  try {
    text = await readFile(join(dir, 'ack.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ack: undefined, error: undefined };
    return { ack: undefined, error: (err as Error).message };
  }
  try {
    const a = JSON.parse(text) as (Partial<AckPosition> & { crc?: unknown }) | null;
    if (!a || !Number.isSafeInteger(a.acked_id) || !Number.isSafeInteger(a.segment) || !Number.isSafeInteger(a.offset)) {
      return { ack: undefined, error: 'acked_id, segment or offset missing' };
    }
    const ack = { acked_id: a.acked_id!, segment: a.segment!, offset: a.offset! };
    // Without a crc it is the format before in-place writes: read once, rewritten in the new form by the next acknowledgement.
    if (a.crc !== undefined && a.crc !== checksum(ack)) return { ack: undefined, error: 'checksum mismatch (a torn or edited write)' };
    if (ack.acked_id < -1 || ack.segment < 0 || ack.offset < 0) return { ack: undefined, error: 'negative acked_id, segment or offset' };
    return { ack, error: undefined };
  } catch (err) {
    return { ack: undefined, error: (err as Error).message };
  }
}

/** Rewrites the position in place and fsyncs it; creates the file (a first start) only when it is missing. */
export async function writeAck(dir: string, position: AckPosition): Promise<void> {
  const file = join(dir, 'ack.json');
  let created = false;
  const fh = await open(file, 'r+').catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    created = true;
    return open(file, 'w');
  });
  try {
    await writeAll(fh, encodeAck(position), 0);
    await fh.sync();
  } catch (err) {
    // A file created but never written would read as unusable (a whole replay): leave none instead.
    if (created) await unlink(file).catch(() => {});
    throw err;
  } finally {
    await fh.close();
  }
  if (created) await fsyncDir(dir);
}
