import type { Logger } from '../log.js';

/** Errors that mean "no space left": a write waits for room (backpressure) rather than failing. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'other';
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5000;

interface Failing {
  reason: string;
  backoff: number;
}

/**
 * The failed writes of one component (a buffer, the checkpoint file), which
 * retries them rather than dying. Per operation, the first failure of a run is
 * logged at error and the recovery at info (a retry loop must not flood the
 * log); every failure is counted by its error code. `diskFull` is what a
 * health check reads.
 */
export class WriteFaults {
  /** Failed writes by reason (the error code, or 'other'). */
  readonly counts: Record<string, number> = {};
  private readonly failing = new Map<string, Failing>();

  constructor(
    private readonly logger: Logger,
    private readonly path: string,
    private readonly what: string,
  ) {}

  get diskFull(): boolean {
    for (const f of this.failing.values()) if (f.reason === 'ENOSPC' || f.reason === 'EDQUOT') return true;
    return false;
  }

  /** Counts a failed `op` (logged if it is the first of a run); returns how long to wait before retrying it. */
  failed(op: string, err: unknown): number {
    const reason = errorCode(err);
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    let f = this.failing.get(op);
    if (f?.reason !== reason) {
      f = { reason, backoff: f?.backoff ?? FIRST_BACKOFF_MS };
      this.failing.set(op, f);
      const msg = isDiskFull(err)
        ? `${this.what}: disk full; ${op} waits and is retried until space is freed`
        : `${this.what}: ${op} failed; retrying with backoff`;
      this.logger.error({ path: this.path, op, reason, err: (err as Error).message }, msg);
    }
    const wait = f.backoff;
    f.backoff = Math.min(f.backoff * 2, MAX_BACKOFF_MS);
    return wait;
  }

  succeeded(op: string): void {
    const f = this.failing.get(op);
    if (!f) return;
    this.failing.delete(op);
    this.logger.info({ path: this.path, op, after: f.reason }, `${this.what}: ${op} works again`);
  }
}
