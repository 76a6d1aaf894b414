import { mkdir, open, readdir, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBatch } from '../output/contract.js';
import type { Logger } from '../log.js';
import { fsyncDir, writeFileAtomic } from '../util/atomic-write.js';
import { Coalescer, SerialQueue } from '../util/serial.js';
import { errorCode, isDiskFull, WriteFaults } from '../util/write-faults.js';
import { readAck, writeAck, type AckPosition } from './ack-file.js';
import { impossibleAck, leadingGap, readTailNote } from './continuity.js';
import { RecordBatchBuilder, sliceRecords, type RecordBatch } from '../output/record-batch.js';
import { encodeRecords, MAGIC, MAGIC_FAMILY, pieceOf, segmentFirstId, segmentName } from './segment-format.js';
import { BufferPool } from '../util/buffer-pool.js';
import { writeAll } from '../util/write-all.js';
import { SegmentReader } from './segment-reader.js';
import { TAIL_CACHE_MAX_BYTES, TailCache } from './tail-cache.js';
import { joinedTake } from './taken.js';
import type { BufferStats, OutputBuffer, TakenBatch, TakenParts } from './types.js';
import { takeOrWait, waitFor } from './wait.js';

export interface DiskBufferOptions {
  readonly dir: string;
  readonly maxSize: number;
  readonly whenFull: 'block' | 'drop_newest';
  /** Appended records are fsynced in groups this often; a batch is durable only after its fsync. */
  readonly syncInterval: number;
  readonly segmentSize: number;
  readonly logger: Logger;
  /** Every pipeline batch up to `seq` is durable in this buffer (or was dropped by drop_newest). */
  readonly onDurable: (seq: number) => void;
  /** The newest records kept in memory for a reader that keeps up (tail-cache.ts); 0 turns it off. Default 4 MiB. */
  readonly tailCacheBytes?: number;
}

/** The most written at once (whole records; less with small segments): what a nearly full disk must have free to go on. */
const PIECE_BYTES = 256 * 1024;
/** `dirIno` once the directory is found gone and not yet recreated. */
const DIR_MISSING = -1;

interface Segment {
  readonly firstId: number;
  readonly path: string;
  size: number;
}

/**
 * A per-output durable queue: append-only segment files of CRC-checked
 * records (segment-format.ts), fsynced in groups; a persisted acknowledged
 * position; segments deleted once every record in them is acknowledged and
 * that position is fsynced. Opening reads only the segment names, the ack
 * position and the last segment (to cut a torn tail), so a large backlog
 * starts as fast as an empty one and replays from disk as it is delivered.
 * Damaged bytes are copied to `quarantine/`, logged and counted; records
 * missing (by their ids) are logged and counted as lost; everything else is
 * delivered. A failed write (a full disk, an I/O error) is retried, never
 * fatal: appends wait, which pauses reading (the source files hold the rest).
 */
