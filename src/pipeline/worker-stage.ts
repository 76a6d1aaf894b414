import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { InputConfig } from '../config/schema.js';
import type { FieldSource } from '../enrich/field-source.js';
import type { SourceRef } from '../tail/line-batch.js';
import type { InputStage } from './input-stage.js';
import type { StageCounters, StageGroup, StageLines } from './parse-stage.js';
import { fromWire, type StageReply, type StageRequest } from './stage-protocol.js';

/** Batches a worker stage keeps unanswered: one being parsed while the one before is appended, one more queued. */
const WORKER_DEPTH = 2;

interface Waiter {
  resolve(reply: Extract<StageReply, { ok: true }>): void;
  reject(err: Error): void;
}

/**
 * One parse worker thread and the stages it hosts. It holds the process open
 * only while an answer is awaited, so a stop never waits for an idle worker.
 */
export class ParseWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter[]>();
  private pending = 0;
  private failure: Error | undefined;
  stages = 0;

  constructor(resourceLimits: ResourceLimits | undefined) {
    this.worker = new Worker(new URL('./parse-worker.js', import.meta.url), { resourceLimits });
    this.worker.unref();
    this.worker.on('message', (reply: StageReply) => this.answered(reply));
    this.worker.on('error', (err) => this.fail(new Error(`parse worker failed: ${err.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`parse worker exited with code ${code}`)));
  }

  request(msg: StageRequest, transfer: ArrayBuffer[] = []): Promise<Extract<StageReply, { ok: true }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let q = this.waiting.get(msg.stage);
      if (!q) this.waiting.set(msg.stage, (q = []));
      q.push({ resolve, reject });
      if (this.pending++ === 0) this.worker.ref();
      this.worker.postMessage(msg, transfer);
    });
  }

  /** A request the worker does not answer. */
  tell(msg: StageRequest): void {
    if (!this.failure) this.worker.postMessage(msg);
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('parse worker stopped');
    await this.worker.terminate();
  }

  private answered(reply: StageReply): void {
    const waiter = this.waiting.get(reply.stage)?.shift();
    if (--this.pending === 0) this.worker.unref();
    if (!waiter) return;
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(new Error(reply.error));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const q of this.waiting.values()) for (const w of q.splice(0)) w.reject(err);
    this.pending = 0;
  }
}

/** An input's ParseStage in a parse worker: the pump's calls become messages, answered in order. */
export class WorkerStage implements InputStage {
  readonly depth = WORKER_DEPTH;
  private readonly ids = new WeakMap<SourceRef, number>();
  private readonly sources = new Map<number, SourceRef>();
  private nextSource = 0;
  private last: StageCounters | undefined;
  /** The enrichment version the worker has. */
  private sentVersion: number | undefined;

  private constructor(
    private readonly worker: ParseWorker,
    private readonly stage: number,
    private readonly enrichment: FieldSource | undefined,
  ) {}

  /** Builds the input's stage in `worker`; rejects with the reason when its parser or processors cannot load. */
  static async open(worker: ParseWorker, stage: number, input: InputConfig, host: string, enrichment: FieldSource | undefined): Promise<WorkerStage> {
    const ws = new WorkerStage(worker, stage, enrichment);
    worker.stages++;
    try {
      ws.last = (await worker.request({ op: 'open', stage, input, host, enrichment: ws.enrichmentUpdate() })).counters;
    } catch (err) {
      worker.stages--;
      throw err;
    }
    return ws;
  }

  lines(batch: StageLines, now: number): Promise<StageGroup[]> {
    const source = { id: this.idOf(batch.source), path: batch.source.path, key: batch.source.key };
    return this.call({ op: 'lines', stage: this.stage, source, texts: batch.texts, offsets: batch.offsets, flags: batch.flags, endOffset: batch.endOffset, now, enrichment: this.enrichmentUpdate() });
  }

  tick(now: number): Promise<StageGroup[]> {
    return this.call({ op: 'tick', stage: this.stage, now, enrichment: this.enrichmentUpdate() });
  }

  flushAll(now: number): Promise<StageGroup[]> {
    return this.call({ op: 'flush', stage: this.stage, now, enrichment: this.enrichmentUpdate() });
  }

  closed(source: SourceRef): void {
    const id = this.ids.get(source);
    if (id !== undefined) this.worker.tell({ op: 'closed', stage: this.stage, source: id });
  }

  counters(): StageCounters {
    return this.last!;
  }

  close(): void {
    this.worker.tell({ op: 'drop', stage: this.stage });
    this.worker.stages--;
  }

  private async call(msg: StageRequest): Promise<StageGroup[]> {
    const reply = await this.worker.request(msg);
    this.last = reply.counters;
    const groups = reply.groups.map((g) => ({ source: this.sources.get(g.source)!, endOffset: g.endOffset, parsed: g.parsed, records: fromWire(g) }));
    for (const id of reply.released) {
      // A source is released only after the tailer closed it for good: it sends nothing more.
      this.ids.delete(this.sources.get(id)!);
      this.sources.delete(id);
    }
    return groups;
  }

  private idOf(source: SourceRef): number {
    let id = this.ids.get(source);
    if (id === undefined) {
      this.ids.set(source, (id = this.nextSource++));
      this.sources.set(id, source);
    }
    return id;
  }

  /** Pod metadata once, then again only when its files changed. */
  private enrichmentUpdate() {
    const e = this.enrichment;
    if (e === undefined || e.version === this.sentVersion) return undefined;
    this.sentVersion = e.version;
    return { version: e.version, entries: e.entries };
  }
}
