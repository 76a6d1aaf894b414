import { recordStart, sliceRecords, type RecordBatch } from '../output/record-batch.js';
import { HEADER_BYTES } from './segment-format.js';

/** The most a tail cache holds, whatever the output's batch size. */
export const TAIL_CACHE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The tail cache's bound for an output whose batches close at `batchMaxBytes`.
 * A delivery loop that keeps up reads right behind the writer: between them
 * lies at most the batch it is filling plus what arrives while it waits for a
 * request slot, about two batches. A reader further behind is replaying a
 * backlog, which a cache of any sane size would not hold either. The 4 MiB cap
 * keeps the cost in resident memory small beside a sidecar's ~128 MiB budget
 * (at the default 5 MiB batches, 4 MiB is still over a second of input at
 * 10,000 events/s, far more than the reader trails by).
 */
export function tailCacheBytes(batchMaxBytes: number): number {
  return Math.min(2 * batchMaxBytes, TAIL_CACHE_MAX_BYTES);
}

/** What the cache needs of a segment: its identity (the object itself) and its place in id order. */
export interface CachedSegment {
  readonly firstId: number;
}

/** The records of one completed write, and where they lie in their segment. */
export interface TailEntry {
  readonly segment: CachedSegment;
  readonly firstId: number;
  /** The pipeline's batch (or a slice of it): views, never copies. */
  readonly records: RecordBatch;
  /** Segment offset of record 0. */
  readonly start: number;
  /** Segment offset just past each record. */
  readonly ends: Float64Array;
}

/**
 * The records a disk buffer wrote last, kept by reference so that a reader
 * right behind the writer takes them from memory instead of reading back,
 * checking and copying the bytes it has just written (Fluent Bit keeps its
 * newest chunks "up" in memory the same way). Entries are added only once
 * their write completed, so the cache never holds a record a read from disk
 * would not find; it holds a contiguous run of the newest ones, and is found
 * by the reader's disk position, so the position moves exactly as a read
 * would move it. Bounded in bytes; acknowledged entries leave at once.
 */
export class TailCache {
  private readonly entries: TailEntry[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes of record data held. */
  get size(): number {
    return this.bytes;
  }

  /** Records `firstId..` were written at `start` in `segment` as the frames `written`. */
  add(segment: CachedSegment, start: number, firstId: number, records: RecordBatch, written: Buffer): void {
    if (records.data.length > this.maxBytes) {
      this.clear();
      return;
    }
    const ends = new Float64Array(records.count);
    // The frame lengths as written: the positions a read would move through.
    for (let i = 0, at = 0; i < records.count; i++) {
      at += HEADER_BYTES + written.readUInt32LE(at);
      ends[i] = start + at;
    }
    this.entries.push({ segment, firstId, records, start, ends });
    this.bytes += records.data.length;
    while (this.bytes > this.maxBytes) this.bytes -= this.entries.shift()!.records.data.length;
  }

  /** The cached record that starts at `offset` of `segment`: its entry and index there. */
  find(segment: CachedSegment, offset: number): { entry: TailEntry; index: number } | undefined {
    // Entries are in write order, which is (segment, offset) order: the last one starting at or before `offset`.
    let lo = 0;
    let hi = this.entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.entries[mid]!;
      if (e.segment.firstId < segment.firstId || (e.segment.firstId === segment.firstId && e.start <= offset)) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const entry = this.entries[found];
    if (!entry || entry.segment !== segment) return undefined;
    if (offset === entry.start) return { entry, index: 0 };
    const index = indexAfter(entry.ends, offset);
    return index === undefined ? undefined : { entry, index };
  }

  /** Records `[from, to)` of an entry: views of the pipeline's bytes. */
  slice(entry: TailEntry, from: number, to: number): RecordBatch {
    return sliceRecords(entry.records, from, to);
  }

  /** Bytes of record `i` of an entry (its JSON and newline). */
  recordBytes(entry: TailEntry, i: number): number {
    return entry.records.ends[i]! - recordStart(entry.records, i);
  }

  /** Drops entries whose every record is acknowledged. */
  release(ackedId: number): void {
    while (this.entries.length > 0) {
      const e = this.entries[0]!;
      if (e.firstId + e.records.count - 1 > ackedId) return;
      this.entries.shift();
      this.bytes -= e.records.data.length;
    }
  }

  clear(): void {
    this.entries.length = 0;
    this.bytes = 0;
  }
}

/** The index of the record that starts at `offset` (just past record index-1), if one does. */
function indexAfter(ends: Float64Array, offset: number): number | undefined {
  let lo = 0;
  let hi = ends.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const e = ends[mid]!;
    if (e === offset) return mid + 1 < ends.length ? mid + 1 : undefined;
    if (e < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
