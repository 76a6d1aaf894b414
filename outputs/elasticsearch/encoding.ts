import type { EventBatch } from '../types.js';
import type { Target } from './target.js';

/**
 * One batch ready for `_bulk`: each event's action line (`create` with its
 * index and `_id` = event.id) and document, built once however many times an
 * item is sent again. The body of a request is the NDJSON of some of them.
 */
export class BulkItems {
  readonly actions: string[];
  readonly docs: readonly string[];
  readonly indexes: string[];
  /** UTF-8 bytes each item adds to a body. */
  readonly sizes: Int32Array;

  constructor(
    readonly batch: EventBatch,
    target: Target,
  ) {
    const n = batch.records.length;
    this.actions = new Array<string>(n);
    this.indexes = new Array<string>(n);
    this.docs = target.dataStream ? batch.records.map((r) => target.document(r)) : batch.records;
    this.sizes = new Int32Array(n);
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
      // The action line is ASCII (index names and ids are); the document may not be.
      this.sizes[i] = this.actions[i]!.length + Buffer.byteLength(this.docs[i]!) + 2;
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

  /** `which` cut into runs whose bodies stay within `maxBytes` (an item bigger than that goes alone). */
  *chunks(which: readonly number[], maxBytes: number): Generator<number[]> {
    let chunk: number[] = [];
    let bytes = 0;
    for (const i of which) {
      const size = this.sizes[i]!;
      if (chunk.length > 0 && bytes + size > maxBytes) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(i);
      bytes += size;
    }
    if (chunk.length > 0) yield chunk;
  }
}
