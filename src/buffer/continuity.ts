import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AckPosition } from './ack-file.js';
import { segmentName } from './segment-format.js';

/**
 * Checks that a buffer's state files agree with its segments. Records are
 * numbered consecutively, so what is missing is known by its ids: the first
 * segment must begin right after the acknowledged id, and the acknowledged
 * position must lie inside what the segments hold. Used by DiskBuffer.open
 * (which reports and repairs) and by `buffer verify` (which only reports).
 */

/** `tail.json`, written at a clean close: where the last segment ends and the next record id. */
export interface TailNote {
  readonly segment: number;
  readonly size: number;
  readonly next_id: number;
}

export async function readTailNote(dir: string): Promise<TailNote | undefined> {
  try {
    const t = JSON.parse(await readFile(join(dir, 'tail.json'), 'utf8')) as Partial<TailNote> | null;
    if (t && Number.isSafeInteger(t.segment) && Number.isSafeInteger(t.size) && Number.isSafeInteger(t.next_id)) return t as TailNote;
  } catch {
    // Missing or unreadable: the last segment is scanned instead.
  }
  return undefined;
}

export interface SegmentExtent {
  readonly firstId: number;
  readonly size: number;
}

/**
 * Why `ack` cannot describe these segments, whose last record is `lastId`
 * (undefined when it can). Trusting such a position would skip records, so
 * the caller replays the whole buffer instead.
 */
export function impossibleAck(ack: AckPosition, segments: readonly SegmentExtent[], lastId: number): string | undefined {
  if (segments.length === 0) return undefined;
  if (ack.acked_id > lastId) return `acked_id ${ack.acked_id} is past the last record in the segments (${lastId})`;
  // The position is just past the acknowledged record: at most at the start of the segment after it.
  if (ack.segment > ack.acked_id + 1) return `segment ${segmentName(ack.segment)} begins after acked_id ${ack.acked_id}`;
  const seg = segments.find((s) => s.firstId === ack.segment);
  if (seg && ack.offset > seg.size) return `offset ${ack.offset} is past the end of ${segmentName(ack.segment)} (${seg.size} bytes)`;
  return undefined;
}

/** Records missing before the first segment (or, with none, before `nextId`): ids `first..last`, or undefined. */
export function leadingGap(ackedId: number, firstSegmentId: number | undefined, nextId: number | undefined): { first: number; last: number } | undefined {
  const upTo = firstSegmentId ?? nextId;
  if (upTo === undefined || upTo <= ackedId + 1) return undefined;
  return { first: ackedId + 1, last: upTo - 1 };
}
