import type { EventBatch } from '../output/contract.js';
import { EMPTY_RECORDS, recordStart, sliceRecords, type RecordBatch } from '../output/record-batch.js';
import { joinedTake } from './taken.js';
import type { BufferStats, OutputBuffer, TakenBatch, TakenParts } from './types.js';
import { takeOrWait } from './wait.js';

export interface MemoryBufferOptions {
  readonly maxSize: number;
  readonly whenFull: 'block' | 'drop_newest';
  /** With no disk, "durable" means acknowledged by the output: checkpoints move only then. */
  readonly onDurable: (seq: number) => void;
}

interface Entry {
  readonly seq: number;
  readonly firstId: number;
  /** The pipeline's batch itself: the queue holds references, never copies. */
  readonly records: RecordBatch;
}

/**
 * `buffer.type: memory`: a bounded in-memory queue for users who want no disk.
 * A crash loses nothing either: file checkpoints advance only when the output
 * acknowledges, so unacknowledged events are read again from the source files.
 */
export class MemoryBuffer implements OutputBuffer {
  private readonly entries: Entry[] = [];
  private nextId = 0;
  private ackedId = -1;
  /** The next record to hand out. */
  private cursor = 0;
  private bytes = 0;
  private droppedEvents = 0;
  private closed = false;
  private interrupted = false;
  private takingStopped = false;
  private readonly dataWaiters: (() => void)[] = [];
  private readonly roomWaiters: (() => void)[] = [];

  constructor(private readonly opts: MemoryBufferOptions) {}

  async open(): Promise<void> {}

  get drained(): boolean {
    return this.ackedId >= this.nextId - 1;
  }

  stats(): BufferStats {
    return {
      bytes: this.bytes,
      pending: this.nextId - 1 - this.ackedId,
      droppedEvents: this.droppedEvents,
      quarantinedPlaces: 0,
      quarantinedBytes: 0,
      lostRecords: 0,
      dirVanished: 0,
      diskFull: false,
      writeErrors: {},
    };
  }

  interrupt(): void {
    this.interrupted = true;
    for (const w of this.roomWaiters.splice(0)) w();
  }

  async append(batch: EventBatch): Promise<void> {
    if (this.closed || this.interrupted) return;
    let records: RecordBatch = batch;
    let bytes = batch.data.length;
    if (this.bytes + bytes > this.opts.maxSize && !this.drained) {
      if (this.opts.whenFull === 'drop_newest') {
        this.droppedEvents += records.count;
        records = EMPTY_RECORDS;
        bytes = 0;
      } else {
        while (this.bytes + bytes > this.opts.maxSize && !this.drained && !this.closed && !this.interrupted) {
          await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
        }
        if (this.closed || this.interrupted) return;
      }
    }
    // An empty entry (nothing, or all dropped) still carries its seq, reported in order with the rest.
    this.entries.push({ seq: batch.seq, firstId: this.nextId, records });
    this.nextId += records.count;
    this.bytes += bytes;
    this.settle();
    for (const w of this.dataWaiters.splice(0)) w();
  }

  stopTaking(): void {
    this.takingStopped = true;
    for (const w of this.dataWaiters.splice(0)) w();
  }

  take(maxEvents: number, maxBytes: number): Promise<TakenBatch | null>;
  take(maxEvents: number, maxBytes: number, maxWaitMs: number, recordOverhead?: number): Promise<TakenBatch | null | 'idle'>;
  take(maxEvents: number, maxBytes: number, maxWaitMs = Infinity, recordOverhead = 0): Promise<TakenBatch | null | 'idle'> {
    return joinedTake(this.takeParts(maxEvents, maxBytes, maxWaitMs, recordOverhead));
  }

  takeParts(maxEvents: number, maxBytes: number, maxWaitMs: number, recordOverhead: number): Promise<TakenParts | null | 'idle'> {
    return takeOrWait(() => (this.cursor < this.nextId ? this.collect(maxEvents, maxBytes, recordOverhead) : null), () => this.closed || this.takingStopped, this.dataWaiters, maxWaitMs);
  }

  /** Views of the queued batches' bytes. */
  private collect(maxEvents: number, maxBytes: number, recordOverhead: number): TakenParts {
    const parts: RecordBatch[] = [];
    let count = 0;
    let bytes = 0;
    const firstId = this.cursor;
    for (const e of this.entries) {
      const r = e.records;
      if (e.firstId + r.count <= this.cursor) continue;
      const from = this.cursor - e.firstId;
      let to = from;
      for (; to < r.count && count < maxEvents && bytes < maxBytes; to++, count++) {
        bytes += r.ends[to]! - recordStart(r, to) + recordOverhead;
      }
      parts.push(sliceRecords(r, from, to));
      this.cursor += to - from;
      if (count >= maxEvents || bytes >= maxBytes) break;
    }
    return { parts, count, firstId, lastId: this.cursor - 1, bytes };
  }

  /** Nothing survives a restart. */
  readonly durableAckId = undefined;

  ack(lastId: number): void {
    if (lastId <= this.ackedId) return;
    this.ackedId = lastId;
    this.settle();
  }

  rewind(): void {
    this.cursor = this.ackedId + 1;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.dataWaiters.splice(0)) w();
    for (const w of this.roomWaiters.splice(0)) w();
  }

  /** Frees acknowledged entries, reporting their seqs in order. */
  private settle(): void {
    let freed = false;
    while (this.entries.length > 0) {
      const e = this.entries[0]!;
      if (e.firstId + e.records.count - 1 > this.ackedId) break;
      this.entries.shift();
      this.bytes -= e.records.data.length;
      freed = true;
      this.opts.onDurable(e.seq);
    }
    if (freed) for (const w of this.roomWaiters.splice(0)) w();
  }
}
