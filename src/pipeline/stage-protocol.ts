import type { InputConfig } from '../config/schema.js';
import type { FieldEntries } from '../enrich/field-source.js';
import type { RecordBatch } from '../output/record-batch.js';
import type { StageCounters, StageGroup } from './parse-stage.js';

/** The messages between a WorkerStage and its parse worker (structured clone; encoded bytes are transferred). */

/** Pod metadata as the encoder sets it, sent again only when its version moved. */
export interface EnrichmentState {
  readonly version: number;
  readonly entries: FieldEntries;
}

/** A source as the worker knows it: a number, and what the encoder and the event ids need. */
export interface WireSource {
  readonly id: number;
  readonly path: string;
  readonly key: string;
}

export type StageRequest = { readonly stage: number; readonly enrichment?: EnrichmentState | undefined } & (
  | { readonly op: 'open'; readonly input: InputConfig; readonly host: string }
  | { readonly op: 'lines'; readonly source: WireSource; readonly texts: readonly string[]; readonly offsets: readonly number[]; readonly flags: readonly number[] | null; readonly endOffset: number; readonly now: number }
  | { readonly op: 'tick' | 'flush'; readonly now: number }
  /** No answer: the tailer closed the source. */
  | { readonly op: 'closed'; readonly source: number }
  /** No answer: the input stopped. */
  | { readonly op: 'drop' }
);

export interface WireGroup {
  readonly source: number;
  readonly endOffset: number;
  readonly parsed: number;
  readonly count: number;
  readonly data: Uint8Array;
  readonly ends: Uint32Array;
  readonly times: Float64Array;
  readonly ids: readonly string[];
}

export type StageReply = { readonly stage: number } & (
  | { readonly ok: true; readonly groups: readonly WireGroup[]; readonly counters: StageCounters; readonly released: readonly number[] }
  | { readonly ok: false; readonly error: string }
);

/** A group for the wire, and the buffers it hands over (moved, not copied). */
export function toWire(group: StageGroup<WireSource>): { wire: WireGroup; transfer: ArrayBuffer[] } {
  const r = group.records;
  const data = movable(r.data) ? r.data : new Uint8Array(r.data);
  const ends = movable(r.ends) ? r.ends : r.ends.slice();
  const times = movable(r.times) ? r.times : r.times.slice();
  const wire: WireGroup = { source: group.source.id, endOffset: group.endOffset, parsed: group.parsed, count: r.count, data, ends, times, ids: r.ids };
  return { wire, transfer: [data.buffer as ArrayBuffer, ends.buffer as ArrayBuffer, times.buffer as ArrayBuffer] };
}

export function fromWire(g: WireGroup): RecordBatch {
  return { count: g.count, data: Buffer.from(g.data.buffer, g.data.byteOffset, g.data.byteLength), ends: g.ends, times: g.times, ids: g.ids };
}

/**
 * Whether a view's whole ArrayBuffer may be moved to another thread: one
 * the view alone uses (the encoder's buffers are never Node's shared pool,
 * src/output/record-batch.ts), not the pool itself, which other Buffers of
 * this thread share (it is one ArrayBuffer of exactly Buffer.poolSize bytes).
 */
function movable(view: ArrayBufferView): boolean {
  if (!(view.buffer instanceof ArrayBuffer)) return false;
  return (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) || view.buffer.byteLength > Buffer.poolSize;
}
