import { LINE_PARTIAL, LINE_TRUNCATED } from './line-flags.js';
import { criDecoder } from './container/cri.js';
import { dockerDecoder } from './container/docker.js';
import { PartialJoiner, type JoinedLine } from './container/partial-joiner.js';
import type { ContainerDecoder } from './container/types.js';
import { MultilineAssembler, type AssembledRecord, type MultilineConfig, type MultilinePreset } from './multiline/assembler.js';
import { normalize, type NormalizeOptions } from './normalize.js';
import { cutUtf8 } from './regex.js';
import type { ContainerFormat } from './registry.js';
import { ParseFailure, errorText, type Fields, type LineParser, type ParseResult } from './types.js';

export interface ChainSpec {
  readonly container: ContainerFormat | undefined;
  readonly multiline: { config: MultilineConfig; preset: MultilinePreset | undefined } | undefined;
  readonly parser: LineParser;
  /** With a list of parsers: how many records each took (the input's stats). */
  readonly parsedBy?: (() => Record<string, number>) | undefined;
  readonly normalize: NormalizeOptions;
  /** Cap of a container line joined from partial pieces. */
  readonly maxLineBytes: number;
  /** A container line whose final piece does not come is emitted after this much idle time. */
  readonly partialTimeoutMs: number;
}

/** One event out of the chain, still without the pipeline's enrichment (file, id, host). */
export interface ChainRecord {
  readonly source: object;
  /** Byte offset of the event's first line. */
  readonly offset: number;
  readonly event: Record<string, unknown>;
  readonly time: number;
  /** The record's raw text: what a parse failure keeps when the event cannot be encoded. */
  readonly text: string;
}

/** A file's streams, and its finished events that wait for an earlier one still being assembled. */
interface SourceState {
  plain?: StreamKey;
  stdout?: StreamKey;
  stderr?: StreamKey;
  /** Sorted by offset: events leave in the order of their first line, whatever stream finishes first. */
  readonly waiting: ChainRecord[];
}

/** Why a record left no event: a blank line, or a parser's `null`. */
export type SkipReason = 'blank' | 'dropped';

/** One file's stream (stdout/stderr of a container log, or the whole file): multi-line state is kept per stream. */
interface StreamKey {
  readonly source: object;
  readonly owner: SourceState;
  readonly stream: 'stdout' | 'stderr' | undefined;
  /** Line flags and container time gathered since the stream's last emitted record: they belong to the pending event. */
  flags: number;
  time: number | undefined;
  /** When the last container piece arrived: drives the partial-line timeout. */
  pieceAt: number;
}

const DECODERS: Record<ContainerFormat, ContainerDecoder> = { cri: criDecoder, docker: dockerDecoder };

/**
 * Raw lines to normalised events: container wrapper, then multi-line assembly,
 * then the content parser, then the schema. `logship run` and `logship parse`
 * both go through here.
 */
export class ParserChain {
  private readonly decoder: ContainerDecoder | undefined;
  private readonly joiner: PartialJoiner | undefined;
  private readonly assembler: MultilineAssembler | undefined;
  private readonly keys = new WeakMap<object, SourceState>();
  /** Sources with events in `waiting`. */
  private readonly waitingSources = new Set<SourceState>();
  private readonly joined: JoinedLine[] = [];
  private readonly assembled: AssembledRecord[] = [];
  /** Streams holding container pieces that wait for their final piece. */
  private readonly partialKeys = new Set<StreamKey>();
  private now = 0;

  /** `onFailure` hears every parse failure, `onSkip` every record that left no event. */
  constructor(
    private readonly spec: ChainSpec,
    private readonly onFailure?: (reason: string, offset: number) => void,
    private readonly onSkip?: (reason: SkipReason, offset: number) => void,
  ) {
    this.decoder = spec.container ? DECODERS[spec.container] : undefined;
    this.joiner = spec.container ? new PartialJoiner(spec.maxLineBytes) : undefined;
    this.assembler = spec.multiline ? new MultilineAssembler(spec.multiline.config, spec.multiline.preset) : undefined;
  }

