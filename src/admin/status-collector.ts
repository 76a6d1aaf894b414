import type { HealthReport, Problem } from '../server/health.js';
import { HistoryRing } from './history-ring.js';
import type { LiveView } from './live-view.js';
import type { OutputView, StatusSource } from './status-source.js';

export const SAMPLE_INTERVAL_MS = 1000;
/** Ten minutes of history at one sample a second. */
const HISTORY_SAMPLES = 600;
const LAST_ERRORS = 20;
/** Files listed per input at most, the furthest behind first (`filesTracked` counts them all). */
const FILES_LISTED = 100;

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

interface Previous {
  at: number;
  values: Map<string, number>;
}

export interface LastError {
  readonly time: string;
  readonly source: string;
  readonly message: string;
}

/**
 * Samples the agent every second for `/api/status` (docs/live-view.md): rates
 * from the differences of its counters, buffer ages, ten minutes of
 * events/s and buffer bytes per output in fixed rings, and the last errors
 * (an output's new failure, a new parse failure reason, a new health problem).
 */
export class StatusCollector {
  private timer: NodeJS.Timeout | undefined;
  private prev: Previous | undefined;
  private readonly rates = new Map<string, number>();
  private readonly oldestAge = new Map<number, number | undefined>();
  private readonly history = new Map<string, { eventsPerSecond: HistoryRing; bufferBytes: HistoryRing }>();
  private lastSampleAt = 0;
  private readonly errors: LastError[] = [];
  private readonly seenErrors = new Map<string, string>();

  constructor(
    private readonly source: StatusSource,
    private readonly live: LiveView,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Takes one sample: counters into rates and the rings, ages, new errors. */
  sample(now = Date.now()): void {
    const values = new Map<string, number>();
    for (const i of this.source.inputs()) {
      values.set(`in:${i.name}:events`, i.events);
      values.set(`in:${i.name}:lines`, this.live.linesRead(i.name));
      if (i.lastParseFailure !== undefined) this.noteError(now, `input ${i.name}`, 'parse', `parse failure: ${i.lastParseFailure}`);
    }
    for (const o of this.source.outputs()) {
      const age = this.live.age(o.index);
      values.set(`out:${o.name}:acked`, age.acknowledged(o.buffer.pending, o.buffer.droppedEvents));
      this.oldestAge.set(o.index, age.sample(now, o.buffer.pending, o.buffer.droppedEvents));
    }
    const prev = this.prev;
    if (prev) {
      const dt = (now - prev.at) / 1000;
      for (const [key, v] of values) this.rates.set(key, dt > 0 ? Math.max(0, (v - (prev.values.get(key) ?? v)) / dt) : 0);
    }
    this.prev = { at: now, values };
    for (const o of this.source.outputs()) {
      let h = this.history.get(o.name);
      if (!h) this.history.set(o.name, (h = { eventsPerSecond: new HistoryRing(HISTORY_SAMPLES), bufferBytes: new HistoryRing(HISTORY_SAMPLES) }));
      h.eventsPerSecond.push(this.rates.get(`out:${o.name}:acked`) ?? 0);
      h.bufferBytes.push(o.buffer.bytes);
    }
    this.lastSampleAt = now;
    const health = this.source.health();
    const current = new Set<string>();
    for (const o of health.outputs) if (o.lastError !== undefined) current.add(this.noteError(now, `output ${o.name}`, 'failure', o.lastError));
    // The phase (starting, draining) is in the header, not an error.
    for (const p of health.problems) if (p.check !== 'output_failing' && p.check !== 'starting' && p.check !== 'draining') current.add(this.noteError(now, p.output === undefined ? 'agent' : `output ${p.output}`, p.check, p.reason));
    // A condition that ended is news again when it comes back.
    for (const key of this.seenErrors.keys()) if (!key.endsWith('\u0000parse') && !current.has(key)) this.seenErrors.delete(key);
  }

  /** The body of `/api/status`; its shape is documented in docs/live-view.md (keep them together). */
  status(now = Date.now()): unknown {
    const health = this.source.health();
    const failing = new Map(health.outputs.map((o) => [o.name, o]));
    const problem = (p: Problem) => ({ check: p.check, output: p.output ?? null, since: iso(p.since), reason: p.reason });
    return {
      version: 1,
      time: iso(now),
      startedAt: iso(this.live.startedAt),
      phase: health.phase,
      healthy: health.healthy,
      ready: health.ready,
      notReady: health.notReady.map(problem),
      problems: health.problems.map(problem),
      inputs: this.source.inputs().map((i) => {
        const files = i.files.map((f) => ({ path: f.path, offset: f.offset, size: f.size, lagBytes: Math.max(0, f.size - f.offset) }));
        files.sort((a, b) => b.lagBytes - a.lagBytes);
        return {
          name: i.name,
          filesTracked: files.length,
          lagBytes: files.reduce((n, f) => n + f.lagBytes, 0),
          lines: this.live.linesRead(i.name),
          linesPerSecond: round(this.rates.get(`in:${i.name}:lines`) ?? 0),
          events: i.events,
          eventsPerSecond: round(this.rates.get(`in:${i.name}:events`) ?? 0),
          parseFailures: i.parseFailures,
          lastParseFailure: i.lastParseFailure ?? null,
          files: files.slice(0, FILES_LISTED),
        };
      }),
      outputs: this.source.outputs().map((o) => this.outputStatus(o, failing.get(o.name))),
      lastErrors: [...this.errors].reverse(),
      history: {
        intervalSeconds: SAMPLE_INTERVAL_MS / 1000,
        end: iso(this.lastSampleAt),
        outputs: Object.fromEntries([...this.history].map(([name, h]) => [name, { eventsPerSecond: h.eventsPerSecond.toArray().map((v) => round(v)), bufferBytes: h.bufferBytes.toArray() }])),
      },
    };
  }

  private outputStatus(o: OutputView, health: HealthReport['outputs'][number] | undefined) {
    const age = this.oldestAge.get(o.index);
    return {
      name: o.name,
      type: o.type,
      eventsPerSecond: round(this.rates.get(`out:${o.name}:acked`) ?? 0),
      acknowledged: this.prev?.values.get(`out:${o.name}:acked`) ?? 0,
      pendingEvents: o.buffer.pending,
      bufferBytes: o.buffer.bytes,
      bufferMaxBytes: o.bufferMaxBytes,
      oldestAgeSeconds: age === undefined ? null : round(age / 1000),
      droppedEvents: o.buffer.droppedEvents,
      // Everything sent again: the loop's rebuilds, requests that failed and were retried, items retried alone.
      retries: o.rebuilds + (o.counters.requests.failed ?? 0) + (o.counters.events.retried ?? 0),
      deadLetters: o.counters.events.dead_lettered ?? 0,
      failingSince: iso(health?.failingSince),
      failure: health?.lastError ?? null,
      readiness: health?.readiness ?? 'ignored',
      events: o.counters.events,
      requests: o.counters.requests,
    };
  }

  /** Keeps `message` unless the same condition of the same source was noted last; returns the condition's key. */
  private noteError(now: number, source: string, kind: string, message: string): string {
    const key = `${source}\u0000${kind}`;
    // Reasons carry growing figures ("failing for 3.1 s", "12 failed so far"): the same words are the same condition.
    const identity = message.replace(/[\d.]+/g, '#');
    if (this.seenErrors.get(key) === identity) return key;
    this.seenErrors.set(key, identity);
    this.errors.push({ time: iso(now)!, source, message });
    if (this.errors.length > LAST_ERRORS) this.errors.shift();
    return key;
  }
}
