/**
 * What an object store output (S3) counts about its uploads, for /metrics.
 * The output keeps it on its lane's OutputCounters (created on first use),
 * so the figures survive the output being rebuilt, like the other counters.
 */

/** Upper bounds (seconds) of the request-duration histogram's buckets; +Inf follows. */
export const REQUEST_SECONDS_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Durations of one kind of request: counts per bucket (not cumulative; the last is +Inf), their sum and number. */
export interface DurationHistogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

export interface UploadStats {
  /** Objects whose upload completed (PutObject or CompleteMultipartUpload). */
  objects: number;
  /** Bytes of those objects as stored (after compression). */
  bytes: number;
  /** Bytes of those objects before compression (their NDJSON). */
  rawBytes: number;
  /** Multipart parts uploaded. */
  parts: number;
  /** Failed requests by reason (`NoSuchBucket`, `SlowDown`, `ECONNREFUSED`, …); every one is retried from the buffer. */
  readonly failures: Record<string, number>;
  /** Request durations by request (`PutObject`, `UploadPart`, …). */
  readonly durations: Record<string, DurationHistogram>;
  /** When each open object was opened (epoch ms): their number and the oldest one's age. */
  readonly open: Set<{ readonly openedAt: number }>;
}

export function newUploadStats(): UploadStats {
  return { objects: 0, bytes: 0, rawBytes: 0, parts: 0, failures: {}, durations: {}, open: new Set() };
}

export function observeDuration(stats: UploadStats, request: string, seconds: number): void {
  const h = (stats.durations[request] ??= { counts: new Array<number>(REQUEST_SECONDS_BUCKETS.length + 1).fill(0), sum: 0, count: 0 });
  let b = 0;
  while (b < REQUEST_SECONDS_BUCKETS.length && seconds > REQUEST_SECONDS_BUCKETS[b]!) b++;
  h.counts[b]!++;
  h.sum += seconds;
  h.count++;
}
