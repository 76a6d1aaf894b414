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
 * One parse worker thread and the stages it hosts. The thread starts with
 * the first request (an idle sidecar never pays for its heap) and holds the
 * process open only while an answer is awaited, so a stop never waits for an
 * idle worker.
 */
export class ParseWorker {
  private thread: Worker | undefined;
  private readonly waiting = new Map<number, Waiter[]>();
  private pending = 0;
  private failure: Error | undefined;
  stages = 0;

  constructor(private readonly resourceLimits: ResourceLimits) {}

  request(msg: StageRequest, transfer: ArrayBuffer[] = []): Promise<Extract<StageReply, { ok: true }>> {
    if (this.failure) return Promise.reject(this.failure);
    const thread = this.started();
    return new Promise((resolve, reject) => {
      let q = this.waiting.get(msg.stage);
      if (!q) this.waiting.set(msg.stage, (q = []));
      q.push({ resolve, reject });
      if (this.pending++ === 0) thread.ref();
      thread.postMessage(msg, transfer);
    });
  }

  /** A request the worker does not answer (none when its thread never started: it has nothing to forget). */
  tell(msg: StageRequest): void {
    if (!this.failure) this.thread?.postMessage(msg);
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('parse worker stopped');
    await this.thread?.terminate();
  }

  private started(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(new URL('./parse-worker.js', import.meta.url), { resourceLimits: this.resourceLimits });
    thread.unref();
    thread.on('message', (reply: StageReply) => this.answered(reply));
    thread.on('error', (err) => this.fail(new Error(`parse worker failed: ${err.message}`)));
    thread.on('exit', (code) => this.fail(new Error(`parse worker exited with code ${code}`)));
    return (this.thread = thread);
  }

  private answered(reply: StageReply): void {
    const waiter = this.waiting.get(reply.stage)?.shift();
    if (--this.pending === 0) this.thread!.unref();
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
  private last: StageCounters;
  /** As of the last answer: the worker's stage holds nothing a tick could end. */
  private idle = true;
  private unanswered = 0;
  /** The enrichment version the worker has. */
  private sentVersion: number | undefined;

  /** The worker's answer to `open`: awaited before the first answer is used, so a stage that failed to build says why. */
  private opened: Promise<unknown> | undefined;

  /**
   * The input's stage in `worker`, built there with the first call (the
   * caller built it once on its own thread first, so a parser module or key
   * file that cannot load already stopped the start).
   */
  constructor(
    private readonly worker: ParseWorker,
    private readonly stage: number,
    private readonly input: InputConfig,
    private readonly host: string,
    private readonly enrichment: FieldSource | undefined,
    /** Zero counters until the worker answers. */
    initial: StageCounters,
  ) {
    this.last = initial;
    worker.stages++;
  }

  lines(batch: StageLines, now: number): Promise<StageGroup[]> {
    const source = { id: this.idOf(batch.source), path: batch.source.path, key: batch.source.key };
    return this.call({ op: 'lines', stage: this.stage, source, texts: batch.texts, offsets: batch.offsets, flags: batch.flags, endOffset: batch.endOffset, now, enrichment: this.enrichmentUpdate() });
  }

  tick(now: number): Promise<StageGroup[]> {
    // The tailer ticks every poll: a message only when the worker holds something a timeout could end
    // (an idle input never starts the worker's thread).
    if (this.idle && this.unanswered === 0) return Promise.resolve([]);
    return this.call({ op: 'tick', stage: this.stage, now, enrichment: this.enrichmentUpdate() });
  }

  flushAll(now: number): Promise<StageGroup[]> {
    if (this.idle && this.unanswered === 0) return Promise.resolve([]);
    return this.call({ op: 'flush', stage: this.stage, now, enrichment: this.enrichmentUpdate() });
  }

  closed(source: SourceRef): void {
    const id = this.ids.get(source);
    if (id !== undefined) this.worker.tell({ op: 'closed', stage: this.stage, source: id });
  }

  counters(): StageCounters {
    return this.last;
  }

  close(): void {
    this.worker.tell({ op: 'drop', stage: this.stage });
    this.worker.stages--;
  }

  private async call(msg: StageRequest): Promise<StageGroup[]> {
    this.unanswered++;
    let reply;
    try {
      // Requests are answered in order: `open` goes first, and its failure is the one to report.
      // With the enrichment as it is now, whatever the first request carries: the worker's encoder reads pod metadata only if `open` had some.
      this.opened ??= this.worker.request({ op: 'open', stage: this.stage, input: this.input, host: this.host, enrichment: this.enrichmentUpdate(true) });
      const answer = this.worker.request(msg);
      answer.catch(() => {});
      await this.opened;
      reply = await answer;
    } finally {
      this.unanswered--;
    }
    this.last = reply.counters;
    this.idle = reply.idle;
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

  /** Pod metadata once, then again only when its files changed (`always`: whatever was sent before). */
  private enrichmentUpdate(always = false) {
    const e = this.enrichment;
    if (e === undefined || (!always && e.version === this.sentVersion)) return undefined;
    this.sentVersion = e.version;
    return { version: e.version, entries: e.entries };
  }
}
