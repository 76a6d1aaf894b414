/**
 * Large scratch buffers handed back for reuse: a disk write's frames, a bulk
 * request's body. Each would otherwise be a new multi-MiB allocation per
 * batch, dead as soon as it is written, yet resident until V8's next full
 * collection: V8 counts Buffers as external memory and collects them only
 * once that has grown by a fixed step (64 MiB) since the last collection, so
 * at high throughput the dead bodies alone were 60–100 MiB of RSS. A pool
 * keeps at most `keep` buffers of at most `maxBytes` each; anything larger
 * is allocated and left to the collector as before.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(
    private readonly keep: number,
    private readonly maxBytes: number,
  ) {}

  /** A buffer of exactly `size` bytes (uninitialised), to be given back with `give` once nothing reads it. */
  take(size: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const len = this.free[i]!.byteLength;
      if (len >= size && (best === -1 || len < this.free[best]!.byteLength)) best = i;
    }
    if (best !== -1) return Buffer.from(this.free.splice(best, 1)[0]!, 0, size);
    // Rounded up, so that batches that grow a little do not each need a new buffer.
    const capacity = size <= this.maxBytes ? Math.min(this.maxBytes, Math.ceil((size * 1.25) / 65_536) * 65_536) : size;
    return Buffer.from(Buffer.allocUnsafeSlow(capacity).buffer, 0, size);
  }

  /** Lets go of every buffer kept: an idle process should not hold a burst's buffers. */
  clear(): void {
    this.free.length = 0;
  }

  /** `buf` (from `take`) may be reused. */
  give(buf: Buffer): void {
    const ab = buf.buffer as ArrayBuffer;
    if (ab.byteLength > this.maxBytes || this.free.includes(ab)) return;
    if (this.free.length < this.keep) {
      this.free.push(ab);
      return;
    }
    // Full: keep the larger buffers, which fit more requests.
    let smallest = 0;
    for (let i = 1; i < this.free.length; i++) if (this.free[i]!.byteLength < this.free[smallest]!.byteLength) smallest = i;
    if (this.free[smallest]!.byteLength < ab.byteLength) this.free[smallest] = ab;
  }
}

/**
 * A pool for buffers that hold one batch each (a joined batch, a request
 * body): a batch can pass its max_bytes by one record, and the pool rounds
 * capacities up by a quarter, so it keeps buffers up to 1.5 × max_bytes + 1 MiB.
 */
export function batchBufferPool(keep: number, batchMaxBytes: number): BufferPool {
  return new BufferPool(keep, Math.ceil(batchMaxBytes * 1.5) + 1024 * 1024);
}
