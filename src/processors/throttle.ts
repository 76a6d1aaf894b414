/**
 * `throttle`: a token bucket per key value, `events_per_second` tokens a
 * second, holding one second's worth (the allowed burst). Buckets are kept for
 * at most MAX_KEYS values: when the map is full, the buckets that refilled
 * completely (idle for a second or more) are forgotten, which changes nothing
 * for them. Dropped events are counted per key, the first MAX_LABELS keys by
 * name and the rest under `_other`, so a key with unbounded values cannot
 * grow the metrics without bound.
 */
const MAX_KEYS = 10_000;
const MAX_LABELS = 100;
export const OTHER_KEY = '_other';

interface Bucket {
  tokens: number;
  at: number;
}

export class Throttle {
  private readonly buckets = new Map<string, Bucket>();
  /** Dropped events per key (label): read by the metrics. */
  readonly dropped: Record<string, number> = {};
  private labels = 0;
  /** A bucket holds a second's worth, and at least one event (`events_per_second: 0.5` lets one through every 2 s). */
  private readonly burst: number;

  constructor(private readonly perSecond: number) {
    this.burst = Math.max(1, perSecond);
  }

  /** Whether an event with this key value may pass at `now` (ms). */
  admit(key: string, now: number): boolean {
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_KEYS) this.forgetIdle(now);
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    this.count(key);
    return false;
  }

  private count(key: string): void {
    if (this.dropped[key] === undefined) {
      if (this.labels >= MAX_LABELS) key = OTHER_KEY;
      else if (key !== OTHER_KEY) this.labels++;
    }
    this.dropped[key] = (this.dropped[key] ?? 0) + 1;
  }

  private forgetIdle(now: number): void {
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    // Every key active within the last second: start over rather than grow; those keys get a fresh burst.
    if (this.buckets.size >= MAX_KEYS) this.buckets.clear();
  }
}
