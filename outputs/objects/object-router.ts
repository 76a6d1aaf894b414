/**
 * Routing of records to open objects: each run of consecutive records that
 * render to the same prefix goes, as a view of the batch's bytes, to that
 * prefix's open object. Objects end on size (`object.max_bytes`), event count
 * (`object.max_events`), age (`object.max_age`) or when more prefixes are
 * open than allowed (the least recently used closes first).
 *
 * Objects a store recorded before their final upload (ObjectRange) are
 * rebuilt exactly when their records replay: the records of the range that
 * render to its prefix go into one object that ends after the range's last
 * record, whatever its size or age. A range whose first record is already
 * acknowledged was uploaded whole (a record is acknowledged only once its
 * object is), so its records still replaying are skipped.
 */
import type { EventBatch } from '../../src/output/contract.js';
import { compileNameTemplate, type NameTemplate } from '../../src/output/name-template.js';
import { recordStart } from '../../src/output/record-batch.js';
import { timeOrNow } from '../../src/util/event-time.js';
import type { ObjectBackend, ObjectRange } from './backend.js';
import type { ObjectLayout } from './layout-schema.js';
import { OpenObject } from './open-object.js';

export interface ObjectRouterOptions {
  readonly label: string;
  readonly layout: ObjectLayout;
  readonly backend: ObjectBackend;
  readonly maxOpenObjects: number;
  readonly onError: (err: Error) => void;
}

/** A recorded range still ahead of the replay; `uploaded` when its first record was acknowledged before. */
interface PendingRange extends ObjectRange {
  readonly uploaded: boolean;
}

export class ObjectRouter {
  /** Open objects by rendered prefix, least recently used first (Map keeps insertion order). */
  readonly open = new Map<string, OpenObject>();
  /** Objects being closed; a sync waits for them, since their last bytes may belong to an unreported batch. */
  readonly closing = new Set<Promise<void>>();
  private readonly render: NameTemplate['render'];
  private readonly maxAge: number;
  private readonly maxEvents: number;
  /** The oldest `holdsBackAfter` of rebuilt objects released unfinished: their records were never stored. */
  private released: number | undefined;
  /** Recorded ranges by prefix, oldest first; undefined until the first batch says where the replay starts. */
  private ranges: Map<string, PendingRange[]> | undefined;

  constructor(private readonly opts: ObjectRouterOptions) {
    // Throws on a bad pattern now rather than on the first event.
    this.render = compileNameTemplate(opts.layout.prefix, { kind: 'object-key', output: opts.layout.name ?? '', inputs: opts.layout.inputs }).render;
    this.maxAge = opts.layout.object.max_age;
    this.maxEvents = opts.layout.object.max_events ?? Infinity;
  }

  /**
   * Appends every record of `batch`; `afterSeq` is the last seq appended in
   * full before it. An event whose time is missing or not a valid date goes
   * under the current time's prefix. Returns the bytes appended.
   */
  route(batch: EventBatch, afterSeq: number, now: number): number {
    if (batch.count === 0) return 0;
    // A batch holds consecutive buffer records and its seq is the last one's id.
    const base = batch.seq - batch.count + 1;
    this.ranges ??= this.pendingRanges(base);
    let start = 0;
    let prefix = this.render(timeOrNow(batch.times[0], now), batch, 0);
    for (let i = 1; i <= batch.count; i++) {
      let next: string | undefined;
      if (i < batch.count) {
        // Rendering is cached per time bucket: no allocation per record.
        next = this.render(timeOrNow(batch.times[i], now), batch, i);
        if (next === prefix) continue;
      }
      this.appendRun(prefix, batch, base, start, i, afterSeq, now);
      start = i;
      prefix = next!;
    }
    // A rebuilt object whose last record went by ends now, even if that record never came back (a gap in the buffer).
    for (const object of [...this.open.values()]) {
      if (object.forcedLast !== undefined && object.forcedLast <= batch.seq) this.close(object);
    }
    return batch.data.length;
  }

  /** Closes every open object at least `max_age` old (a rebuilt one waits for its last record). */
  expire(now: number): void {
    for (const object of this.open.values()) {
      if (object.forcedLast === undefined && now - object.openedAt >= this.maxAge) this.retire(object);
    }
  }

  /**
   * Closes the open objects on shutdown. A rebuilt object still missing
   * records is released instead: uploaded short, it would give its key other
   * content; its records replay into it next time.
   */
  retireAll(): void {
    for (const object of [...this.open.values()]) {
      if (object.forcedLast === undefined) {
        this.retire(object);
        continue;
      }
      const held = object.holdsBackAfter;
      if (held !== undefined) this.released = Math.min(this.released ?? held, held);
      this.release(object);
    }
  }

  /** Durability cannot be reported past this: a rebuilt object released on shutdown holds its records. */
  get releasedHold(): number | undefined {
    return this.released;
  }

  /** Releases every open object without completing it (OpenObject.abort). */
  abortAll(): void {
    for (const object of [...this.open.values()]) this.release(object);
  }

  /** Closes the least recently used object that may close early (not a rebuilt one, not `keep`). */
  private retireLeastRecent(keep: OpenObject): void {
    for (const object of this.open.values()) {
      if (object.forcedLast === undefined && object !== keep) return this.retire(object);
    }
  }

