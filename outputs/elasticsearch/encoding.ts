import type { EventBatch } from '../../src/output/contract.js';
import type { BufferPool } from '../../src/util/buffer-pool.js';
import { recordStart } from '../../src/output/record-batch.js';
import type { Target } from './target.js';

/** A `data_stream` key in a document, when it follows `{` or `,` (inside a JSON string a quote is always escaped). */
const DATA_STREAM_KEY = Buffer.from('"data_stream":');
const ACTION_END = Buffer.from('"}}\n');

/**
 * One batch ready for `_bulk`: each event's action line (`create` with its
 * index and `_id` = event.id) and its document, the bytes the encoder made,
 * never parsed again. For a data stream the `data_stream` fields are spliced
 * in place of the document's closing brace, on the bytes. The body of a
 * request is the NDJSON of some items; the batch's size was bounded by the
 * delivery loop (batch.max_bytes counts the action lines), so the first
 * request carries all of it.
 */
export class BulkItems {
  readonly indexes: string[];
  /** The action line's bytes up to the `_id` value, per item (shared by a run of items with the same index). */
  private readonly prefixes: Buffer[];
  /** 1 where a data stream's fields are spliced into the document. */
  private readonly splice: Uint8Array;

  constructor(
    readonly batch: EventBatch,
    private readonly target: Target,
    /** `index` actions without `_id`, the server picks it (OpenSearch Serverless time-series collections refuse ids). */
    private readonly serverIds = false,
  ) {
    const n = batch.count;
    this.indexes = new Array<string>(n);
    this.prefixes = new Array<Buffer>(n);
    let lastIndex = '';
    let prefix = Buffer.alloc(0);
    for (let i = 0; i < n; i++) {
      const index = target.indexFor(batch.times[i]!, batch, i);
      // Consecutive events almost always share an index: its part of the action line is built once per run.
      if (index !== lastIndex) {
        lastIndex = index;
        prefix = Buffer.from(serverIds ? `{"index":{"_index":${JSON.stringify(index)}}}\n` : `{"create":{"_index":${JSON.stringify(index)},"_id":"`);
      }
      this.indexes[i] = index;
      this.prefixes[i] = prefix;
    }
    this.splice = new Uint8Array(n);
    if (target.dataStreamFields !== undefined) this.markSplices();
  }

  get length(): number {
    return this.batch.count;
  }

  /** The NDJSON body for items `which` (ES wants the final newline), in one buffer: `pool`'s when given. */
  body(which: readonly number[], pool?: BufferPool): Buffer {
    const { batch } = this;
    let total = 0;
    for (const i of which) total += this.prefixes[i]!.length + this.idBytes(i) + this.documentBytes(i) + 1;
    const out = pool ? pool.take(total) : Buffer.allocUnsafe(total);
    let at = 0;
    for (const i of which) {
      at += this.prefixes[i]!.copy(out, at);
      if (!this.serverIds) {
        at += out.write(jsonStringContent(batch.ids[i]!), at, 'utf8');
        at += ACTION_END.copy(out, at);
      }
      at = this.writeDocument(i, out, at);
    }
    return out;
  }

  /** Item `i`'s document as sent (for the dead-letter file). */
  document(i: number): Buffer {
    const out = Buffer.allocUnsafe(this.documentBytes(i) + 1);
    this.writeDocument(i, out, 0);
    return out.subarray(0, out.length - 1);
  }

  /** The `_id` value and the action line's end. */
  private idBytes(i: number): number {
    return this.serverIds ? 0 : Buffer.byteLength(jsonStringContent(this.batch.ids[i]!)) + ACTION_END.length;
  }

  private documentBytes(i: number): number {
    const json = this.batch.ends[i]! - 1 - recordStart(this.batch, i);
    // `{…}` becomes `{…,fields}`; `{}` becomes `{fields}`.
    return this.splice[i] === 0 ? json : json + this.target.dataStreamFields!.length + (json <= 2 ? 0 : 1);
  }

  /** Writes item `i`'s document and its newline at `at`; returns the offset past them. */
  private writeDocument(i: number, out: Buffer, at: number): number {
    const { data, ends } = this.batch;
    const start = recordStart(this.batch, i);
    if (this.splice[i] === 0) return at + data.copy(out, at, start, ends[i]);
    const close = ends[i]! - 2;
    at += data.copy(out, at, start, close);
    if (close - start > 1) out[at++] = 0x2c; // ','
    at += this.target.dataStreamFields!.copy(out, at);
    out[at++] = 0x7d; // '}'
    out[at++] = 0x0a;
    return at;
  }

  /** Items whose documents have no data_stream key of their own: one scan of the batch's bytes. */
  private markSplices(): void {
    const { data, ends, count } = this.batch;
    this.splice.fill(1);
    let item = 0;
    for (let at = data.indexOf(DATA_STREAM_KEY); at !== -1; at = data.indexOf(DATA_STREAM_KEY, at + 1)) {
      while (item < count && ends[item]! <= at) item++;
      // A key's opening quote follows `{` or `,` (JSON.stringify adds no whitespace); `"x\"data_stream":` is no such key.
      const before = data[at - 1];
      if (item < count && (before === 0x7b || before === 0x2c)) this.splice[item] = 0;
    }
  }
}

/** `text` as the inside of a JSON string: our ids (hex) as they are, anything else escaped. */
function jsonStringContent(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(text).slice(1, -1);
  }
  return text;
}
