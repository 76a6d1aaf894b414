import { eventId } from '../event/event-id.js';
import { compileCondition, type Condition } from './conditions.js';
import { FieldPath, type Event } from './field-path.js';
import { readHashKey } from './key-file.js';
import { detectorsFor, Redactor } from './redact.js';
import { sampledIn } from './sample.js';
import type { ProcessorConfig } from './schema.js';
import { Throttle } from './throttle.js';

/** A record as the parser chain hands it over: its event (changed in place) and the offset its id is made of. */
export interface ProcessedRecord {
  readonly event: Event;
  readonly offset: number;
}

/** What the processors did, read by the metrics at scrape time. */
export interface ProcessorCounters {
  /** Events dropped, by processor type (`drop`, `keep`, `sample`, `throttle`). */
  readonly dropped: Record<string, number>;
  /** Values redacted, by detector kind. */
  readonly redactions: Record<string, number>;
  /** Events dropped by a throttle, by key value. */
  readonly throttled: Record<string, number>;
}

/** The event being processed and what some steps need besides it. */
interface Context {
  sourceKey: string;
  offset: number;
  now: number;
}

/** One compiled processor: false drops the event. */
type Step = (event: Event, ctx: Context) => boolean;

/**
 * An input's `processors:`, compiled once (conditions, regexes, field paths,
 * the hash key) and run in order on each event between the parser chain and
 * the encoder: what a processor drops or redacts is never serialised, so it
 * never reaches a buffer segment, a checkpoint or an output.
 */
export class ProcessorList {
  private readonly steps: Step[] = [];
  private readonly redactors: Redactor[] = [];
  private readonly throttles: Throttle[] = [];
  private readonly dropped: Record<string, number> = {};
  /** Reused for every event: no allocation per event beyond what a step itself needs. */
  private readonly ctx: Context = { sourceKey: '', offset: 0, now: 0 };

  /** Throws an Error naming the processor when a key file cannot be read. */
  constructor(configs: readonly ProcessorConfig[]) {
    configs.forEach((c, i) => {
      try {
        this.steps.push(this.compile(c));
      } catch (err) {
        throw new Error(`processors[${i}]: ${(err as Error).message}`);
      }
    });
  }

  get empty(): boolean {
    return this.steps.length === 0;
  }

  /** The records whose events every processor kept, in order; their events changed in place. */
  run<R extends ProcessedRecord>(records: readonly R[], sourceKey: string, now: number): readonly R[] {
    if (this.steps.length === 0) return records;
    const kept: R[] = [];
    const ctx = this.ctx;
    ctx.sourceKey = sourceKey;
    ctx.now = now;
    for (const rec of records) {
      ctx.offset = rec.offset;
      if (this.passes(rec.event, ctx)) kept.push(rec);
    }
    return kept;
  }

  private passes(event: Event, ctx: Context): boolean {
    for (const step of this.steps) if (!step(event, ctx)) return false;
    return true;
  }

  /** Only the redactions, on one event. */
  redact(event: Event): void {
    for (const r of this.redactors) r.apply(event);
  }

  /**
   * The encoder's fallback for an event JSON cannot encode rebuilds it from
   * the raw text: that event is redacted too, or a secret in the text would
   * reach the disk after all.
   */
  redactingFallback<R extends ProcessedRecord>(fallback: (rec: R, reason: string) => R): (rec: R, reason: string) => R {
    if (this.redactors.length === 0) return fallback;
    return (rec, reason) => {
      const failed = fallback(rec, reason);
      this.redact(failed.event);
      return failed;
    };
  }

  counters(): ProcessorCounters {
    const redactions: Record<string, number> = {};
    for (const r of this.redactors) for (const [kind, n] of Object.entries(r.counts)) redactions[kind] = (redactions[kind] ?? 0) + n;
    const throttled: Record<string, number> = {};
    for (const t of this.throttles) for (const [key, n] of Object.entries(t.dropped)) throttled[key] = (throttled[key] ?? 0) + n;
    return { dropped: { ...this.dropped }, redactions, throttled };
  }

  private compile(c: ProcessorConfig): Step {
    if (c.drop) return this.dropping('drop', compileCondition(c.drop.when), false);
    if (c.keep) return this.dropping('keep', compileCondition(c.keep.when), true);
    if (c.redact) {
      const { patterns, fields, mode, key_file } = c.redact;
      const redactor = new Redactor({ ...detectorsFor(patterns), fields, mode, key: key_file === undefined ? undefined : readHashKey(key_file) });
      this.redactors.push(redactor);
      return (event) => {
        redactor.apply(event);
        return true;
      };
    }
    if (c.rename) {
      const moves = Object.entries(c.rename).map(([from, to]) => [new FieldPath(from), new FieldPath(to)] as const);
      return (event) => {
        for (const [from, to] of moves) {
          const v = from.get(event);
          // Only when the target can be written: a rename never loses the value.
          if (v !== undefined && to.set(event, v)) from.delete(event);
        }
        return true;
      };
    }
    if (c.remove) {
      const paths = c.remove.map((f) => new FieldPath(f));
      return (event) => {
        for (const p of paths) p.delete(event);
        return true;
      };
    }
    if (c.set) {
      const values = Object.entries(c.set).map(([f, v]) => [new FieldPath(f), v] as const);
      return (event) => {
        for (const [p, v] of values) p.set(event, v);
        return true;
      };
    }
    if (c.sample) {
      const { rate } = c.sample;
      return this.counted('sample', (_, ctx) => sampledIn(eventId(ctx.sourceKey, ctx.offset), rate));
    }
    if (c.throttle) {
      const throttle = new Throttle(c.throttle.events_per_second);
      this.throttles.push(throttle);
      const key = c.throttle.key === undefined ? undefined : new FieldPath(c.throttle.key);
      return this.counted('throttle', (event, ctx) => throttle.admit(key === undefined ? '' : keyText(key.get(event)), ctx.now));
    }
    // The schema lets exactly one key through: reaching here is a schema change not taught to the runner.
    throw new Error(`unknown processor ${Object.keys(c).join(', ')}`);
  }

  private dropping(type: string, when: Condition, keepWhen: boolean): Step {
    return this.counted(type, (event) => when(event) === keepWhen);
  }

  /** The step, with the events it drops counted under its type. */
  private counted(type: string, pass: Step): Step {
    this.dropped[type] ??= 0;
    return (event, ctx) => {
      if (pass(event, ctx)) return true;
      this.dropped[type]!++;
      return false;
    };
  }
}

/** A key value as a label: absent is `""`, a mapping or list its JSON. */
function keyText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