export class DiskBuffer implements OutputBuffer {
  private segments: Segment[] = [];
  /** The last segment's handle, if there is one. */
  private active: FileHandle | undefined;
  private nextId = 0;
  private totalBytes = 0;
  private ackedId = -1;
  private persisted: AckPosition = { acked_id: -1, segment: 0, offset: 0 };
  /** End positions of taken batches, to persist where replay must start. */
  private readonly taken: { lastId: number; segment: number; offset: number }[] = [];
  private reader: SegmentReader | undefined;
  /** The segment `reader` reads; another one here (a rewind, a segment list rebuilt) makes it reopen. */
  private readerOn: Segment | undefined;
  private readSegment = 0;
  /** Where the reader opens next in `segments[readSegment]`. */
  private readFrom = 0;
  private lastWrittenSeq = 0;
  private lastDurableSeq = 0;
  /** Appends and state-directory repairs run one at a time. */
  private readonly writes = new SerialQueue();
  private syncTimer: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;
  private takingStopped = false;
  private rewindPending = false;
  private interrupted = false;
  private readonly ackWrites = new SerialQueue();
  /** The directory's inode at open: another one (or none) means it was deleted from outside. */
  private dirIno = 0;
  /** One check waits behind the appends at most (it rebuilds the segment list they write to). */
  private readonly dirCheck = new Coalescer(() => this.checkDir(), this.writes);
  /** Acknowledged segments whose unlink failed: tried again at the next ack write. */
  private readonly unfreed: Segment[] = [];
  private readonly quarantined = new Set<string>();
  /** First ids of gaps already counted (a rewind reads them again). */
  private readonly reportedGaps = new Set<number>();
  private readonly dataWaiters: (() => void)[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private readonly counters = { droppedEvents: 0, quarantinedPlaces: 0, quarantinedBytes: 0, lostRecords: 0, dirVanished: 0 };
  private readonly faults: WriteFaults;
  /** Highest record id read from the current read segment (gap check). */
  private lastSeenId = -1;
  private readonly segmentSize: number;
  /** A batch is written in pieces of whole records of at most this many bytes (one record may be larger). */
  private readonly pieceBytes: number;
  private readonly tail: TailCache;
  /** Writes are one at a time: one frames buffer serves them all (one parse read's events, a few MiB). */
  private readonly frames = new BufferPool(1, 16 * 1024 * 1024);

  constructor(private readonly opts: DiskBufferOptions) {
    // Only whole segments are freed: several must fit under max_size, or a full buffer could not drain.
    this.segmentSize = Math.max(64 * 1024, Math.min(opts.segmentSize, Math.floor(opts.maxSize / 4)));
    this.pieceBytes = Math.min(PIECE_BYTES, this.segmentSize / 4);
    this.faults = new WriteFaults(opts.logger, opts.dir, 'buffer');
    this.tail = new TailCache(opts.tailCacheBytes ?? TAIL_CACHE_MAX_BYTES);
  }

  get drained(): boolean {
    return this.ackedId >= this.nextId - 1;
  }

  stats(): BufferStats {
    return {
      bytes: this.totalBytes,
      pending: this.nextId - 1 - this.ackedId,
      ...this.counters,
      diskFull: this.faults.diskFull,
      writeErrors: { ...this.faults.counts },
    };
  }

  // ---- open and recover ---------------------------------------------------

  /** Writes nothing but the ack position (in place) and unlinks: a start on a full disk succeeds. */
  async open(): Promise<void> {
    const { dir, logger } = this.opts;
    await mkdir(dir, { recursive: true });
    this.dirIno = (await stat(dir)).ino;
    const { ack, error } = await readAck(dir);
    if (error !== undefined) logger.error({ dir, err: error }, 'buffer ack position unreadable: replaying the whole buffer (duplicates, not loss)');
    const tail = await readTailNote(dir);
    if (tail) await this.removeTailNote();
    const names = (await readdir(dir)).flatMap((n) => {
      const id = segmentFirstId(n);
      return id === undefined ? [] : [{ firstId: id, path: join(dir, n), size: 0 }];
    });
    names.sort((a, b) => a.firstId - b.firstId);
    for (const s of names) {
      s.size = (await stat(s.path)).size;
      await refuseOtherFormat(s.path);
    }
    // Created but never given its header (a crash right after the create): it holds no record. Removed, not
    // repaired: a header needs space a full disk may not have. Ids go on from its name.
    let floor = 0;
    const short = names.at(-1);
    if (short && short.size < MAGIC.length) {
      await unlink(short.path);
      names.pop();
      floor = short.firstId;
    }
    this.segments = names;
    this.totalBytes = names.reduce((n, s) => n + s.size, 0);
    const last = names.at(-1);
    let nextId = floor;
    if (last) nextId = tail && tail.segment === last.firstId && tail.size === last.size ? tail.next_id : await this.recoverTail(last);

    // tail.json remembers the next id: newest segments deleted while stopped show as records missing at the end.
    const knownNext = Math.max(nextId, tail?.next_id ?? 0);
    this.persisted = this.checkAck(ack, error !== undefined, knownNext - 1);
    this.ackedId = this.persisted.acked_id;
    if (last && knownNext > nextId && knownNext - 1 > this.ackedId) {
      this.reportGap(Math.max(nextId, this.ackedId + 1), knownNext - 1, last.path, 'missing after the last segment (segment files deleted?)');
    }
    // Ids go on from the last record there is (the lost ones are reused): the segments stay gapless, so this is said once.
    if (!last) nextId = knownNext;
    await this.removeAcknowledgedSegments();
    const gap = error === undefined ? leadingGap(this.ackedId, this.segments[0]?.firstId, last ? undefined : nextId) : undefined;
    if (gap) {
      this.reportGap(gap.first, gap.last, this.segments[0]?.path ?? dir, 'missing before the first segment (segment files deleted?)');
      // Known lost: the ack moves past them, so the next start does not count them again.
      const first = this.segments[0]?.firstId ?? gap.last + 1;
      this.persisted = { acked_id: gap.last, segment: first, offset: 0 };
      this.ackedId = gap.last;
    }
    this.nextId = Math.max(nextId, this.ackedId + 1);

    const start = this.segments.findIndex((s) => s.firstId === this.persisted.segment);
    this.readSegment = Math.max(start, 0);
    this.readFrom = start >= 0 ? this.persisted.offset : 0;
    if (last) this.active = await open(last.path, 'r+');
    else await this.newSegment().catch((err: unknown) => this.faults.failed('append', err)); // made by the first append then
    // Written now: the file then exists (preallocated) before any segment fills the disk.
    if (gap || ack === undefined) await this.saveAck(this.persisted).catch((err: Error) => logger.error({ dir, err: err.message }, 'buffer ack position not written at start; retried at the next acknowledgement'));
    if (this.segments.length > 1 || this.nextId - 1 > this.ackedId) {
      logger.info({ dir, segments: this.segments.length, bytes: this.totalBytes, pending: this.nextId - 1 - this.ackedId }, 'buffer replays its backlog');
    }
  }

  /** The persisted position, or (unusable, impossible) one that replays every segment. */
  private checkAck(ack: AckPosition | undefined, unreadable: boolean, lastId: number): AckPosition {
    const replayAll: AckPosition = { acked_id: (this.segments[0]?.firstId ?? 0) - 1, segment: this.segments[0]?.firstId ?? 0, offset: 0 };
    if (!ack) return unreadable ? replayAll : { acked_id: -1, segment: 0, offset: 0 };
    const impossible = impossibleAck(ack, this.segments, lastId);
    if (impossible === undefined) return ack;
    this.opts.logger.error({ dir: this.opts.dir, ack, reason: impossible }, 'buffer ack position is impossible: replaying the whole buffer (duplicates, not loss)');
    return replayAll;
  }

  /** A crash between the ack position's fsync and the unlink leaves fully acknowledged segments: finish the job. */
  private async removeAcknowledgedSegments(): Promise<void> {
    while (this.segments.length > 1 && this.segments[1]!.firstId - 1 <= this.ackedId) {
      const gone = this.segments.shift()!;
      if (!(await this.free(gone))) this.unfreed.push(gone);
    }
  }

  private async removeTailNote(): Promise<void> {
    // Removed at once, so a crash later in this run falls back to the scan.
    await unlink(join(this.opts.dir, 'tail.json'));
    await fsyncDir(this.opts.dir);
  }

  /** Scans the last segment: cuts a torn tail, quarantines damage; returns the id after its last record. */
  private async recoverTail(seg: Segment): Promise<number> {
    let nextId = seg.firstId;
    const reader = await SegmentReader.open(seg.path, 0);
    try {
      for (let item = await reader.next(seg.size, true); item; item = await reader.next(seg.size, true)) {
        if (item.kind === 'record') nextId = item.record.id + 1;
        else if (item.kind === 'damage') await this.quarantine(seg, item.start, item.end, item.reason);
        else {
          this.opts.logger.warn({ segment: seg.path, offset: item.start, bytes: seg.size - item.start }, 'buffer: torn record at the end of the last segment (a crash mid-write); cut off');
          await truncate(seg.path, item.start);
          this.totalBytes -= seg.size - item.start;
          seg.size = item.start;
        }
      }
    } finally {
      await reader.close();
    }
    return nextId;
  }

  // ---- append -------------------------------------------------------------

  append(batch: EventBatch): Promise<void> {
    return this.writes.run(() => this.write(batch));
  }

  private async write(batch: EventBatch): Promise<void> {
    if (this.closed || this.interrupted) return;
    if (batch.count === 0) {
      this.lastWrittenSeq = batch.seq;
      this.scheduleSync();
      return;
    }
    const bytes = encodeRecords(this.nextId, batch, (size) => this.frames.take(size));
    try {
      await this.writeFrames(batch, bytes);
    } finally {
      this.frames.give(bytes);
    }
  }

  /** Appends `batch`, framed as `bytes`. */
  private async writeFrames(batch: EventBatch, bytes: Buffer): Promise<void> {
    if (this.totalBytes + bytes.length > this.opts.maxSize) {
      if (!this.drained && this.opts.whenFull === 'drop_newest') {
        this.counters.droppedEvents += batch.count;
        // Dropped is done: the checkpoint may move past it, in order, at the next sync.
        this.lastWrittenSeq = batch.seq;
        this.scheduleSync();
        return;
      }
      await this.roomFor(bytes.length);
    }
    // Not taken in: not reported durable, so the checkpoint stays before it and its lines are read again.
    // A failed write is retried until it succeeds or shutdown ends the wait: a full disk or an I/O error
    // holds reading here, like a full buffer, and never ends the agent.
    // Large batches go in pieces of whole records, so a nearly full disk still takes them a piece at a time.
    for (let at = 0, first = 0; at < bytes.length; ) {
      const piece = pieceOf(bytes, at, this.pieceBytes);
      const frames = bytes.subarray(at, piece.end);
      for (;;) {
        if (this.closed || this.interrupted) return;
        const seg = await this.tryWrite(frames);
        if (!seg) continue;
        // Only now, written where a read would find them, may the reader take them from memory.
        this.tail.add(seg, seg.size - frames.length, this.nextId, sliceRecords(batch, first, first + piece.records), frames);
        break;
      }
      this.nextId += piece.records;
      first += piece.records;
      at = piece.end;
      this.wakeAll(this.dataWaiters);
    }
    this.lastWrittenSeq = batch.seq;
    this.scheduleSync();
  }

  /**
   * Waits until `bytes` fit under max_size. Room comes from acknowledged
   * segments being freed. A buffer whose every record is acknowledged takes
   * any batch (one larger than max_size could not go in otherwise), but only
   * after one ack write has freed what it can: acknowledged segments still on
   * disk plus the batch would overrun max_size by a whole batch.
   */
  private async roomFor(bytes: number): Promise<void> {
    let ackWritten = false;
    while (this.totalBytes + bytes > this.opts.maxSize && !this.closed && !this.interrupted) {
      if (this.drained) {
        if (ackWritten) return;
        ackWritten = true;
        await this.persistAck();
        continue;
      }
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  /** One attempt to write `bytes` at the end: the segment they went to, or (after a wait: backoff, or until space is freed) undefined. */
  private async tryWrite(bytes: Buffer): Promise<Segment | undefined> {
    try {
      let seg = this.segments.at(-1);
      if (!seg || (seg.size > MAGIC.length && seg.size + bytes.length > this.segmentSize)) seg = await this.newSegment();
      // At the known end: a failed attempt's partial bytes are overwritten by the next.
      await writeAll(this.active!, bytes, seg.size);
      seg.size += bytes.length;
      this.totalBytes += bytes.length;
      this.faults.succeeded('append');
      return seg;
    } catch (err) {
      const wait = this.faults.failed('append', err);
      if (errorCode(err) === 'ENOENT' && (await this.checkDir())) return undefined;
      if (isDiskFull(err) && this.canRecycle()) {
        await this.recycle();
        return undefined;
      }
      await waitFor(this.roomWaiters, wait);
      return undefined;
    }
  }

  /** Opens a new last segment; the previous one is synced first, and stays the last one if this fails. */
  private async newSegment(): Promise<Segment> {
    await this.active?.sync();
    const seg: Segment = { firstId: this.nextId, path: join(this.opts.dir, segmentName(this.nextId)), size: MAGIC.length };
    const fh = await open(seg.path, 'wx');
    try {
      await writeAll(fh, MAGIC, 0);
      await fh.sync();
      await fsyncDir(this.opts.dir);
    } catch (err) {
      await fh.close();
      // Gone again, so the retry can create it (and a start does not meet a headerless segment).
      await unlink(seg.path).catch(() => {});
      throw err;
    }
    // The new one is active before the old one closes: an fsync tick in between syncs it, not a closed handle.
    const previous = this.active;
    this.active = fh;
    this.segments.push(seg);
    this.totalBytes += MAGIC.length;
    await previous?.close();
    return seg;
  }

  /** Everything is delivered and its ack is on disk, but the one segment left fills the disk. */
  private canRecycle(): boolean {
    return this.segments.length === 1 && this.segments[0]!.size > MAGIC.length && this.persisted.acked_id >= this.nextId - 1;
  }

  /**
   * Frees a full disk of the last segment, all of it acknowledged: deleted and
   * begun again empty (at the next write). The only way to make room when the
   * active segment itself fills the disk. A crash in between leaves no segment
   * and an ack at the last id: the next start goes on from there.
   */
  private async recycle(): Promise<void> {
    const seg = this.segments[0]!;
    const previous = this.active;
    this.active = undefined;
    await previous?.close();
    this.segments = [];
    this.readSegment = 0;
    this.readFrom = 0;
    this.taken.length = 0;
    this.tail.clear();
    this.dropReader();
    if (!(await this.free(seg))) this.unfreed.push(seg);
    this.opts.logger.info({ segment: seg.path, bytes: seg.size }, 'buffer: disk full with everything delivered; the last segment is freed and begun again');
  }

  // ---- durability ----------------------------------------------------------

  private scheduleSync(ms = this.opts.syncInterval): void {
    if (this.syncTimer || this.closed) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      // The fsync tick also notices a state directory deleted from outside (the open files still take writes).
      this.checkDirSoon();
      this.flush().then(
        () => this.faults.succeeded('fsync'),
        (err: unknown) => this.scheduleSync(this.faults.failed('fsync', err)),
      );
    }, ms);
  }

  /** Shutdown ran out of time: appends waiting for room (and later ones) return without appending. */
  interrupt(): void {
    this.interrupted = true;
    this.wakeAll(this.roomWaiters);
  }

  async flush(): Promise<void> {
    // One sync at a time: callers that waited on the same one must not each report the same seq again.
    while (this.syncing) await this.syncing;
    this.syncing = (async () => {
      // What completed writes hold: a write waiting for room must not hold back reports for earlier ones.
      const seq = this.lastWrittenSeq;
      if (seq === this.lastDurableSeq) return;
      const fh = this.active;
      try {
        await fh?.sync();
      } catch (err) {
        // A rollover closed it meanwhile, after syncing it itself.
        if (fh === this.active) throw err;
      }
      this.lastDurableSeq = seq;
      this.opts.onDurable(seq);
    })();
    try {
      await this.syncing;
    } finally {
      this.syncing = undefined;
    }
  }

  // ---- take and acknowledge -------------------------------------------------

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
    return takeOrWait(() => this.readSome(maxEvents, maxBytes, recordOverhead), () => this.closed || this.takingStopped, this.dataWaiters, maxWaitMs);
  }

