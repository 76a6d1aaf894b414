import type { Logger } from '../log.js';

/** Where the agent is in its life: only `running` is healthy and ready. */
export type Phase = 'starting' | 'running' | 'draining';

/** One output as /health sees it, read from its lane when asked. */
export interface OutputHealthView {
  readonly name: string;
  /** The delivery loop's failure state (a failed start, write or flush): since when and why; cleared by an acknowledgement. */
  readonly failure: { readonly since: number; readonly reason: string } | undefined;
  /** When the output last acknowledged something (epoch ms). */
  readonly lastAckAt: number | undefined;
  /**
   * Requests the output retried itself (`logship_output_requests_total{outcome="failed"}`):
   * an output that retries inside a write (Elasticsearch unreachable) never reaches the loop's failure state.
   */
  readonly failedRequests: number;
  /** Records not yet acknowledged: an output with none is not failing, whatever its counters say. */
  readonly pending: number;
  readonly bufferBytes: number;
  readonly bufferMaxBytes: number;
  readonly diskFull: boolean;
  readonly readinessRequired: boolean;
}

export interface HealthSource {
  phase(): Phase;
  outputs(): OutputHealthView[];
  /** The last checkpoint save failed for want of space (it is retried). */
  checkpointDiskFull(): boolean;
}

/** One sample of the agent's state. */
export interface HealthSample {
  readonly phase: Phase;
  readonly outputs: readonly OutputHealthView[];
  readonly checkpointDiskFull: boolean;
}

export interface HealthSettings {
  readonly outputFailureGraceMs: number;
  /** A fraction of the buffer's max_size. */
  readonly bufferHighWater: number;
}

export type CheckName = 'starting' | 'draining' | 'output_failing' | 'buffer_high_water' | 'disk_full';

/** One reason /health (or /readyz) fails. */
export interface Problem {
  readonly check: CheckName;
  /** The output concerned; none for the phase and the checkpoint. */
  readonly output?: string;
  /** Epoch ms the condition began, where known. */
  readonly since?: number;
  readonly reason: string;
}

export interface OutputStatus {
  readonly name: string;
  /** Epoch ms since which the output has been failing, whether or not past the grace. */
  readonly failingSince: number | undefined;
  readonly lastError: string | undefined;
  /** Buffer bytes over max_size. */
  readonly bufferFill: number;
  readonly diskFull: boolean;
  readonly readiness: 'required' | 'ignored';
}

export interface HealthReport {
  readonly phase: Phase;
  readonly healthy: boolean;
  readonly ready: boolean;
  /** Why /health fails; empty when healthy. */
  readonly problems: Problem[];
  /** Why /readyz fails; empty when ready. */
  readonly notReady: Problem[];
  readonly outputs: OutputStatus[];
}

/**
 * Per output, the time its own request retries began: set when the failed
 * request count grows, cleared by an acknowledgement after it or by an empty
 * buffer. Sampled (each report), so `since` is as precise as the sampling.
 */
export class RequestFailureWatch {
  private seen = new Map<string, { count: number; since: number | undefined }>();

  since(o: OutputHealthView, now: number): number | undefined {
    let w = this.seen.get(o.name);
    if (!w) this.seen.set(o.name, (w = { count: o.failedRequests, since: undefined }));
    if (o.failedRequests > w.count) w.since ??= now;
    w.count = o.failedRequests;
    if (w.since !== undefined && (o.pending === 0 || (o.lastAckAt !== undefined && o.lastAckAt >= w.since))) w.since = undefined;
    return w.since;
  }
}

export const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** The rules of docs/health.md, on one sample of the agent's state. */
export function evaluateHealth(sample: HealthSample, requestFailuresSince: (o: OutputHealthView) => number | undefined, settings: HealthSettings, now: number): HealthReport {
  const { phase, outputs } = sample;
  const problems: Problem[] = [];
  const notReady: Problem[] = [];
  if (phase !== 'running') {
    const p: Problem = { check: phase, reason: phase === 'starting' ? 'starting: the pipeline is not running yet' : 'draining: stopping, reading files to their end and delivering what is buffered' };
    problems.push(p);
    notReady.push(p);
  }
  const statuses = outputs.map((o): OutputStatus => {
    const requestsSince = requestFailuresSince(o);
    const since = o.failure?.since ?? requestsSince;
    const lastError = o.failure?.reason ?? (requestsSince === undefined ? undefined : `requests failing and retried (${o.failedRequests} failed so far; the output's log lines say why)`);
    if (since !== undefined && now - since >= settings.outputFailureGraceMs) {
      const p: Problem = { check: 'output_failing', output: o.name, since, reason: `output ${o.name} failing for ${seconds(now - since)}: ${lastError}` };
      problems.push(p);
      if (o.readinessRequired) notReady.push(p);
    }
    const fill = o.bufferMaxBytes > 0 ? o.bufferBytes / o.bufferMaxBytes : 0;
    if (fill > settings.bufferHighWater) {
      problems.push({ check: 'buffer_high_water', output: o.name, reason: `buffer of ${o.name} ${(fill * 100).toFixed(1)}% full, above the high-water mark of ${settings.bufferHighWater * 100}%` });
    }
    if (o.diskFull) problems.push({ check: 'disk_full', output: o.name, reason: `buffer of ${o.name}: disk full, a write waits for free space and reading is paused` });
    return { name: o.name, failingSince: since, lastError, bufferFill: fill, diskFull: o.diskFull, readiness: o.readinessRequired ? 'required' : 'ignored' };
  });
  if (sample.checkpointDiskFull) problems.push({ check: 'disk_full', reason: 'checkpoint: disk full, the last save failed for want of space (the previous checkpoint is kept)' });
  return { phase, healthy: problems.length === 0, ready: notReady.length === 0, problems, notReady, outputs: statuses };
}

/** How often the state is sampled between requests, so a change is logged even when nobody asks. */
const CHECK_INTERVAL_MS = 1000;

const describeProblems = (ps: readonly Problem[]) => ps.map((p) => `${p.check}${p.output === undefined ? '' : `:${p.output}`}`).join(',');

/**
 * Answers /health and /readyz from the agent's state, and logs every change
 * of either once, with its reasons (a change of reasons counts: an output
 * recovering while a buffer is still full is news).
 */
export class HealthMonitor {
  private readonly requests = new RequestFailureWatch();
  private timer: NodeJS.Timeout | undefined;
  private last: { health: string; ready: string } | undefined;

  constructor(
    private readonly source: HealthSource,
    private readonly settings: HealthSettings,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.report();
    this.timer = setInterval(() => this.report(), CHECK_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  report(now = Date.now()): HealthReport {
    const { source } = this;
    const sample = { phase: source.phase(), outputs: source.outputs(), checkpointDiskFull: source.checkpointDiskFull() };
    const r = evaluateHealth(sample, (o) => this.requests.since(o, now), this.settings, now);
    const health = describeProblems(r.problems);
    const ready = describeProblems(r.notReady);
    // The first sample is the starting state, not a change.
    if (this.last !== undefined) {
      if (health !== this.last.health) {
        if (r.healthy) this.logger.info({ phase: r.phase }, 'health: ok');
        else this.logger.warn({ phase: r.phase, reasons: r.problems.map((p) => p.reason) }, 'health: failing');
      }
      if (ready !== this.last.ready) {
        if (r.ready) this.logger.info({ phase: r.phase }, 'readiness: ready');
        else this.logger.warn({ phase: r.phase, reasons: r.notReady.map((p) => p.reason) }, 'readiness: not ready');
      }
    }
    this.last = { health, ready };
    return r;
  }
}
