import { mkdir, open, readdir, readFile, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBatch } from '../../outputs/types.js';
import type { Logger } from '../log.js';
import { fsyncDir, writeFileAtomic } from '../util/atomic-write.js';
import { readAck, writeAck, type AckPosition } from './ack-file.js';
import { encodeRecords, MAGIC, MAGIC_FAMILY, segmentFirstId, segmentName } from './segment-format.js';
import { writeAll } from '../util/write-all.js';
import { SegmentReader } from './segment-reader.js';
import type { BufferStats, OutputBuffer, TakenBatch } from './types.js';
import { takeOrWait } from './wait.js';

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
}

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
 * Damaged bytes are copied to `quarantine/`, logged and counted; everything
 * else is delivered.
 */
export class DiskBuffer implements OutputBuffer {
  private segments: Segment[] = [];
  private active: FileHandle | undefined;
  private nextId = 0;
  private totalBytes = 0;
  private ackedId = -1;
  private persisted: AckPosition = { acked_id: -1, segment: 0, offset: 0 };
  /** End positions of taken batches, to persist where replay must start. */
  private readonly taken: { lastId: number; segment: number; offset: number }[] = [];
  private reader: SegmentReader | undefined;
  private readSegment = 0;
  private lastWrittenSeq = 0;
  private lastDurableSeq = 0;
  private writeChain: Promise<void> = Promise.resolve();
  private syncTimer: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;
  private takingStopped = false;
  private rewindPending = false;
  private interrupted = false;
  private persisting: Promise<void> = Promise.resolve();
  private readonly quarantined = new Set<string>();
  private readonly dataWaiters: (() => void)[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private readonly counters = { droppedEvents: 0, quarantinedRecords: 0, quarantinedBytes: 0, lostRecords: 0 };
  /** Highest record id read from the current read segment (gap check at its end). */
  private lastSeenId = -1;
  private readonly segmentSize: number;

  constructor(private readonly opts: DiskBufferOptions) {
    // Only whole segments are freed: several must fit under max_size, or a full buffer could not drain.
    this.segmentSize = Math.max(64 * 1024, Math.min(opts.segmentSize, Math.floor(opts.maxSize / 4)));
  }

  get drained(): boolean {
    return this.ackedId >= this.nextId - 1;
  }

  stats(): BufferStats {
    return { bytes: this.totalBytes, pending: this.nextId - 1 - this.ackedId, ...this.counters };
  }

  // ---- open and recover ---------------------------------------------------

  async open(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    this.persisted = await this.loadAck();
    this.ackedId = this.persisted.acked_id;
    const names = (await readdir(this.opts.dir)).flatMap((n) => {
      const id = segmentFirstId(n);
      return id === undefined ? [] : [{ firstId: id, path: join(this.opts.dir, n), size: 0 }];
    });
    names.sort((a, b) => a.firstId - b.firstId);
    for (const s of names) {
      s.size = (await stat(s.path)).size;
      await refuseOtherFormat(s.path);
    }
    // A crash between the ack position's fsync and the unlink leaves fully acknowledged segments: finish the job.
    while (names.length > 1 && names[1]!.firstId - 1 <= this.ackedId) await unlink(names.shift()!.path);
    this.segments = names;
    this.totalBytes = names.reduce((n, s) => n + s.size, 0);

    const last = this.segments.at(-1);
    if (last && last.size < MAGIC.length) {
      // Created but never given its header (a crash right after the create): give it one.
      const fh = await open(last.path, 'r+');
      try {
        await fh.truncate(0);
        await writeAll(fh, MAGIC, 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.totalBytes += MAGIC.length - last.size;
      last.size = MAGIC.length;
    }
    if (last) {
      this.nextId = (await this.cleanTail(last)) ?? (await this.recoverTail(last));
      this.active = await open(last.path, 'r+');
    } else {
      this.nextId = this.ackedId + 1;
      await this.newSegment();
    }
    const startSegment = this.persisted.segment;
    this.readSegment = this.segments.findIndex((s) => s.firstId === startSegment);
    if (this.readSegment < 0) this.readSegment = 0;
    const offset = this.segments[this.readSegment]!.firstId === startSegment ? this.persisted.offset : 0;
    this.reader = await SegmentReader.open(this.segments[this.readSegment]!.path, offset);
    if (this.segments.length > 1 || this.nextId - 1 > this.ackedId) {
      this.opts.logger.info({ dir: this.opts.dir, segments: this.segments.length, bytes: this.totalBytes, pending: this.nextId - 1 - this.ackedId }, 'buffer replays its backlog');
    }
  }

  /**
   * After a clean close the tail is known (`tail.json`): no scan, so a large
   * backlog opens as fast as an empty buffer. The file is removed at once, so
   * a crash later in this run falls back to the scan.
   */
  private async cleanTail(last: Segment): Promise<number | undefined> {
    const file = join(this.opts.dir, 'tail.json');
    let tail: { segment?: unknown; size?: unknown; next_id?: unknown };
    try {
      tail = JSON.parse(await readFile(file, 'utf8')) as typeof tail;
    } catch {
      return undefined;
    }
    await unlink(file);
    await fsyncDir(this.opts.dir);
    if (tail.segment !== last.firstId || tail.size !== last.size || !Number.isSafeInteger(tail.next_id)) return undefined;
    return Math.max(tail.next_id as number, this.ackedId + 1);
  }

  /** Scans the last segment: cuts a torn tail, quarantines damage; returns the next record id. */
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
    return Math.max(nextId, this.ackedId + 1);
  }

  private async loadAck(): Promise<AckPosition> {
    const { ack, error } = await readAck(this.opts.dir);
    if (error !== undefined) {
      this.opts.logger.error({ dir: this.opts.dir, err: error }, 'buffer ack position unreadable: replaying the whole buffer (duplicates, not loss)');
    }
    return ack ?? { acked_id: -1, segment: 0, offset: 0 };
  }

  // ---- append -------------------------------------------------------------

  append(batch: EventBatch): Promise<void> {
    const next = this.writeChain.then(() => this.write(batch));
    this.writeChain = next.catch(() => {});
    return next;
  }

  private async write(batch: EventBatch): Promise<void> {
    if (this.closed || this.interrupted) return;
    if (batch.records.length === 0) {
      this.lastWrittenSeq = batch.seq;
      this.scheduleSync();
      return;
    }
    const bytes = encodeRecords(this.nextId, batch.records, batch.times, batch.ids);
    if (this.totalBytes + bytes.length > this.opts.maxSize && !this.drained) {
      if (this.opts.whenFull === 'drop_newest') {
        this.counters.droppedEvents += batch.records.length;
        // Dropped is done: the checkpoint may move past it, in order, at the next sync.
        this.lastWrittenSeq = batch.seq;
        this.scheduleSync();
        return;
      }
      // Room comes from acknowledged segments being freed; an empty buffer takes any batch.
      while (this.totalBytes + bytes.length > this.opts.maxSize && !this.drained && !this.closed && !this.interrupted) {
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      }
    }
    // Not taken in: not reported durable, so the checkpoint stays before it and its lines are read again.
    if (this.closed || this.interrupted) return;
    let seg = this.segments.at(-1)!;
    if (seg.size > MAGIC.length && seg.size + bytes.length > this.segmentSize) seg = await this.rollover();
    await writeAll(this.active!, bytes, seg.size);
    seg.size += bytes.length;
    this.totalBytes += bytes.length;
    this.nextId += batch.records.length;
    this.lastWrittenSeq = batch.seq;
    this.scheduleSync();
    this.wakeAll(this.dataWaiters);
  }

  private async newSegment(): Promise<Segment> {
    const seg: Segment = { firstId: this.nextId, path: join(this.opts.dir, segmentName(this.nextId)), size: MAGIC.length };
    const fh = await open(seg.path, 'wx');
    await writeAll(fh, MAGIC, 0);
    await fh.sync();
    await fsyncDir(this.opts.dir);
    this.active = fh;
    this.segments.push(seg);
    this.totalBytes += MAGIC.length;
    return seg;
  }

  private async rollover(): Promise<Segment> {
    await this.active!.sync();
    await this.active!.close();
    return this.newSegment();
  }

  // ---- durability ----------------------------------------------------------

  private scheduleSync(): void {
    if (this.syncTimer || this.closed) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.flush().catch((err: Error) => this.opts.logger.error({ dir: this.opts.dir, err: err.message }, 'buffer fsync failed; retrying'));
    }, this.opts.syncInterval);
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
    return takeOrWait(() => this.readSome(maxEvents, maxBytes, recordOverhead), () => this.closed || this.takingStopped, this.dataWaiters, maxWaitMs);
  }

