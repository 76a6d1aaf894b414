/**
 * Routing of records to open objects: each run of consecutive records that
 * render to the same prefix goes, as a view of the batch's bytes, to that
 * prefix's open object. Objects end on size (`object.max_bytes`), age
 * (`object.max_age`) or when more prefixes are open than allowed (the least
 * recently used closes first).
 */
import type { EventBatch } from '../../src/output/contract.js';
import { compileNameTemplate, type NameTemplate } from '../../src/output/name-template.js';
import { recordStart } from '../../src/output/record-batch.js';
import { timeOrNow } from '../../src/util/event-time.js';
import type { ObjectBackend } from './backend.js';
import type { ObjectLayout } from './layout-schema.js';
import { OpenObject } from './open-object.js';

export interface ObjectRouterOptions {
  readonly label: string;
  readonly layout: ObjectLayout;
  readonly backend: ObjectBackend;
  readonly maxOpenObjects: number;
  readonly onError: (err: Error) => void;
}

export class ObjectRouter {
  /** Open objects by rendered prefix, least recently used first (Map keeps insertion order). */
  readonly open = new Map<string, OpenObject>();
  /** Objects being closed; a sync waits for them, since their last bytes may belong to an unreported batch. */
  readonly closing = new Set<Promise<void>>();
  private readonly render: NameTemplate['render'];
  private readonly maxAge: number;

  constructor(private readonly opts: ObjectRouterOptions) {
    // Throws on a bad pattern now rather than on the first event.
    this.render = compileNameTemplate(opts.layout.prefix, { kind: 'object-key', output: opts.layout.name ?? '', inputs: opts.layout.inputs }).render;
    this.maxAge = opts.layout.object.max_age;
  }

  /**
   * Appends every record of `batch`; `afterSeq` is the last seq appended in
   * full before it. An event whose time is missing or not a valid date goes
   * under the current time's prefix. Returns the bytes appended.
   */
  route(batch: EventBatch, afterSeq: number, now: number): number {
    if (batch.count === 0) return 0;
    let start = 0;
    let time = timeOrNow(batch.times[0], now);
    let prefix = this.render(time, batch, 0);
    for (let i = 1; i <= batch.count; i++) {
      let nextTime = 0;
      let next: string | undefined;
      if (i < batch.count) {
        nextTime = timeOrNow(batch.times[i], now);
        // Rendering is cached per time bucket: no allocation per record.
        next = this.render(nextTime, batch, i);
        if (next === prefix) continue;
      }
      const object = this.objectFor(prefix, batch, start, time, now);
      object.append(batch.data.subarray(recordStart(batch, start), batch.ends[i - 1]), afterSeq, batch.seq, batch.ids[i - 1]!);
      if (object.full) this.retire(object);
      start = i;
      time = nextTime;
      prefix = next!;
    }
    return batch.data.length;
  }

  /** Closes every open object at least `max_age` old. */
  expire(now: number): void {
    for (const object of this.open.values()) {
      if (now - object.openedAt >= this.maxAge) this.retire(object);
    }
  }

  retireAll(): void {
    for (const object of [...this.open.values()]) this.retire(object);
  }

  /** Releases every open object without completing it (OpenObject.abort). */
  abortAll(): void {
    for (const object of [...this.open.values()]) {
      this.open.delete(object.prefix);
      this.track(object.abort());
    }
  }

  /** Starts closing `object`; the next record for its prefix opens a new one. */
  retire(object: OpenObject): void {
    if (this.open.get(object.prefix) === object) this.open.delete(object.prefix);
    if (object.closing) return;
    this.track(object.close());
  }

  private track(closed: Promise<void>): void {
    this.closing.add(closed);
    // The object reports its own failure through onError; only the bookkeeping is left here.
    const forget = (): boolean => this.closing.delete(closed);
    closed.then(forget, forget);
  }

  /** The open object for `prefix` after rollover, opening one for record `first` of `batch` if needed. */
  private objectFor(prefix: string, batch: EventBatch, first: number, firstTime: number, now: number): OpenObject {
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
    object = new OpenObject({
      label: this.opts.label,
      backend: this.opts.backend,
      start: { prefix, compression: this.opts.layout.compression, openedAt: now, firstTime, firstSeq: batch.seq, firstEventId: batch.ids[first]! },
      maxBytes: this.opts.layout.object.max_bytes,
      onFull: (o) => this.retire(o),
      onError: this.opts.onError,
    });
    this.open.set(prefix, object);
    if (this.open.size > this.opts.maxOpenObjects) this.retire(this.open.values().next().value!);
    return object;
  }
}
