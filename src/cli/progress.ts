import { seconds } from '../server/health.js';

/** What the progress line reads from the agent, each time it is drawn. */
export interface ProgressSnapshot {
  readonly inputs: readonly { readonly name: string; readonly events: number; readonly unreadBytes: number }[];
  readonly outputs: readonly {
    readonly name: string;
    /** Records acknowledged since the start. */
    readonly delivered: number;
    readonly pending: number;
    readonly bufferBytes: number;
    readonly bufferMaxBytes: number;
    readonly lastAckAt: number | undefined;
  }[];
}

/** How often the line is written. */
export const PROGRESS_INTERVAL_MS = 5000;

const rate = (now: number, before: number | undefined, ms: number) => (before === undefined || ms <= 0 ? 0 : Math.max(0, ((now - before) * 1000) / ms));
const SIZE_STEPS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
/** `1.2 MiB`: a size at a glance (parsers/units.ts formats exact sizes for configs). */
function approxSize(bytes: number): string {
  let n = bytes;
  let step = 0;
  while (n >= 1024 && step < SIZE_STEPS.length - 1) {
    n /= 1024;
    step++;
  }
  return `${step === 0 || n >= 100 ? Math.round(n) : Number(n.toFixed(1))} ${SIZE_STEPS[step]}`;
}
const perSecond = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en')} ev/s`;

/**
 * One human line about the whole agent, for a terminal:
 * `progress: read app 812 ev/s (0 B unread) | local: shipped 810 ev/s, buffer 1.2 MiB of 1 GiB, 3 pending, lag 0.4 s`.
 * Lag is how long the oldest pending events have waited for an acknowledgement
 * (since the last one), zero when nothing is pending.
 */
export function formatProgress(cur: ProgressSnapshot, prev: ProgressSnapshot | undefined, elapsedMs: number, now: number): string {
  const before = <T extends { name: string }>(list: readonly T[] | undefined, name: string) => list?.find((x) => x.name === name);
  const inputs = cur.inputs.map((i) => `read ${i.name} ${perSecond(rate(i.events, before(prev?.inputs, i.name)?.events, elapsedMs))} (${approxSize(i.unreadBytes)} unread)`);
  const outputs = cur.outputs.map((o) => {
    const lag = o.pending === 0 || o.lastAckAt === undefined ? 0 : Math.max(0, now - o.lastAckAt);
    return `${o.name}: shipped ${perSecond(rate(o.delivered, before(prev?.outputs, o.name)?.delivered, elapsedMs))}, buffer ${approxSize(o.bufferBytes)} of ${approxSize(o.bufferMaxBytes)}, ${o.pending.toLocaleString('en')} pending, lag ${seconds(lag)}`;
  });
  return `progress: ${[...inputs, ...outputs].join(' | ')}\n`;
}

/** Writes the progress line every PROGRESS_INTERVAL_MS while logship runs on a terminal. */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private prev: { snapshot: ProgressSnapshot; at: number } | undefined;

  constructor(
    private readonly snapshot: () => ProgressSnapshot | undefined,
    private readonly write: (line: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.draw(), PROGRESS_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  draw(now = Date.now()): void {
    const snapshot = this.snapshot();
    // Not running yet (the pipeline is being built): nothing to show.
    if (snapshot === undefined) return;
    this.write(formatProgress(snapshot, this.prev?.snapshot, this.prev === undefined ? 0 : now - this.prev.at, now));
    this.prev = { snapshot, at: now };
  }
}
