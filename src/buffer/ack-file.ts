import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

/** `ack.json`: everything up to `acked_id` is delivered; replay starts at `offset` in segment `segment`. */
export interface AckPosition {
  readonly acked_id: number;
  /** First id of the segment replay starts in, and the byte offset in it (just past the acknowledged record). */
  readonly segment: number;
  readonly offset: number;
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
    const a = JSON.parse(text) as Partial<AckPosition> | null;
    if (a && Number.isSafeInteger(a.acked_id) && Number.isSafeInteger(a.segment) && Number.isSafeInteger(a.offset)) {
      return { ack: { acked_id: a.acked_id!, segment: a.segment!, offset: a.offset! }, error: undefined };
    }
    return { ack: undefined, error: 'acked_id, segment or offset missing' };
  } catch (err) {
    return { ack: undefined, error: (err as Error).message };
  }
}

export function writeAck(dir: string, position: AckPosition): Promise<void> {
  return writeFileAtomic(join(dir, 'ack.json'), JSON.stringify(position));
}