  /** The reader of the read segment, (re)opened when it reads another one; none while there is no segment. */
  private async currentReader(): Promise<SegmentReader | undefined> {
    const seg = this.segments[this.readSegment];
    if (this.reader && this.readerOn === seg) return this.reader;
    await this.reader?.close();
    this.reader = undefined;
    this.readerOn = seg;
    if (!seg) return undefined;
    this.reader = await SegmentReader.open(seg.path, this.readFrom);
    this.readFrom = 0;
    return this.reader;
  }

  /** Where the next record is read in the read segment (past the header). */
  private readOffset(): number {
    const at = this.reader !== undefined && this.readerOn === this.segments[this.readSegment] ? this.reader.pos : this.readFrom;
    return Math.max(at, MAGIC.length);
  }

  /** Moves the read position in the read segment to `offset`, as reading up to there would have. */
  private readTo(offset: number): void {
    if (this.reader !== undefined && this.readerOn === this.segments[this.readSegment]) this.reader.seek(offset);
    else this.readFrom = offset;
  }

  /** The read segment is read to its end and another follows: reading goes on there. */
  private nextSegment(seg: Segment): void {
    this.checkIds(seg, this.segments[this.readSegment + 1]!.firstId, 'cut short on disk');
    this.readSegment++;
    this.readFrom = 0;
    this.lastSeenId = -1;
    this.dropReader();
  }

