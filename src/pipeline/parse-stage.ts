import { ParserChain, type ChainRecord, type ChainSpec, type SkipReason } from '../../parsers/chain.js';
import { buildChainSpec } from '../../parsers/setup.js';
import type { InputConfig } from '../config/schema.js';
import type { FieldSource } from '../enrich/field-source.js';
import { RecordBatchBuilder, type RecordBatch } from '../output/record-batch.js';
import { ProcessorList, type ProcessorCounters } from '../processors/processor-list.js';
import type { SourceRef } from '../tail/line-batch.js';
import { EventEncoder } from './event-encoder.js';

/** Lines parsed and encoded at a time: small enough that a slice's events die young. */
const SLICE_LINES = 256;

/** What an input's parsing did, for its metrics and stats lines. */
export interface StageCounters {
  readonly parseFailures: number;
  /** The latest failure's reason: shown in the stats line, never a log line per event. */
  readonly lastParseFailure: string | undefined;
  /** Records that left no event: blank lines, and records a user parser dropped (returned null). */
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** With `parser: [a, b, …]`: records taken by each parser of the list. */
  readonly parsedBy: Record<string, number> | undefined;
  readonly processors: ProcessorCounters;
}

/** One source's events, encoded, and where its checkpoint may move once they are durable. */
export interface StageGroup<S extends SourceRef = SourceRef> {
  readonly source: S;
  /** The first byte of the source not covered: the end of the lines read, or a line still held in a pending multi-line event. */
  readonly endOffset: number;
  /** Records that left the parser chain (the processors may have dropped some of them). */
  readonly parsed: number;
  readonly records: RecordBatch;
}

/** Lines of one source as the tailer read them (src/tail/line-batch.ts). */
export interface StageLines<S extends SourceRef = SourceRef> {
  readonly source: S;
  readonly texts: readonly string[];
  readonly offsets: readonly number[];
  readonly flags: readonly number[] | null;
  readonly endOffset: number;
}

/**
 * An input's CPU work between the tailer and the buffers: the parser chain
 * (container wrapper, multi-line, format parser, ECS normalisation), the
 * processors and the encoder. It holds no I/O, so it runs the same on the
 * main thread or in a parse worker (src/pipeline/parse-worker.ts): lines go
 * in, encoded bytes come out, one group per source with its checkpoint offset.
 */
export class ParseStage<S extends SourceRef = SourceRef> {
  private readonly records: ChainRecord[] = [];
  /** The groups being encoded, by source, until the call that feeds them answers. */
  private readonly open = new Map<S, { builder: RecordBatchBuilder; parsed: number }>();
  /** Encoded bytes per character read, as last seen: sizes a batch's buffer so it neither grows nor shrinks by copying. */
  private expansion = 3;
  /** Characters of the lines being parsed now (0 for a tick or a flush). */
  private inputChars = 0;
  /** Per source, the end of the last lines pushed: a group never claims lines it has not seen, and reads after them may still be in flight. */
  private readonly seenUpTo = new WeakMap<S, number>();
  private failures = 0;
  private lastFailure: string | undefined;
  private readonly skipped: Record<SkipReason, number> = { blank: 0, dropped: 0 };
  private readonly chain: ParserChain;
  private readonly encoder: EventEncoder;

  /** Throws naming the problem when a parser module or a processor's key file cannot be loaded. */
  static async build<S extends SourceRef>(input: InputConfig, host: string, enrichment: FieldSource | undefined): Promise<ParseStage<S>> {
    // Processors first, as a start always did: a key file that cannot be read names the processor.
    const processors = new ProcessorList(input.processors);
    return new ParseStage<S>(input, host, enrichment, processors, await buildChainSpec(input));
  }

  private constructor(
    input: InputConfig,
    host: string,
    enrichment: FieldSource | undefined,
    private readonly processors: ProcessorList,
    private readonly spec: ChainSpec,
  ) {
    const onFailure = (reason: string) => {
      this.failures++;
      this.lastFailure = reason;
    };
    this.chain = new ParserChain(spec, onFailure, (reason) => this.skipped[reason]++);
    const unencodable = processors.redactingFallback((rec: ChainRecord, reason: string) => this.chain.unencodable(rec, reason));
    this.encoder = new EventEncoder(input.fields, host, unencodable, enrichment);
  }

  lines(batch: StageLines<S>, now: number): StageGroup<S>[] {
    this.seenUpTo.set(batch.source, batch.endOffset);
    let chars = 0;
    for (const t of batch.texts) chars += t.length + 1;
    this.inputChars = chars;
    // In slices, each encoded before the next is parsed: the events of a whole read (thousands) never live at once,
    // so the young generation's scavenges find them dead instead of copying them.
    for (let from = 0; from < batch.texts.length; from += SLICE_LINES) {
      this.chain.push(batch.source, batch.texts, batch.offsets, batch.flags, now, this.records, from, Math.min(batch.texts.length, from + SLICE_LINES));
      this.encodeRecords(now);
    }
    const groups = this.groups();
    const bytes = groups.reduce((n, g) => n + g.records.data.length, 0);
    if (bytes > 0) this.expansion = bytes / chars;
    this.inputChars = 0;
    return groups;
  }

  /** Multi-line events and container pieces idle past their timeouts end now. */
  tick(now: number): StageGroup<S>[] {
    this.chain.tick(now, this.records);
    this.encodeRecords(now);
    return this.groups();
  }

  /** The tailer drained: every pending event is complete. */
  flushAll(now: number): StageGroup<S>[] {
    this.chain.flushAll(now, this.records);
    this.encodeRecords(now);
    return this.groups();
  }

  /** Nothing pending that a tick could end. */
  get idle(): boolean {
    return this.chain.idle;
  }

  /** True while a line of `source` is held in a pending event. */
  holds(source: S): boolean {
    return this.chain.pendingStart(source) !== undefined;
  }

  counters(): StageCounters {
    return {
      parseFailures: this.failures,
      lastParseFailure: this.lastFailure,
      skipped: { ...this.skipped },
      parsedBy: this.spec.parsedBy?.(),
      processors: this.processors.counters(),
    };
  }

  /** The records out of the chain into their source's group (the tracker moves each file's checkpoint on its own). */
  private encodeRecords(now: number): void {
    const recs = this.records;
    let from = 0;
    while (from < recs.length) {
      // Runs of one source: with one file per batch (the usual case) the whole slice is one run.
      const source = recs[from]!.source as S;
      let to = from + 1;
      while (to < recs.length && recs[to]!.source === source) to++;
      const run = from === 0 && to === recs.length ? recs : recs.slice(from, to);
      let open = this.open.get(source);
      if (!open) this.open.set(source, (open = { builder: new RecordBatchBuilder(Math.ceil(this.inputChars * this.expansion * 1.1) + 4096), parsed: 0 }));
      open.parsed += run.length;
      // Before the encoder: what a processor drops or redacts is never written.
      this.encoder.encodeInto(this.processors.run(run, source.key, now), source, open.builder);
      from = to;
    }
    recs.length = 0;
  }

  /** The groups encoded since the last call, in the order their sources first appeared. A group left empty still moves the checkpoint. */
  private groups(): StageGroup<S>[] {
    if (this.open.size === 0) return [];
    const out: StageGroup<S>[] = [];
    for (const [source, { builder, parsed }] of this.open) {
      const pending = this.chain.pendingStart(source);
      const seen = this.seenUpTo.get(source)!;
      out.push({ source, endOffset: pending === undefined ? seen : Math.min(pending, seen), parsed, records: builder.build() });
    }
    this.open.clear();
    return out;
  }
}
