/** Marks kept at most: past this the second oldest is dropped, so the age stays an upper bound. */
const MAX_MARKS = 3600;

/**
 * How long the oldest unacknowledged record of one output's buffer has been
 * waiting, from counts alone: the buffers keep no entry time. Records are
 * acknowledged in order, so the oldest pending one is number
 * `entered - pending` of all that entered; each sample marks how many had
 * entered by then, and the mark before that number is when it came at the
 * latest (to the sampling interval). Records left from the previous run count
 * from this start.
 */
export class BufferAge {
  /** Pending records found in the buffer when the numbering began (left from a previous run). */
  private base: number | undefined;
  private appended = 0;
  private droppedAtBase = 0;
  /** [records entered since the base, epoch ms], oldest first. */
  private readonly marks: [number, number][] = [];

  constructor(private readonly startedAt: number) {}

  /** Called before each append of `n` records; the buffer's counts (before it) are read only by the first. */
  appending(n: number, buffer: { stats(): { pending: number; droppedEvents: number } }): void {
    if (this.base === undefined) {
      const c = buffer.stats();
      this.begin(c.pending, c.droppedEvents);
    }
    this.appended += n;
  }

  /** Records acknowledged since this start: all that were in the buffer or entered it, less those pending. */
  acknowledged(pending: number, dropped: number): number {
    this.begin(pending, dropped);
    return this.base! + this.appended - (dropped - this.droppedAtBase) - pending;
  }

  /** The numbering starts at the first append or sample, whichever comes first. */
  private begin(pending: number, dropped: number): void {
    if (this.base !== undefined) return;
    this.base = pending;
    this.droppedAtBase = dropped;
  }

  /** One sample: returns the age in ms of the oldest pending record, or undefined when none is pending. */
  sample(now: number, pending: number, dropped: number): number | undefined {
    this.begin(pending, dropped);
    const sinceBase = this.appended - (dropped - this.droppedAtBase);
    const lastMark = this.marks.at(-1);
    if (lastMark === undefined || lastMark[0] !== sinceBase) {
      if (this.marks.length >= MAX_MARKS) this.marks.splice(1, 1);
      this.marks.push([sinceBase, now]);
    }
    if (pending <= 0) return undefined;
    // Numbered from the first record appended by this process; the previous run's are below 0.
    const oldest = sinceBase - pending;
    // Before the first mark: left from the previous run, or appended before the first sample.
    if (oldest < 0 || this.marks.length === 0) return now - this.startedAt;
    // Marks wholly behind the oldest pending record tell nothing any more.
    while (this.marks.length > 1 && this.marks[1]![0] <= oldest) this.marks.shift();
    const first = this.marks[0]!;
    return first[0] <= oldest ? now - first[1] : now - this.startedAt;
  }
}
