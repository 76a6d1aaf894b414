/**
 * The last `size` samples of one figure, oldest first: a fixed array, so ten
 * minutes of history per output never grows.
 */
export class HistoryRing {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly size: number) {
    this.values = new Float64Array(size);
  }

  push(v: number): void {
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.size;
    if (this.filled < this.size) this.filled++;
  }

  toArray(): number[] {
    const out = new Array<number>(this.filled);
    const start = (this.next - this.filled + this.size) % this.size;
    for (let i = 0; i < this.filled; i++) out[i] = this.values[(start + i) % this.size]!;
    return out;
  }
}