  /**
   * Closes the reader. Takes served from the tail cache never reopen it, so it
   * is closed as soon as it reads nothing more: an open handle on a segment
   * deleted later would keep its disk space.
   */
  private dropReader(): void {
    void this.reader?.close();
    this.reader = undefined;
    this.readerOn = undefined;
  }

  /** Segment bytes from the read position on: an upper bound of what a take can copy out. */
  private unreadBytes(): number {
    let n = 0;
    for (let i = this.readSegment; i < this.segments.length; i++) n += this.segments[i]!.size;
    return Math.max(0, n - this.readOffset());
  }

  /**
   * The records from the read position on, up to the limits: from the tail
   * cache while the position is on records it holds (views of the pipeline's
   * bytes), else read from disk. Both move the same position, skip the same
   * acknowledged ids and check the same id sequence.
   */
  private async readSome(maxEvents: number, maxBytes: number, recordOverhead: number): Promise<TakenParts | null> {
    if (this.rewindPending) this.doRewind();
    const parts: RecordBatch[] = [];
    // The reader reuses its buffer: records read from disk are copied out, once, into a buffer
    // sized for what this take can hold (no doubling garbage on a backlog, no megabytes for a
    // trickle of one record), made only when a record comes from disk.
    let copied: RecordBatchBuilder | undefined;
    let count = 0;
    let bytes = 0;
    let firstId = -1;
    let lastId = -1;
    while (count < maxEvents && bytes < maxBytes) {
      const seg = this.segments[this.readSegment];
      if (!seg) break;
      const isActive = this.readSegment === this.segments.length - 1;
      const at = this.readOffset();
      // seg.size moves only after a write completed: nothing past it is read, from disk or from memory.
      if (at >= seg.size) {
        if (isActive) break;
        this.nextSegment(seg);
        continue;
      }
      const hit = this.tail.find(seg, at);
      if (hit) {
        if (copied) parts.push(copied.build());
        copied = undefined;
        const { entry } = hit;
        this.checkIds(seg, entry.firstId + hit.index, 'damaged on disk');
        // Acknowledged ones (a rewind starts at the persisted position, which trails) are skipped, as from disk.
        const from = Math.min(entry.records.count, Math.max(hit.index, Math.max(this.ackedId, lastId) + 1 - entry.firstId));
        let to = from;
        for (; to < entry.records.count && count < maxEvents && bytes < maxBytes; to++, count++) bytes += this.tail.recordBytes(entry, to) + recordOverhead;
        if (to > from) {
          if (firstId < 0) firstId = entry.firstId + from;
          lastId = entry.firstId + to - 1;
          parts.push(this.tail.slice(entry, from, to));
        }
        this.lastSeenId = Math.max(this.lastSeenId, entry.firstId + to - 1);
        this.readTo(entry.ends[to - 1]!);
        continue;
      }
      const reader = await this.currentReader();
      if (!reader) break;
      const item = await reader.next(seg.size, true);
      if (item === null) {
        if (isActive) break;
        this.nextSegment(seg);
        continue;
      }
      if (item.kind === 'record') {
        const r = item.record;
        this.checkIds(seg, r.id, 'damaged on disk');
        this.lastSeenId = Math.max(this.lastSeenId, r.id);
        if (r.id <= this.ackedId || r.id <= lastId) continue;
        if (firstId < 0) firstId = r.id;
        lastId = r.id;
        copied ??= new RecordBatchBuilder(Math.min(maxBytes - bytes, this.unreadBytes()) + 4096);
        copied.add(r.buf, r.jsonStart, r.jsonEnd, r.time, r.eventId);
        count++;
        bytes += r.jsonEnd - r.jsonStart + 1 + recordOverhead;
        continue;
      }
      if (item.kind === 'damage') await this.quarantine(seg, item.start, item.end, item.reason);
      else await this.quarantine(seg, item.start, seg.size, 'incomplete record at the end of a closed segment');
    }
    if (count === 0) return null;
    if (copied) parts.push(copied.build());
    const seg = this.segments[this.readSegment];
    if (seg) this.taken.push({ lastId, segment: seg.firstId, offset: this.readOffset() });
    return { parts, count, firstId, lastId, bytes };
  }

