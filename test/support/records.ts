// Event batches for tests: built from JSON texts through the product's own encoder of bytes, read back as texts.
import { encodeRecords, type DecodedRecord } from '../../src/buffer/segment-format.js';
import type { EventBatch } from '../../src/output/contract.js';
import { recordJson, recordsFromJson, type RecordBatch } from '../../src/output/record-batch.js';

/** A pipeline batch of these JSON texts; times default to 0 and ids to `e<i>`. */
export function eventBatch(seq: number, jsons: readonly string[], opts: { times?: readonly number[]; ids?: readonly string[] } = {}): EventBatch {
  const times = opts.times ?? jsons.map(() => 0);
  const ids = opts.ids ?? jsons.map((_, i) => `e${i}`);
  return { seq, ...recordsFromJson(jsons, times, ids) };
}

/** The records' JSON texts. */
export function texts(batch: RecordBatch): string[] {
  return Array.from({ length: batch.count }, (_, i) => recordJson(batch, i).toString('utf8'));
}

/** Segment frames for these JSON texts, as the disk buffer writes them; times not given are 0, ids empty. */
export function framesOf(firstId: number, jsons: readonly string[], times: readonly number[] = [], ids: readonly string[] = []): Buffer {
  return encodeRecords(
    firstId,
    recordsFromJson(
      jsons,
      jsons.map((_, i) => times[i] ?? 0),
      jsons.map((_, i) => ids[i] ?? ''),
    ),
  );
}

/** A decoded record's JSON text. */
export function jsonOf(r: DecodedRecord): string {
  return r.buf.toString('utf8', r.jsonStart, r.jsonEnd);
}
