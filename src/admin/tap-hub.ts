import type { RecordBatch } from '../output/record-batch.js';
import { recordJson } from '../output/record-batch.js';

/** Where `logship tap` samples (docs/live-view.md, "logship tap"). */
export type TapStage = 'read' | 'parsed' | 'shipped';
export const TAP_STAGES: readonly TapStage[] = ['read', 'parsed', 'shipped'];

/** One attached tap: what it wants, and where its lines go. */
export interface TapSubscriber {
  readonly stage: TapStage;
  readonly input: string | undefined;
  readonly output: string | undefined;
  /** Events this subscriber would still take now (its rate and limit budget): the hub serialises no more than that. */
  room(): number;
  /** Its queue is full: the next events are dropped (counted) without being serialised. */
  readonly saturated: boolean;
  /** One NDJSON line (without its newline). */
  offer(line: string): void;
  /** `n` events it had room for were dropped because it reads too slowly. */
  drop(n: number): void;
}

/** Raw lines of one read, column-wise as the tailer hands them over. */
export interface ReadLines {
  readonly source: { readonly path: string };
  readonly texts: readonly string[];
  readonly offsets: readonly number[];
}

const quote = JSON.stringify;

/**
 * The meeting point of the pipeline's tap points and the attached
 * `logship tap` clients. The pipeline checks one boolean per batch
 * (`hub.reading`, `hub.parsing`, `hub.shipping`) and calls in only while a
 * tap of that stage is attached, so sampling costs nothing otherwise. Each
 * line is built for the subscribers that have room for it; a record's JSON is
 * spliced in as bytes, never parsed again.
 */
export class TapHub {
  private subscribers: TapSubscriber[] = [];
  reading = false;
  parsing = false;
  shipping = false;

  attach(s: TapSubscriber): () => void {
    this.subscribers = [...this.subscribers, s];
    this.refresh();
    return () => {
      this.subscribers = this.subscribers.filter((x) => x !== s);
      this.refresh();
    };
  }

  /** Raw lines read from a file of `input` (only for taps the admin listener allowed raw lines). */
  read(input: string, lines: ReadLines): void {
    for (const s of this.subscribers) {
      if (s.stage !== 'read' || (s.input !== undefined && s.input !== input)) continue;
      const n = Math.min(s.room(), lines.texts.length);
      if (s.saturated) {
        s.drop(n);
        continue;
      }
      const head = `{"stage":"read","input":${quote(input)},"file":${quote(lines.source.path)},"offset":`;
      for (let i = 0; i < n; i++) s.offer(`${head}${lines.offsets[i]},"line":${quote(lines.texts[i])}}`);
    }
  }

  /** Events of `input` entering the buffers of `outputs` (after the processors). */
  parsed(input: string, outputs: readonly string[], batch: RecordBatch): void {
    for (const s of this.subscribers) {
      if (s.stage !== 'parsed' || (s.input !== undefined && s.input !== input) || (s.output !== undefined && !outputs.includes(s.output))) continue;
      this.offerRecords(s, `{"stage":"parsed","input":${quote(input)},"event":`, batch);
    }
  }

  /** Events `output` acknowledged (its destination has them). */
  shipped(output: string, batch: RecordBatch): void {
    for (const s of this.subscribers) {
      if (s.stage !== 'shipped' || (s.output !== undefined && s.output !== output)) continue;
      this.offerRecords(s, `{"stage":"shipped","output":${quote(output)},"event":`, batch);
    }
  }

  private offerRecords(s: TapSubscriber, head: string, batch: RecordBatch): void {
    const n = Math.min(s.room(), batch.count);
    if (s.saturated) return s.drop(n);
    for (let i = 0; i < n; i++) s.offer(`${head}${recordJson(batch, i).toString('utf8')}}`);
  }

  private refresh(): void {
    const has = (stage: TapStage) => this.subscribers.some((s) => s.stage === stage);
    this.reading = has('read');
    this.parsing = has('parsed');
    this.shipping = has('shipped');
  }
}