  /** Feeds lines `[from, to)` of one source (column-wise, as the tailer reads them); finished events go to `out`. */
  push(source: object, texts: readonly string[], offsets: readonly number[], flags: readonly number[] | null, now: number, out: ChainRecord[], from = 0, to = texts.length): void {
    this.now = now;
    for (let i = from; i < to; i++) {
      const offset = offsets[i]!;
      // A UTF-8 byte-order mark opens some files written on Windows; it is not content.
      const text = offset === 0 && texts[i]!.charCodeAt(0) === 0xfeff ? texts[i]!.slice(1) : texts[i]!;
      const lineFlags = flags === null ? 0 : flags[i]!;
      if (!this.decoder) {
        this.assemble(this.keyFor(source, undefined), text, offset, undefined, lineFlags, out);
        continue;
      }
      const piece = this.decoder.decode(text);
      if (piece instanceof ParseFailure) {
        // Not a container line: kept whole, tagged, outside any multi-line event. What the file's streams
        // hold ends before it (as Fluent Bit does), so the line overtakes nothing.
        const key = this.keyFor(source, undefined);
        this.flushSource(key.owner, out);
        this.emit(key, text, offset, now, lineFlags, piece, undefined, out);
        continue;
      }
      const key = this.keyFor(source, piece.stream);
      key.pieceAt = now;
      this.joiner!.push(key, piece, offset, this.joined);
      if (this.joiner!.has(key)) this.partialKeys.add(key);
      else this.partialKeys.delete(key);
      this.drainJoined(lineFlags, out);
    }
    const state = this.keys.get(source);
    if (state !== undefined && state.waiting.length > 0) this.release(state, out);
  }

  /** Flushes multi-line events whose stream has been idle past the timeout. */
  tick(now: number, out: ChainRecord[]): void {
    this.now = now;
    for (const key of this.partialKeys) {
      if (now - key.pieceAt < this.spec.partialTimeoutMs) continue;
      this.joiner!.flushKey(key, this.joined);
      this.partialKeys.delete(key);
      this.drainJoined(LINE_PARTIAL, out);
    }
    if (this.assembler) {
      this.assembler.flushIdle(now, this.assembled);
      this.drainAssembled(out);
    }
    for (const state of this.waitingSources) this.release(state, out);
  }

  /** Shutdown: everything pending becomes an event; nothing is lost. */
  flushAll(now: number, out: ChainRecord[]): void {
    this.now = now;
    if (this.joiner) {
      // Lines still waiting for their final piece end here: emitted as they are, tagged.
      this.joiner.flushAll(this.joined);
      this.partialKeys.clear();
      this.drainJoined(LINE_PARTIAL, out);
    }
    if (this.assembler) {
      this.assembler.flushAll(this.assembled);
      this.drainAssembled(out);
    }
    for (const state of this.waitingSources) this.release(state, out);
  }

  /** Earliest offset of a line of `source` still held in a pending event: the checkpoint must not pass it. */
  pendingStart(source: object): number | undefined {
    const state = this.keys.get(source);
    if (state === undefined) return undefined;
    const held = this.heldStart(state);
    const waiting = state.waiting[0]?.offset;
    return held === undefined || (waiting !== undefined && waiting < held) ? waiting : held;
  }

  /** Earliest offset of a line of the source that the joiner or the assembler still holds. */
  private heldStart(state: SourceState): number | undefined {
    return this.heldBy(state.stderr, this.heldBy(state.stdout, this.heldBy(state.plain, undefined)));
  }

  private heldBy(key: StreamKey | undefined, min: number | undefined): number | undefined {
    if (key === undefined) return min;
    const a = this.joiner?.pendingOffset(key);
    const b = this.assembler?.pendingOffset(key);
    if (a !== undefined && (min === undefined || a < min)) min = a;
    if (b !== undefined && (min === undefined || b < min)) min = b;
    return min;
  }

  /** Ends everything the source's streams hold (pieces, then multi-line events). */
  private flushSource(state: SourceState, out: ChainRecord[]): void {
    for (const key of [state.stdout, state.stderr, state.plain]) {
      if (key === undefined) continue;
      if (this.joiner?.has(key)) {
        this.joiner.flushKey(key, this.joined);
        this.partialKeys.delete(key);
        this.drainJoined(LINE_PARTIAL, out);
      }
      if (this.assembler) {
        this.assembler.flushStream(key, this.assembled);
        this.drainAssembled(out);
      }
    }
  }

  /** A finished event leaves unless an earlier line of its file is still held; then it waits, in offset order. */
  private deliver(rec: ChainRecord, state: SourceState, out: ChainRecord[]): void {
    if (state.waiting.length === 0) {
      const held = this.heldStart(state);
      if (held === undefined || rec.offset < held) {
        out.push(rec);
        return;
      }
    }
    const w = state.waiting;
    let i = w.length;
    w.push(rec);
    while (i > 0 && w[i - 1]!.offset > rec.offset) {
      w[i] = w[i - 1]!;
      i--;
    }
    w[i] = rec;
    this.waitingSources.add(state);
  }

  /** Lets out the waiting events that no held line precedes any more. */
  private release(state: SourceState, out: ChainRecord[]): void {
    const held = this.heldStart(state);
    const w = state.waiting;
    let n = 0;
    while (n < w.length && (held === undefined || w[n]!.offset < held)) out.push(w[n++]!);
    if (n > 0) w.splice(0, n);
    if (w.length === 0) this.waitingSources.delete(state);
  }