  /** Closes the object holding the oldest unacknowledged records back (not a rebuilt one): the buffer frees most when it is uploaded. */
  retireOldest(): void {
    let oldest: OpenObject | undefined;
    for (const object of this.open.values()) {
      const held = object.holdsBackAfter;
      if (object.forcedLast === undefined && held !== undefined && (oldest === undefined || held < oldest.holdsBackAfter!)) oldest = object;
    }
    if (oldest !== undefined) this.retire(oldest);
  }

  /** Starts closing `object`; the next record for its prefix opens a new one. A rebuilt object ends only on its last record. */
  retire(object: OpenObject): void {
    if (object.forcedLast !== undefined) return;
    this.close(object);
  }

  /** Appends records [from, to) of `batch`, all rendering to `prefix`, splitting them at recorded ranges and rollover. */
  private appendRun(prefix: string, batch: EventBatch, base: number, from: number, to: number, afterSeq: number, now: number): void {
    const ranges = this.ranges!.get(prefix);
    for (let at = from; at < to; ) {
      const id = base + at;
      while (ranges !== undefined && ranges.length > 0 && ranges[0]!.last < id) ranges.shift();
      const range = ranges?.[0];
      let end = to;
      let object: OpenObject;
      if (range === undefined || range.first > base + to - 1) {
        object = this.objectFor(prefix, batch, at, now);
      } else if (range.first > id) {
        // The records before the range go to an ordinary object, which must end before the range begins.
        end = range.first - base;
        object = this.objectFor(prefix, batch, at, now);
      } else {
        end = Math.min(to, range.last - base + 1);
        if (range.uploaded) {
          at = end;
          continue;
        }
        object = this.rebuilding(prefix, range, batch, at, now);
      }
      if (object.forcedLast === undefined) end = Math.min(end, at + this.maxEvents - object.events);
      object.append(batch.data.subarray(recordStart(batch, at), batch.ends[end - 1]), afterSeq, batch.seq, batch.ids[end - 1]!, base + end - 1, end - at);
      if (object.forcedLast !== undefined) {
        if (base + end - 1 >= object.forcedLast) {
          ranges!.shift();
          this.close(object);
        }
      } else if (object.full || (range !== undefined && end === range.first - base)) {
        this.retire(object);
      }
      at = end;
    }
  }

  /** The recorded ranges, against a replay that starts at record `first`. */
  private pendingRanges(first: number): Map<string, PendingRange[]> {
    const byPrefix = new Map<string, PendingRange[]>();
    const recorded = [...(this.opts.backend.recordedObjects?.() ?? [])].sort((a, b) => a.first - b.first);
    for (const r of recorded) {
      if (r.last < first) continue;
      const list = byPrefix.get(r.prefix) ?? [];
      list.push({ ...r, uploaded: r.first < first });
      byPrefix.set(r.prefix, list);
    }
    return byPrefix;
  }

  /** The object rebuilding `range`, opened at its first record (an ordinary object open for the prefix closes first). */
  private rebuilding(prefix: string, range: ObjectRange, batch: EventBatch, first: number, now: number): OpenObject {
    const current = this.open.get(prefix);
    if (current?.forcedLast === range.last) return current;
    // An ordinary object ends before the range; an earlier range's object whose last record never came ends too.
    if (current !== undefined) this.close(current);
    return this.openObject(prefix, batch, first, now, range.last);
  }

  private close(object: OpenObject): void {
    if (this.open.get(object.prefix) === object) this.open.delete(object.prefix);
    if (object.closing) return;
    this.track(object.close());
  }

  private release(object: OpenObject): void {
    if (this.open.get(object.prefix) === object) this.open.delete(object.prefix);
    this.track(object.abort());
  }

  private track(closed: Promise<void>): void {
    this.closing.add(closed);
    // The object reports its own failure through onError; only the bookkeeping is left here.
    const forget = (): boolean => this.closing.delete(closed);
    closed.then(forget, forget);
  }

  /** The open object for `prefix` after rollover, opening one for record `first` of `batch` if needed. */
  private objectFor(prefix: string, batch: EventBatch, first: number, now: number): OpenObject {
    let object = this.open.get(prefix);
    if (object !== undefined && (object.full || now - object.openedAt >= this.maxAge)) {
      this.retire(object);
      object = undefined;
    }
    if (object !== undefined) {
      // Mark as most recently used.
      this.open.delete(prefix);
      this.open.set(prefix, object);
      return object;
    }
    return this.openObject(prefix, batch, first, now, undefined);
  }

  private openObject(prefix: string, batch: EventBatch, first: number, now: number, forcedLast: number | undefined): OpenObject {
    const object = new OpenObject({
      label: this.opts.label,
      backend: this.opts.backend,
      start: {
        prefix,
        compression: this.opts.layout.compression,
        openedAt: now,
        firstTime: timeOrNow(batch.times[first], now),
        firstSeq: batch.seq,
        firstEventId: batch.ids[first]!,
        firstRecord: batch.seq - batch.count + 1 + first,
      },
      maxBytes: this.opts.layout.object.max_bytes,
      maxEvents: this.maxEvents,
      fixedSlices: this.opts.backend.durableOnClose === true,
      ...(forcedLast !== undefined && { forcedLast }),
      onFull: (o) => this.retire(o),
      onError: this.opts.onError,
    });
    this.open.set(prefix, object);
    // The oldest object that may close early makes room; rebuilt ones can briefly exceed the limit.
    if (this.open.size > this.opts.maxOpenObjects) this.retireLeastRecent(object);
    return object;
  }
}
