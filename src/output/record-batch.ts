/**
 * Events as bytes, encoded once by the pipeline and moved untouched to the
 * socket or the file (docs/architecture.md, "The data path").
 *
 * `data` is NDJSON: each event's JSON followed by one `\n` (JSON.stringify
 * never emits a raw newline). Record `i` is `data[ends[i-1] ?? 0, ends[i])`,
 * its newline included, so a `file` or `stdout` output writes `data` as is and
 * an Elasticsearch body puts an action line before each record.
 */
export interface RecordBatch {
  readonly count: number;
  readonly data: Buffer;
  /** End of each record in `data`, just past its newline. */
  readonly ends: Uint32Array;
  /** Each event's `@timestamp` in epoch ms (NaN when it has none a Date can hold). */
  readonly times: Float64Array;
  /** Each event's `event.id` (also inside its JSON): ASCII, at most 255 bytes. */
  readonly ids: readonly string[];
}

const NEWLINE = 0x0a;

export const EMPTY_RECORDS: RecordBatch = { count: 0, data: Buffer.alloc(0), ends: new Uint32Array(0), times: new Float64Array(0), ids: [] };

export function recordStart(batch: RecordBatch, i: number): number {
  return i === 0 ? 0 : batch.ends[i - 1]!;
}

/** Record `i`'s JSON, without its newline (a view of `data`, not a copy). */
export function recordJson(batch: RecordBatch, i: number): Buffer {
  return batch.data.subarray(recordStart(batch, i), batch.ends[i]! - 1);
}

/** Records `[from, to)` as a batch sharing this one's bytes. */
export function sliceRecords(batch: RecordBatch, from: number, to: number): RecordBatch {
  if (from === 0 && to === batch.count) return batch;
  const base = recordStart(batch, from);
  const ends = new Uint32Array(to - from);
  for (let i = from; i < to; i++) ends[i - from] = batch.ends[i]! - base;
  return {
    count: to - from,
    data: batch.data.subarray(base, to === 0 ? 0 : batch.ends[to - 1]),
    ends,
    times: batch.times.subarray(from, to),
    ids: batch.ids.slice(from, to),
  };
}

/**
 * Batches joined into one (one copy of their bytes, into `alloc(size)` when
 * given; a single batch is returned as is).
 */
export function concatRecords(parts: readonly RecordBatch[], alloc?: (size: number) => Buffer): RecordBatch {
  const nonEmpty = parts.filter((p) => p.count > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? EMPTY_RECORDS;
  let count = 0;
  for (const p of nonEmpty) count += p.count;
  const ends = new Uint32Array(count);
  const times = new Float64Array(count);
  const ids = new Array<string>(count);
  let n = 0;
  let base = 0;
  for (const p of nonEmpty) {
    for (let i = 0; i < p.count; i++, n++) {
      ends[n] = base + p.ends[i]!;
      times[n] = p.times[i]!;
      ids[n] = p.ids[i]!;
    }
    base += p.data.length;
  }
  // What Buffer.concat does, into the caller's buffer when it gives one.
  const data = alloc === undefined ? Buffer.allocUnsafe(base) : alloc(base);
  let at = 0;
  for (const p of nonEmpty) at += p.data.copy(data, at);
  return { count, data, ends, times, ids };
}

/** Events' JSON texts as a batch. */
export function recordsFromJson(jsons: readonly string[], times: ArrayLike<number>, ids: readonly string[]): RecordBatch {
  if (times.length !== jsons.length || ids.length !== jsons.length) throw new Error(`records: ${jsons.length} events with ${times.length} times and ${ids.length} ids`);
  const builder = new RecordBatchBuilder();
  for (let i = 0; i < jsons.length; i++) builder.addText(jsons[i]!, times[i]!, ids[i]!);
  return builder.build();
}

/**
 * Collects records into one growing buffer, amortised growth: bytes copied
 * from elsewhere (a segment reader's buffer, which it reuses), or an event's
 * JSON text encoded straight into it (so an encoder holds bytes, not the
 * strings, until the batch is done). Its buffers are never Node's shared
 * pool, so they can be transferred to another thread.
 */
export class RecordBatchBuilder {
  private data: Buffer;
  private size = 0;
  private ends: Uint32Array;
  private times: Float64Array;
  private readonly ids: string[] = [];

  constructor(initialBytes = 64 * 1024, initialCount = 256) {
    this.data = Buffer.allocUnsafeSlow(initialBytes);
    this.ends = new Uint32Array(initialCount);
    this.times = new Float64Array(initialCount);
  }

  get count(): number {
    return this.ids.length;
  }

  /** Bytes collected, newlines included. */
  get bytes(): number {
    return this.size;
  }

  /** Appends the JSON in `src[start, end)` and its newline. */
  add(src: Buffer, start: number, end: number, time: number, id: string): void {
    this.reserve(end - start + 1);
    this.size += src.copy(this.data, this.size, start, end);
    this.endRecord(time, id);
  }

  /** Appends a JSON text as UTF-8, and its newline. */
  addText(json: string, time: number, id: string): void {
    // At most 3 bytes per UTF-16 unit (counted exactly for a long text, whose worst case would be a large reserve).
    this.reserve((json.length > 65_536 ? Buffer.byteLength(json) : json.length * 3) + 1);
    this.size += this.data.write(json, this.size, 'utf8');
    this.endRecord(time, id);
  }

  private reserve(bytes: number): void {
    const need = this.size + bytes;
    if (need <= this.data.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(need, this.data.length * 2));
    this.data.copy(grown, 0, 0, this.size);
    this.data = grown;
  }

  private endRecord(time: number, id: string): void {
    const n = this.ids.length;
    if (n === this.ends.length) {
      this.ends = grow(this.ends, new Uint32Array(n * 2));
      this.times = grow(this.times, new Float64Array(n * 2));
    }
    this.data[this.size++] = NEWLINE;
    this.ends[n] = this.size;
    this.times[n] = time;
    this.ids.push(id);
  }

  build(): RecordBatch {
    const count = this.ids.length;
    // A batch may be held for long (a memory buffer, a backlog): room it will never use is given back, at the cost of one copy.
    let data = this.data.subarray(0, this.size);
    if (this.data.length - this.size > Math.max(4096, this.size >> 2)) {
      data = Buffer.allocUnsafeSlow(this.size);
      this.data.copy(data, 0, 0, this.size);
    }
    return { count, data, ends: this.ends.slice(0, count), times: this.times.slice(0, count), ids: this.ids };
  }
}

function grow<T extends Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
