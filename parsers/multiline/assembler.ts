import { Buffer } from 'node:buffer';
import { BEGIN, FIRST_TRACE_STATE, HOLD, IDLE, LINE, STATE_MASK, type ErrorFields, type MultilinePreset } from './rules.js';

// One import site for the parser chain.
export type { ErrorFields, MultilinePreset } from './rules.js';

/** Already validated and resolved (durations in ms, sizes in bytes); see `resolveMultiline`. */
export interface MultilineConfig {
  /** A line matching it begins a new event (with a preset: forces a start, the preset decides the other lines). */
  start?: RegExp;
  /**
   * A line matching it continues the current event. Without a preset, when
   * `continue` is set, a line matching neither `start` nor `continue` begins
   * a new event; with a preset it forces a continuation.
   */
  continue?: RegExp;
  /** Default 500: an event is cut there and both parts are tagged. */
  maxLines: number;
  /** Default 1 MiB, UTF-8 bytes of the joined text: cut and tagged, never dropped. Lines are never split. */
  maxBytes: number;
  /** Default 1000: a pending event is flushed when its own stream has had no line for this long. */
  timeoutMs: number;
}

export interface AssembledRecord {
  /** The stream key object the lines were pushed with (identity). */
  stream: object;
  /** Lines joined with `\n`. */
  text: string;
  /** Offset of its first line. */
  offset: number;
  lines: number;
  /** Cut by maxLines/maxBytes; the rest continues as the next event, tagged too. */
  truncated: boolean;
  /** Filled by presets that recognised an exception. */
  error?: ErrorFields;
}

interface Pending {
  readonly stream: object;
  parts: string[];
  offset: number;
  /** UTF-16 length of the joined text. */
  chars: number;
  /** Exact UTF-8 length of the joined text, or -1 while `chars * 3` proves it fits. */
  bytes: number;
  state: number;
  /** `now` of its last line. */
  last: number;
  truncated: boolean;
  /** The last trace state a line of the event put the stream in (0: none): ask the preset for `error.*`. */
  traceState: number;
  /** Lines the preset holds back (`HOLD`): they join the event only if a later line continues it. */
  held: string[];
  heldOffsets: number[];
}

type Decide = (line: string, state: number) => number;

/**
 * Joins the lines of multi-line events, per stream key object (one per
 * file + stream), so interleaved streams never split each other's events.
 *
 * Each emitted record starts at a distinct line, so its `offset` (and the
 * event id derived from it) is unique. A line is never split: an event made
 * of one line longer than `maxBytes` is emitted whole.
 */
export class MultilineAssembler {
  private readonly pending = new Map<object, Pending>();
  private readonly preset: MultilinePreset | undefined;
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly decide: Decide;

  constructor(config: MultilineConfig, preset?: MultilinePreset) {
    if (!(config.maxLines >= 1)) throw new RangeError(`multiline: maxLines must be >= 1, got ${config.maxLines}`);
    if (!(config.maxBytes >= 1)) throw new RangeError(`multiline: maxBytes must be >= 1, got ${config.maxBytes}`);
    if (!(config.timeoutMs > 0)) throw new RangeError(`multiline: timeoutMs must be > 0, got ${config.timeoutMs}`);
    this.preset = preset;
    this.maxLines = config.maxLines;
    this.maxBytes = config.maxBytes;
    this.timeoutMs = config.timeoutMs;
    this.decide = decider(stateless(config.start), stateless(config.continue), preset);
  }

  /** Number of streams with a pending event. */
  get pendingStreams(): number {
    return this.pending.size;
  }

  push(stream: object, text: string, offset: number, now: number, out: AssembledRecord[]): void {
    let p = this.pending.get(stream);
    if (p !== undefined && now - p.last >= this.timeoutMs) {
      // The timer has not run yet, but the event is over all the same.
      this.emitAll(p, out);
      this.pending.delete(stream);
      p = undefined;
    }
    const d = this.decide(text, p === undefined ? IDLE : p.state);
    const state = d & STATE_MASK;
    if (p === undefined) {
      this.pending.set(stream, {
        stream,
        parts: [text],
        offset,
        chars: text.length,
        bytes: -1,
        state,
        last: now,
        truncated: false,
        traceState: state >= FIRST_TRACE_STATE ? state : 0,
        held: [],
        heldOffsets: [],
      });
      return;
    }
    p.last = now;
    if ((d & BEGIN) !== 0) {
      this.emitAll(p, out);
      restart(p, text, offset, state, false);
    } else if ((d & HOLD) !== 0 && p.parts.length + p.held.length < this.maxLines) {
      p.held.push(text);
      p.heldOffsets.push(offset);
      p.state = state;
    } else {
      for (let i = 0; i < p.held.length; i++) this.append(p, p.held[i]!, p.heldOffsets[i]!, p.state, out);
      p.held.length = 0;
      p.heldOffsets.length = 0;
      this.append(p, text, offset, state, out);
    }
  }

  /** Flushes the pending event of every stream idle for >= timeoutMs, in the order of their first lines. */
  flushIdle(now: number, out: AssembledRecord[]): void {
    const idle: Pending[] = [];
    for (const p of this.pending.values()) if (now - p.last >= this.timeoutMs) idle.push(p);
    this.flushEach(idle, out);
  }

