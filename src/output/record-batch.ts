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

/** Batches joined into one (one copy of their bytes; a single batch is returned as is). */
export function concatRecords(parts: readonly RecordBatch[]): RecordBatch {
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
  return { count, data: Buffer.concat(nonEmpty.map((p) => p.data), base), ends, times, ids };
}

/**
 * Events' JSON texts as a batch: each encoded straight into one buffer (sizes
 * from Buffer.byteLength), no intermediate Buffer per event.
 */
export function recordsFromJson(jsons: readonly string[], times: ArrayLike<number>, ids: readonly string[]): RecordBatch {
  if (times.length !== jsons.length || ids.length !== jsons.length) throw new Error(`records: ${jsons.length} events with ${times.length} times and ${ids.length} ids`);
  const count = jsons.length;
  const ends = new Uint32Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += Buffer.byteLength(jsons[i]!) + 1;
    ends[i] = total;
  }
  const data = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < count; i++) {
    at += data.write(jsons[i]!, at, 'utf8');
    data[at++] = NEWLINE;
  }
  return { count, data, ends, times: times instanceof Float64Array ? times : Float64Array.from(times), ids };
}

/**
 * Collects records copied from elsewhere (a segment reader's buffer, which it
 * reuses) into one growing buffer: one copy per record, amortised growth.
 */
export class RecordBatchBuilder {
  private data: Buffer;
  private size = 0;
  private ends: Uint32Array;
  private times: Float64Array;
  private readonly ids: string[] = [];

  constructor(initialBytes = 64 * 1024, initialCount = 256) {
    this.data = Buffer.allocUnsafe(initialBytes);
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
    const need = this.size + (end - start) + 1;
    if (need > this.data.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.data.length * 2));
      this.data.copy(grown, 0, 0, this.size);
      this.data = grown;
    }
    const n = this.ids.length;
    if (n === this.ends.length) {
      this.ends = grow(this.ends, new Uint32Array(n * 2));
      this.times = grow(this.times, new Float64Array(n * 2));
    }
    this.size += src.copy(this.data, this.size, start, end);
    this.data[this.size++] = NEWLINE;
    this.ends[n] = this.size;
    this.times[n] = time;
    this.ids.push(id);
  }

  build(): RecordBatch {
    const count = this.ids.length;
    return { count, data: this.data.subarray(0, this.size), ends: this.ends.subarray(0, count), times: this.times.subarray(0, count), ids: this.ids };
  }
}

function grow<T extends Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