  get durableAckId(): number {
    return this.persisted.acked_id;
  }

  ack(lastId: number): void {
    if (lastId <= this.ackedId) return;
    this.ackedId = lastId;
    this.tail.release(lastId);
    if (this.roomWaiters.length > 0 && !this.closed) {
      // An append is waiting for room: free acknowledged segments now, not at the next tick.
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
      void this.persistAck();
      return;
    }
    this.scheduleAck(this.opts.syncInterval);
  }

  private scheduleAck(ms: number): void {
    if (this.ackTimer || this.closed) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      void this.persistAck();
    }, ms);
  }

  rewind(): void {
    this.rewindPending = true;
  }

  /** Replay from the acknowledged position: ids at or below it are skipped as they are read. */
  private doRewind(): void {
    this.rewindPending = false;
    this.taken.length = 0;
    this.lastSeenId = -1;
    const start = this.segments.findIndex((s) => s.firstId === this.persisted.segment);
    this.readSegment = Math.max(0, start);
    this.readFrom = start >= 0 ? this.persisted.offset : 0;
    this.dropReader();
  }

  /**
   * One ack write at a time (the timer's and a waiting append's). A failure is
   * retried with backoff: an append waiting for the room it frees must not stall.
   */
  private persistAck(): Promise<void> {
    return this.ackWrites.run(async () => {
      try {
        await this.writeAck();
        this.faults.succeeded('ack write');
      } catch (err) {
        const wait = this.faults.failed('ack write', err);
        if (errorCode(err) === 'ENOENT') this.checkDirSoon();
        this.scheduleAck(wait);
      }
    });
  }

  /** Persists the acknowledged position (fsynced), then frees the segments it covers. */
  private async writeAck(): Promise<void> {
    let pos: { segment: number; offset: number } | undefined;
    for (const t of this.taken) {
      if (t.lastId > this.ackedId) break;
      pos = t;
    }
    if (pos) {
      const position: AckPosition = { acked_id: this.ackedId, segment: pos.segment, offset: pos.offset };
      await this.saveAck(position);
      this.persisted = position;
      while (this.taken.length > 0 && this.taken[0]!.lastId <= position.acked_id) this.taken.shift();
    }
    // Only now, with the position on disk, may fully acknowledged segments go.
    for (const seg of this.unfreed.splice(0)) if (!(await this.free(seg))) this.unfreed.push(seg);
    while (this.segments.length > 1 && this.readSegment > 0 && this.segments[1]!.firstId - 1 <= this.persisted.acked_id) {
      const gone = this.segments.shift()!;
      this.readSegment--;
      if (!(await this.free(gone))) this.unfreed.push(gone);
    }
    this.wakeAll(this.roomWaiters);
  }

  private saveAck(position: AckPosition): Promise<void> {
    return writeAck(this.opts.dir, position);
  }

  /** Deletes an acknowledged segment; false (logged and counted) when it could not be. */
  private async free(seg: Segment): Promise<boolean> {
    try {
      await unlink(seg.path);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') {
        this.faults.failed('segment unlink', err);
        return false;
      }
    }
    this.faults.succeeded('segment unlink');
    this.totalBytes -= seg.size;
    return true;
  }

  // ---- damage ---------------------------------------------------------------

  /**
   * Ids are consecutive: reaching `id` (a record read, or the next segment's
   * first id at a segment's end), every id between the last one seen and it
   * must have been read. Those that were not are gone, damaged or cut on disk.
   */
  private checkIds(seg: Segment, id: number, cause: string): void {
    const before = Math.max(this.lastSeenId, this.ackedId, seg.firstId - 1);
    if (id > before + 1) this.reportGap(before + 1, id - 1, seg.path, cause);
  }

  /** Records `first..last` cannot be delivered: said once (a rewind meets them again) and counted. */
  private reportGap(first: number, last: number, where: string, cause: string): void {
    if (this.reportedGaps.has(first)) return;
    this.reportedGaps.add(first);
    const missing = last - first + 1;
    this.counters.lostRecords += missing;
    this.opts.logger.error({ segment: where, firstMissingId: first, lastMissingId: last, missing }, `buffer: ${missing} records ${cause}; they cannot be delivered`);
  }

  private async quarantine(seg: Segment, start: number, end: number, reason: string): Promise<void> {
    // Recovery and delivery can both meet the same damage: it is moved and counted once.
    const key = `${seg.firstId}@${start}`;
    if (this.quarantined.has(key)) return;
    this.quarantined.add(key);
    this.counters.quarantinedPlaces++;
    this.counters.quarantinedBytes += end - start;
    const target = join(this.opts.dir, 'quarantine', `${segmentName(seg.firstId)}@${start}-${end}.bad`);
    try {
      await copyRange(seg.path, start, end, target);
    } catch (err) {
      // A full disk must not stop delivery of the good records: the damage is skipped uncopied.
      this.opts.logger.error({ segment: seg.path, offset: start, bytes: end - start, reason, err: (err as Error).message }, 'buffer: damaged bytes skipped; copying them to quarantine/ failed');
      return;
    }
    this.opts.logger.error({ segment: seg.path, offset: start, bytes: end - start, reason, movedTo: target }, 'buffer: damaged bytes quarantined; every other record is delivered');
  }

  // ---- a state directory deleted from outside --------------------------------

  private checkDirSoon(): void {
    void this.dirCheck.request();
  }

  /**
   * True when the directory was deleted (or replaced) since open: the records
   * not yet delivered went with it. Said at error, counted as lost, and the
   * directory is recreated so what comes next is kept.
   */
  private async checkDir(): Promise<boolean> {
    if (this.closed) return false;
    const { dir, logger } = this.opts;
    const ino = await stat(dir).then((s) => s.ino, () => undefined);
    if (ino === this.dirIno) return false;
    // Reported once: while it cannot be recreated, later checks only try again.
    const first = this.dirIno !== DIR_MISSING;
    if (first) this.forgetDeletedState();
    this.dirIno = DIR_MISSING;
    try {
      await mkdir(dir, { recursive: true });
      this.dirIno = (await stat(dir)).ino;
      await this.saveAck(this.persisted);
    } catch (err) {
      if (this.dirIno === DIR_MISSING) {
        if (first) logger.error({ dir, err: (err as Error).message }, 'buffer directory could not be recreated yet; retried at the next write');
        return false;
      }
    }
    this.wakeAll(this.roomWaiters);
    return true;
  }

  /** The segments went with the directory: what they held undelivered is lost, said and counted; ids go on. */
  private forgetDeletedState(): void {
    const lost = this.nextId - 1 - this.ackedId;
    this.counters.dirVanished++;
    this.counters.lostRecords += lost;
    this.opts.logger.error({ dir: this.opts.dir, lost }, 'buffer directory vanished while running (deleted from outside): its undelivered records are lost; recreated, later records are kept');
    void this.active?.close().catch(() => {});
    this.active = undefined;
    this.segments = [];
    this.unfreed.length = 0;
    this.taken.length = 0;
    this.tail.clear();
    this.dropReader();
    this.totalBytes = 0;
    this.readSegment = 0;
    this.readFrom = 0;
    this.ackedId = this.nextId - 1;
    this.persisted = { acked_id: this.ackedId, segment: this.nextId, offset: 0 };
  }

  // ---- close ------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    // Not synced is not reported durable: those lines are read again from their files next start.
    await this.flush().catch((err: Error) => this.opts.logger.error({ dir: this.opts.dir, err: err.message }, 'buffer fsync failed at close'));
    this.closed = true;
    clearTimeout(this.syncTimer);
    clearTimeout(this.ackTimer);
    this.wakeAll(this.dataWaiters);
    this.wakeAll(this.roomWaiters);
    await this.persistAck();
    this.tail.clear();
    await this.reader?.close();
    await this.active?.close();
    // Everything is synced: the next open may trust where the last segment ends.
    const last = this.segments.at(-1);
    if (!last) return;
    await writeFileAtomic(join(this.opts.dir, 'tail.json'), JSON.stringify({ segment: last.firstId, size: last.size, next_id: this.nextId })).catch((err: Error) =>
      this.opts.logger.warn({ dir: this.opts.dir, err: err.message }, 'buffer tail.json not written; the next start scans the last segment'),
    );
  }

  private wakeAll(waiters: (() => void)[]): void {
    for (const w of waiters.splice(0)) w();
  }
}

async function copyRange(path: string, start: number, end: number, target: string): Promise<void> {
  const src = await open(path, 'r');
  try {
    const bytes = Buffer.allocUnsafe(end - start);
    await src.read(bytes, 0, bytes.length, start);
    await writeFileAtomic(target, bytes);
  } finally {
    await src.close();
  }
}

/** Records of another format version cannot be read as ours; refusing to start says so instead of quarantining them all. */
async function refuseOtherFormat(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await fh.read(head, 0, MAGIC.length, 0);
    const family = MAGIC_FAMILY.length;
    if (bytesRead === MAGIC.length && head.subarray(0, family).equals(MAGIC_FAMILY) && head[family] !== MAGIC[family]) {
      throw new Error(
        `${path} is in buffer format v${head[family]} and this logship reads v${MAGIC[family]}: deliver it with the logship that wrote it, or move the buffer directory aside`,
      );
    }
  } finally {
    await fh.close();
  }
}
