/**
 * When each tracked thing is next stat'ed. Something that just changed is
 * polled every `base` ms; each poll that finds it unchanged doubles its
 * interval, up to `cap`, so thousands of idle files cost a few stats a
 * second rather than thousands. Any change, or a watch hint, makes it due at
 * once and resets the interval: the poll stays the guarantee (fs.watch events
 * get lost on some volumes), only slower for files that have been idle.
 */
export class PollScheduler<K> {
  private readonly slots = new Map<K, { due: number; interval: number }>();

  constructor(
    private readonly base: number,
    private readonly cap: number,
  ) {}

  /** Unknown keys are due: a new file is polled at its first chance. */
  isDue(key: K, now: number): boolean {
    const slot = this.slots.get(key);
    return slot === undefined || slot.due <= now;
  }

  /** Record a poll: `changed` (or still busy) → `base` again; unchanged → back off. */
  polled(key: K, now: number, changed: boolean): void {
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { due: 0, interval: this.base }));
    slot.interval = changed ? this.base : Math.min(this.cap, slot.interval * 2);
    slot.due = now + slot.interval;
  }

  /** A watch event named it: poll it at the next chance, at the base rate again. */
  hint(key: K): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.due = 0;
    slot.interval = this.base;
  }

  /** The interval the key is polled at now (for tests and debugging). */
  intervalOf(key: K): number | undefined {
    return this.slots.get(key)?.interval;
  }

  delete(key: K): void {
    this.slots.delete(key);
  }
}