  private async readSome(maxEvents: number, maxBytes: number, recordOverhead: number): Promise<TakenBatch | null> {
    if (this.rewindPending) await this.doRewind();
    const records: string[] = [];
    const times: number[] = [];
    const ids: string[] = [];
    let bytes = 0;
    let firstId = -1;
    let lastId = -1;
    while (records.length < maxEvents && bytes < maxBytes) {
      const seg = this.segments[this.readSegment]!;
      const isActive = this.readSegment === this.segments.length - 1;
      // seg.size moves only after a write completed, so below it a record is never legitimately incomplete.
      const item = await this.reader!.next(seg.size, true);
      if (item === null) {
        if (isActive) break;
        this.checkGap(seg, this.segments[this.readSegment + 1]!.firstId);
        await this.reader!.close();
        this.readSegment++;
        this.lastSeenId = -1;
        this.reader = await SegmentReader.open(this.segments[this.readSegment]!.path, 0);
        continue;
      }
      if (item.kind === 'record') {
        const r = item.record;
        this.lastSeenId = Math.max(this.lastSeenId, r.id);
        if (r.id <= this.ackedId || r.id <= lastId) continue;
        if (firstId < 0) firstId = r.id;
        lastId = r.id;
        records.push(r.json);
        times.push(r.time);
        ids.push(r.eventId);
        bytes += r.jsonBytes + recordOverhead;
        continue;
      }
      if (item.kind === 'damage') await this.quarantine(seg, item.start, item.end, item.reason);
      else {
        await this.quarantine(seg, item.start, seg.size, 'incomplete record at the end of a closed segment');
        this.lastSeenId++; // that cut record is the one quarantined: not missing twice
      }
    }
    if (records.length === 0) return null;
    this.taken.push({ lastId, segment: this.segments[this.readSegment]!.firstId, offset: this.reader!.pos });
    return { firstId, lastId, records, times, ids, bytes };
  }