  private drainJoined(rawFlags: number, out: ChainRecord[]): void {
    for (const j of this.joined) {
      const flags = rawFlags | (j.truncated ? LINE_TRUNCATED : 0);
      this.assemble(j.key as StreamKey, j.text, j.offset, j.time, flags, out);
    }
    this.joined.length = 0;
  }

  private assemble(key: StreamKey, text: string, offset: number, time: number | undefined, flags: number, out: ChainRecord[]): void {
    if (!this.assembler) {
      this.emit(key, text, offset, time ?? this.now, flags, undefined, undefined, out);
      return;
    }
    this.assembler.push(key, text, offset, this.now, this.assembled);
    this.drainAssembled(out);
    // This line belongs to the event now pending on its stream.
    key.flags |= flags;
    key.time ??= time;
  }

  private drainAssembled(out: ChainRecord[]): void {
    for (const r of this.assembled) {
      const key = r.stream as StreamKey;
      const flags = key.flags | (r.truncated ? LINE_TRUNCATED : 0);
      const time = key.time ?? this.now;
      key.flags = 0;
      key.time = undefined;
      this.emit(key, r.text, r.offset, time, flags, undefined, r.error, out);
    }
    this.assembled.length = 0;
  }

  private emit(
    key: StreamKey,
    text: string,
    offset: number,
    fallbackTime: number,
    flags: number,
    failure: ParseFailure | undefined,
    error: AssembledRecord['error'],
    out: ChainRecord[],
  ): void {
    // A blank line (a trailing empty line, a spacer between entries) holds nothing to ship.
    if (isBlank(text)) {
      this.onSkip?.('blank', offset);
      return;
    }
    let result = failure ?? this.parse(text);
    if (result === null) {
      this.onSkip?.('dropped', offset);
      return;
    }
    let extra: Fields | undefined;
    if (key.stream) extra = { stream: key.stream };
    if (error) {
      extra ??= {};
      if (error.type !== undefined) extra['error.type'] = error.type;
      if (error.message !== undefined) extra['error.message'] = error.message;
      if (error.stack_trace !== undefined) extra['error.stack_trace'] = error.stack_trace;
    }
    const tags = flags === 0 ? undefined : tagsFor(flags);
    let normalized;
    try {
      normalized = normalize(result, text, { fallbackTime, extra, tags }, this.spec.normalize);
    } catch (err) {
      // A user's fields that cannot even be read (a throwing getter or proxy): the record fails, not the process.
      result = new ParseFailure(`fields could not be read: ${errorText(err)}`);
      normalized = normalize(result, text, { fallbackTime, extra, tags }, this.spec.normalize);
    }
    if (result instanceof ParseFailure) this.onFailure?.(result.reason, offset);
    this.deliver({ source: key.source, offset, event: normalized.event, time: normalized.time, text }, key.owner, out);
  }

  /**
   * The record again as a parse failure, for an event the encoder could not
   * serialise (a user parser's BigInt, cycle, throwing toJSON, or nesting too
   * deep for JSON.stringify): the raw text (cut at `max_line_bytes`), the
   * reason, the same offset and time. Counted as a parse failure.
   */
  unencodable(rec: ChainRecord, reason: string): ChainRecord {
    const why = `event cannot be encoded: ${reason}`;
    this.onFailure?.(why, rec.offset);
    const text = cutUtf8(rec.text, this.spec.maxLineBytes);
    const tags = text.length < rec.text.length ? ['truncated'] : undefined;
    const { event } = normalize(new ParseFailure(why), text, { fallbackTime: rec.time, tags }, this.spec.normalize);
    return { source: rec.source, offset: rec.offset, event, time: rec.time, text };
  }

  /** A user's parser may throw or return anything: that fails the record (kept, tagged), never the process. */
  private parse(text: string): ParseResult | null {
    let result: unknown;
    try {
      result = this.spec.parser.parse(text);
    } catch (err) {
      return new ParseFailure(`parser threw: ${errorText(err)}`);
    }
    if (result === null || result instanceof ParseFailure) return result;
    if (typeof result !== 'object' || Array.isArray(result)) {
      return new ParseFailure(`parser returned ${Array.isArray(result) ? 'an array' : typeof result}, not an object of fields (or null to drop the record)`);
    }
    return result as Fields;
  }

  private keyFor(source: object, stream: 'stdout' | 'stderr' | undefined): StreamKey {
    let owner = this.keys.get(source);
    if (!owner) this.keys.set(source, (owner = { waiting: [] }));
    const slot = stream ?? 'plain';
    return (owner[slot] ??= { source, owner, stream, flags: 0, time: undefined, pieceAt: 0 });
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a && c !== 0x0b && c !== 0x0c) return false;
  }
  return true;
}

function tagsFor(flags: number): string[] {
  const tags: string[] = [];
  if (flags & LINE_TRUNCATED) tags.push('truncated');
  if (flags & LINE_PARTIAL) tags.push('partial_line');
  return tags;
}
