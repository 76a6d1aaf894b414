/**
 * Lets a reload swap output lanes with no append in flight: the pumps enter
 * before each dispatch and leave after it; a reload closes the gate, waits
 * (bounded) for the dispatches inside to finish, swaps, and opens it again.
 * An append waiting for room in a full buffer holds its dispatch inside, which
 * is why the wait has a deadline.
 */
export class DispatchGate {
  private closed: { promise: Promise<void>; open: () => void } | undefined;
  private inside = 0;
  private readonly emptied: (() => void)[] = [];

  /** Resolves once the gate is open, counting the caller inside until leave(). */
  async enter(): Promise<void> {
    while (this.closed) await this.closed.promise;
    this.inside++;
  }

  leave(): void {
    if (--this.inside === 0) for (const wake of this.emptied.splice(0)) wake();
  }

  /** Closes the gate; true once no dispatch is inside, false if `deadline` (epoch ms) came first (the gate stays closed). */
  async close(deadline: number): Promise<boolean> {
    if (!this.closed) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      this.closed = { promise, open };
    }
    while (this.inside > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left).unref();
        this.emptied.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  open(): void {
    this.closed?.open();
    this.closed = undefined;
  }
}
