import type { EventBatch } from '../types.js';
import type { Target } from './target.js';

/**
 * One batch ready for `_bulk`: each event's action line (`create` with its
 * index and `_id` = event.id) and document, built once however many times an
 * item is sent again. The body of a request is the NDJSON of some of them;
 * the batch's size was bounded by the delivery loop (batch.max_bytes counts
 * the action lines), so the first request carries all of it.
 */
export class BulkItems {
  readonly actions: string[];
  readonly docs: readonly string[];
  readonly indexes: string[];

  constructor(
    readonly batch: EventBatch,
    target: Target,
  ) {
    const n = batch.records.length;
    this.actions = new Array<string>(n);
    this.indexes = new Array<string>(n);
    this.docs = target.dataStream ? batch.records.map((r) => target.document(r)) : batch.records;
    let lastIndex = '';
    let prefix = '';
    for (let i = 0; i < n; i++) {
      const index = target.indexFor(batch.times[i]!);
      // Consecutive events almost always share an index: its part of the action line is built once per run.
      if (index !== lastIndex) {
        lastIndex = index;
        prefix = `{"create":{"_index":${JSON.stringify(index)},"_id":`;
      }
      this.indexes[i] = index;
      this.actions[i] = `${prefix}${JSON.stringify(batch.ids[i])}}}`;
    }
  }

  get length(): number {
    return this.actions.length;
  }

  /** The NDJSON body for items `which` (ES wants the final newline). */
  body(which: readonly number[]): string {
    let out = '';
    for (const i of which) out += `${this.actions[i]}\n${this.docs[i]}\n`;
    return out;
  }
}