  flushStream(stream: object, out: AssembledRecord[]): void {
    const p = this.pending.get(stream);
    if (p === undefined) return;
    this.emitAll(p, out);
    this.pending.delete(stream);
  }

  /** Shutdown: nothing pending is lost; events in the order of their first lines. */
  flushAll(out: AssembledRecord[]): void {
    this.flushEach([...this.pending.values()], out);
  }

  private flushEach(events: Pending[], out: AssembledRecord[]): void {
    if (events.length > 1) events.sort((a, b) => a.offset - b.offset);
    for (const p of events) {
      this.emitAll(p, out);
      this.pending.delete(p.stream);
    }
  }

  /** Offset of the first line of the event pending for `stream`, or undefined. */
  pendingOffset(stream: object): number | undefined {
    return this.pending.get(stream)?.offset;
  }

  /** When the next `flushIdle` would emit something (ms, the clock of `now`), or undefined when nothing is pending: for a precise timer. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const p of this.pending.values()) {
      if (min === undefined || p.last < min) min = p.last;
    }
    return min === undefined ? undefined : min + this.timeoutMs;
  }

  /** Adds a line to `p`, or cuts `p` there by maxLines/maxBytes (both parts tagged). */
  private append(p: Pending, text: string, offset: number, state: number, out: AssembledRecord[]): void {
    if (p.parts.length >= this.maxLines || !this.fits(p, text)) {
      p.truncated = true;
      this.emit(p, out);
      restart(p, text, offset, state, true);
      return;
    }
    p.parts.push(text);
    p.state = state;
    if (state >= FIRST_TRACE_STATE) p.traceState = state;
  }

  /** Whether `text` still fits in `p` by maxBytes; counts it when it does. */
  private fits(p: Pending, text: string): boolean {
    const add = text.length + 1;
    if (p.bytes < 0) {
      // A UTF-16 code unit is at most 3 UTF-8 bytes: most events never need a byte count.
      if ((p.chars + add) * 3 <= this.maxBytes) {
        p.chars += add;
        return true;
      }
      p.bytes = p.parts.length - 1;
      for (const part of p.parts) p.bytes += Buffer.byteLength(part, 'utf8');
    }
    const bytes = Buffer.byteLength(text, 'utf8') + 1;
    if (p.bytes + bytes > this.maxBytes) return false;
    p.bytes += bytes;
    p.chars += add;
    return true;
  }

  /** The pending event, then each held line as an event of its own (they followed it). */
  private emitAll(p: Pending, out: AssembledRecord[]): void {
    this.emit(p, out);
    for (let i = 0; i < p.held.length; i++) {
      out.push({ stream: p.stream, text: p.held[i]!, offset: p.heldOffsets[i]!, lines: 1, truncated: false });
    }
    p.held.length = 0;
    p.heldOffsets.length = 0;
  }

  private emit(p: Pending, out: AssembledRecord[]): void {
    const lines = p.parts.length;
    const text = lines === 1 ? p.parts[0]! : p.parts.join('\n');
    const rec: AssembledRecord = { stream: p.stream, text, offset: p.offset, lines, truncated: p.truncated };
    if (p.traceState !== 0 && this.preset !== undefined) {
      let error: ErrorFields | undefined;
      try {
        error = this.preset.extractError(text, p.traceState);
      } catch {
        error = undefined; // a preset bug costs the error fields, never the event
      }
      if (error !== undefined) rec.error = error;
    }
    out.push(rec);
  }
}

function restart(p: Pending, text: string, offset: number, state: number, truncated: boolean): void {
  p.parts.length = 0; // emit() already joined them
  p.parts.push(text);
  p.offset = offset;
  p.chars = text.length;
  p.bytes = -1;
  p.state = state;
  p.truncated = truncated;
  p.traceState = state >= FIRST_TRACE_STATE ? state : 0;
}

/** `test` on a global or sticky RegExp moves `lastIndex`; a copy without those flags does not. */
function stateless(re: RegExp | undefined): RegExp | undefined {
  if (re === undefined || (!re.global && !re.sticky)) return re;
  return new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
}

function decider(start: RegExp | undefined, cont: RegExp | undefined, preset: MultilinePreset | undefined): Decide {
  if (preset !== undefined) {
    if (start === undefined && cont === undefined) return (line, state) => preset.step(line, state);
    return (line, state) => {
      if (start !== undefined && start.test(line)) return BEGIN | (preset.step(line, IDLE) & STATE_MASK);
      if (cont !== undefined && cont.test(line)) return preset.step(line, state) & STATE_MASK;
      return preset.step(line, state);
    };
  }
  if (start !== undefined && cont !== undefined) {
    return (line) => (start.test(line) || !cont.test(line) ? BEGIN | LINE : LINE);
  }
  if (start !== undefined) return (line) => (start.test(line) ? BEGIN | LINE : LINE);
  if (cont !== undefined) return (line) => (cont.test(line) ? LINE : BEGIN | LINE);
  return () => BEGIN | LINE;
}