  ack(lastId: number): void {
    if (lastId <= this.ackedId) return;
    this.ackedId = lastId;
    if (this.roomWaiters.length > 0 && !this.closed) {
      // An append is waiting for room: free acknowledged segments now, not at the next tick.
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
      void this.persistAck().catch((err: Error) => this.opts.logger.error({ dir: this.opts.dir, err: err.message }, 'buffer ack position write failed; retrying'));
      return;
    }
    if (!this.ackTimer && !this.closed) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = undefined;
        void this.persistAck().catch((err: Error) => this.opts.logger.error({ dir: this.opts.dir, err: err.message }, 'buffer ack position write failed; retrying'));
      }, this.opts.syncInterval);
    }
  }

  rewind(): void {
    this.rewindPending = true;
  }

  /** Replay from the acknowledged position: ids at or below it are skipped as they are read. */
  private async doRewind(): Promise<void> {
    this.rewindPending = false;
    this.taken.length = 0;
    this.lastSeenId = -1;
    const target = this.persisted;
    await this.reader?.close();
    this.readSegment = Math.max(0, this.segments.findIndex((s) => s.firstId === target.segment));
    const seg = this.segments[this.readSegment]!;
    this.reader = await SegmentReader.open(seg.path, seg.firstId === target.segment ? target.offset : 0);
  }

  /** One ack write at a time (the timer's and a waiting append's share the temp file). */
  private persistAck(): Promise<void> {
    const next = this.persisting.then(() => this.writeAck());
    this.persisting = next.catch(() => {});
    return next;
  }

  /** Persists the acknowledged position (fsynced), then frees the segments it covers. */
  private async writeAck(): Promise<void> {
    let pos: { segment: number; offset: number } | undefined;
    while (this.taken.length > 0 && this.taken[0]!.lastId <= this.ackedId) pos = this.taken.shift();
    if (!pos) return;
    const position: AckPosition = { acked_id: this.ackedId, segment: pos.segment, offset: pos.offset };
    await writeAck(this.opts.dir, position);
    this.persisted = position;
    // Only now, with the position on disk, may fully acknowledged segments go.
    while (this.segments.length > 1 && this.readSegment > 0 && this.segments[1]!.firstId - 1 <= position.acked_id) {
      const gone = this.segments.shift()!;
      this.readSegment--;
      await unlink(gone.path).catch(() => {});
      this.totalBytes -= gone.size;
    }
    this.wakeAll(this.roomWaiters);
  }

  // ---- damage ---------------------------------------------------------------

  /**
   * A closed segment must end just before the next one's first id. When it
   * ends earlier (cut short on disk), the missing records cannot be read back:
   * say how many, once, and count them, so nothing is lost silently.
   */
  private checkGap(seg: Segment, nextFirstId: number): void {
    const lastPresent = Math.max(this.lastSeenId, this.ackedId, seg.firstId - 1);
    const missing = nextFirstId - 1 - lastPresent;
    const key = `${seg.firstId}@gap`;
    if (missing <= 0 || this.quarantined.has(key)) return;
    this.quarantined.add(key);
    this.counters.lostRecords += missing;
    this.opts.logger.error({ segment: seg.path, firstMissingId: lastPresent + 1, missing }, 'buffer: segment cut short on disk; these records cannot be delivered');
  }

  private async quarantine(seg: Segment, start: number, end: number, reason: string): Promise<void> {
    // Recovery and delivery can both meet the same damage: it is moved and counted once.
    const key = `${seg.firstId}@${start}`;
    if (this.quarantined.has(key)) return;
    this.quarantined.add(key);
    const dir = join(this.opts.dir, 'quarantine');
    await mkdir(dir, { recursive: true });
    const target = join(dir, `${segmentName(seg.firstId)}@${start}-${end}.bad`);
    const src = await open(seg.path, 'r');
    try {
      const bytes = Buffer.allocUnsafe(end - start);
      await src.read(bytes, 0, bytes.length, start);
      await writeFileAtomic(target, bytes);
    } finally {
      await src.close();
    }
    this.counters.quarantinedRecords++;
    this.counters.quarantinedBytes += end - start;
    this.opts.logger.error({ segment: seg.path, offset: start, bytes: end - start, reason, movedTo: target }, 'buffer: damaged bytes quarantined; every other record is delivered');
  }

  // ---- close ------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    clearTimeout(this.syncTimer);
    clearTimeout(this.ackTimer);
    this.wakeAll(this.dataWaiters);
    this.wakeAll(this.roomWaiters);
    await this.persistAck();
    await this.reader?.close();
    await this.active?.close();
    // Everything is synced: the next open may trust where the last segment ends.
    const last = this.segments.at(-1);
    if (last) await writeFileAtomic(join(this.opts.dir, 'tail.json'), JSON.stringify({ segment: last.firstId, size: last.size, next_id: this.nextId }));
  }

  private wakeAll(waiters: (() => void)[]): void {
    for (const w of waiters.splice(0)) w();
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
