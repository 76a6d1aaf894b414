import { concatRecords, type RecordBatch } from '../output/record-batch.js';
import type { TakenBatch, TakenParts } from './types.js';

/** Consecutive takes as one batch: one copy of their bytes (into `alloc(size)` when given), none for a single view. */
export function joinTaken(takes: readonly TakenParts[], alloc?: (size: number) => Buffer): TakenBatch {
  const parts: RecordBatch[] = [];
  let bytes = 0;
  for (const t of takes) {
    parts.push(...t.parts);
    bytes += t.bytes;
  }
  return { ...concatRecords(parts, alloc), firstId: takes[0]!.firstId, lastId: takes.at(-1)!.lastId, bytes };
}

/** A buffer's take(): its takeParts(), joined. */
export async function joinedTake(taken: Promise<TakenParts | null | 'idle'>): Promise<TakenBatch | null | 'idle'> {
  const t = await taken;
  return t === null || t === 'idle' ? t : joinTaken([t]);
}
