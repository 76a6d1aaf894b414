import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';

export interface LivenessState {
  readonly live: boolean;
  readonly reason?: string;
}

/**
 * Measures event-loop stalls by the lateness of an unref'd interval timer,
 * and answers /livez from what it measured. A request can only be answered
 * once the loop turns again, so a stall is reported two ways: the timer is
 * behind right now (the request got its turn before the timer), or a stall
 * longer than `maxStallMs` ended less than `maxStallMs` ago (so a probe
 * arriving just after it still sees it).
 */
export class LivenessMonitor {
  private readonly intervalMs: number;
  private lastTick = performance.now();
  private stall: { ms: number; endedAt: number } | undefined;
  /** A stall was logged and its end not yet: the next change to log is back to live. */
  private failing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxStallMs: number,
    private readonly logger: Logger,
  ) {
    // A tick several times per max_stall: its own period never looks like a stall.
    this.intervalMs = Math.min(1000, maxStallMs / 4);
  }

  start(): void {
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The last stall longer than max_stall: how long, and when it ended (performance.now()). */
  lastStall(): { ms: number; endedAt: number } | undefined {
    return this.stall;
  }

  state(now = performance.now()): LivenessState {
    const behind = now - this.lastTick - this.intervalMs;
    if (behind > this.maxStallMs) return { live: false, reason: `event loop stalled: a timer is ${Math.round(behind)} ms late (server.liveness.max_stall ${this.maxStallMs} ms)` };
    if (this.stall !== undefined && now - this.stall.endedAt < this.maxStallMs) {
      return { live: false, reason: `event loop stalled for ${Math.round(this.stall.ms)} ms, ${Math.round(now - this.stall.endedAt)} ms ago (server.liveness.max_stall ${this.maxStallMs} ms)` };
    }
    return { live: true };
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.lastTick - this.intervalMs;
    this.lastTick = now;
    if (late > this.maxStallMs) {
      this.stall = { ms: late, endedAt: now };
      this.failing = true;
      this.logger.warn({ stallMs: Math.round(late), maxStallMs: this.maxStallMs }, 'liveness: event loop stalled');
    } else if (this.failing && this.state(now).live) {
      this.failing = false;
      this.logger.info({ lastStallMs: Math.round(this.stall!.ms) }, 'liveness: ok');
    }
  }
}
