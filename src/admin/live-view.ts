import type { RecordBatch } from '../output/record-batch.js';
import { BufferAge } from './buffer-age.js';
import { TapHub, type ReadLines } from './tap-hub.js';

/** What the live view needs of an output's lane on the append path. */
export interface LaneRef {
  readonly index: number;
  readonly config: { readonly name: string };
  readonly buffer: { stats(): { pending: number; droppedEvents: number } };
}

/**
 * The pipeline's side of the live view (docs/live-view.md): counts kept per
 * batch for `/api/status` (lines read, records entering each buffer) and the
 * tap points. Everything here is per batch, never per line, and a tap point
 * is one boolean check while no tap is attached.
 */
export class LiveView {
  readonly tap = new TapHub();
  readonly startedAt = Date.now();
  private readonly lines = new Map<string, number>();
  private readonly ages: BufferAge[] = [];
  /** Output names per lane list (one list per input), for the `parsed` tap's --output filter. */
  private readonly names = new WeakMap<readonly LaneRef[], string[]>();

  /** Lines read by `input` (before parsing). */
  linesRead(input: string): number {
    return this.lines.get(input) ?? 0;
  }

  /** The entry-time bookkeeping of output `index`'s buffer. */
  age(index: number): BufferAge {
    return (this.ages[index] ??= new BufferAge(this.startedAt));
  }

  /** A read of raw lines from one file of `input`. */
  read(input: string, lines: ReadLines): void {
    this.lines.set(input, (this.lines.get(input) ?? 0) + lines.texts.length);
    if (this.tap.reading) this.tap.read(input, lines);
  }

  /** A batch of `input`'s events about to be appended to the buffers of `lanes`. */
  entering(input: string, lanes: readonly LaneRef[], batch: RecordBatch): void {
    for (const lane of lanes) this.age(lane.index).appending(batch.count, lane.buffer);
    if (!this.tap.parsing) return;
    let names = this.names.get(lanes);
    if (!names) this.names.set(lanes, (names = lanes.map((l) => l.config.name)));
    this.tap.parsed(input, names, batch);
  }
}
