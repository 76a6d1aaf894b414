import type { Logger } from '../../src/log.js';
import type { OutputCounters } from '../../src/output/contract.js';
import type { ItemError, RequestFailure } from './response.js';

const SUMMARY_INTERVAL_MS = 10_000;
/** Distinct reasons kept per summary; past that they are only counted (strict mappings can name a field per document). */
const MAX_REASONS = 100;

/** Each follows the output's type: `elasticsearch items dead-lettered`, `opensearch items dead-lettered`. */
const MESSAGES = {
  retried: 'items rejected; retrying them',
  dead_lettered: 'items dead-lettered',
  request_failed: 'requests failed; retrying',
  request_split: 'requests too large (413); splitting them',
} as const;

type ReasonOutcome = keyof typeof MESSAGES;

interface Reason {
  readonly outcome: ReasonOutcome;
  readonly status: number | undefined;
  readonly type: string;
  /** The first reason seen under this key, as ES wrote it. */
  readonly example: string;
  count: number;
}

/**
 * Counts every item and request by outcome, and logs errors as one line per
 * distinct reason with a count (every 10 s and at close), never one per
 * document: a 429 storm over 100,000 items is a handful of lines.
 */
export class Outcomes {
  private readonly reasons = new Map<string, Reason>();
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly counters: OutputCounters,
    private readonly logger: Logger,
    /** The output's type, which starts each message. */
    private readonly product: 'elasticsearch' | 'opensearch' = 'elasticsearch',
  ) {}

  items(outcome: 'indexed' | 'duplicate' | 'retried' | 'dead_lettered', n: number): void {
    if (n > 0) this.counters.events[outcome] = (this.counters.events[outcome] ?? 0) + n;
  }

  requests(outcome: 'sent' | 'failed' | 'split', n = 1): void {
    this.counters.requests[outcome] = (this.counters.requests[outcome] ?? 0) + n;
  }

  itemError(outcome: 'retried' | 'dead_lettered', e: ItemError): void {
    this.note(outcome, e.status, e.type, e.reason);
  }

  requestError(f: RequestFailure): void {
    this.note(f.tooLarge ? 'request_split' : 'request_failed', f.status, 'request', f.reason);
  }

  /** Logs what accumulated since the last summary. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const r of this.reasons.values()) {
      this.logger[r.outcome === 'dead_lettered' ? 'error' : 'warn'](
        { outcome: r.outcome, status: r.status, errorType: r.type, reason: r.example, count: r.count },
        `${this.product} ${MESSAGES[r.outcome]}`,
      );
    }
    this.reasons.clear();
    if (this.suppressed > 0) {
      this.logger.warn({ count: this.suppressed, distinctReasonsShown: MAX_REASONS }, `${this.product} errors with more distinct reasons than shown; counted only`);
      this.suppressed = 0;
    }
  }

  private note(outcome: ReasonOutcome, status: number | undefined, type: string, reason: string): void {
    // ES quotes ids and values ('…'), brackets field names ([…]), and ends a parsing error with the
    // value's preview; ids, values and counts vary per document, the shape is the reason.
    // The example leaves out the preview of the refused value: a log line should not carry document content.
    const withoutPreview = reason.replace(/Preview of field's value: .*$/s, "Preview of field's value: […]");
    const shape = withoutPreview.replace(/'[^']*'/g, "'?'").replace(/\d+/g, 'N');
    const key = `${outcome}|${status}|${type}|${shape.slice(0, 300)}`;
    const known = this.reasons.get(key);
    if (known) known.count++;
    else if (this.reasons.size >= MAX_REASONS) this.suppressed++;
    else this.reasons.set(key, { outcome, status, type, example: withoutPreview.slice(0, 500), count: 1 });
    this.timer ??= setTimeout(() => this.flush(), SUMMARY_INTERVAL_MS).unref();
  }
}
