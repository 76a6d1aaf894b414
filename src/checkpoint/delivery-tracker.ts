import type { TailedFile } from '../tail/tailed-file.js';
import type { CheckpointData } from './store.js';

interface Pending {
  readonly seq: number;
  readonly endOffset: number;
  /** Bit i set: output i must make this batch durable. */
  readonly mask: number;
}

interface Progress {
  readonly input: string;
  readonly file: TailedFile;
  /** Offset of the first line not yet durably handed off by every output. */
  durable: number;
  readonly pending: Pending[];
  /** Set when the tailer closed the file: its last offset. */
  final: number | undefined;
}

/**
 * Delivery accounting (docs/architecture.md, "Delivery rules"): a file's checkpoint moves to a batch's end
 * offset only once every output that received the batch reported it durable.
 * Outputs report "durable through seq N"; batches are sequenced on dispatch.
 */
export class DeliveryTracker {
  private seq = 0;
  private readonly durableSeq: number[];
  private readonly progress = new Map<TailedFile, Progress>();

  constructor(outputCount: number) {
    if (outputCount > 30) throw new Error('at most 30 outputs are supported');
    this.durableSeq = new Array<number>(outputCount).fill(0);
  }

  opened(input: string, file: TailedFile): void {
    this.progress.set(file, { input, file, durable: file.readPos, pending: [], final: undefined });
  }

  closed(file: TailedFile): void {
    const p = this.progress.get(file);
    if (p) p.final = file.resumeOffset;
  }

  /** Sequences a batch from `file` that ends at `endOffset`, bound for the outputs in `mask`. */
  dispatched(file: TailedFile, endOffset: number, mask: number): number {
    const seq = ++this.seq;
    const p = this.progress.get(file);
    if (p) {
      // A batch no output takes is done at once, but only in order behind its file's earlier batches.
      if (mask === 0 && p.pending.length === 0) p.durable = endOffset;
      else p.pending.push({ seq, endOffset, mask });
    }
    return seq;
  }

  /** Output `index` made every batch up to `seq` durable. */
  durable(index: number, seq: number): void {
    if (seq <= this.durableSeq[index]!) return;
    this.durableSeq[index] = seq;
    for (const p of this.progress.values()) {
      let n = 0;
      while (n < p.pending.length && this.isDurable(p.pending[n]!)) n++;
      if (n > 0) {
        p.durable = p.pending[n - 1]!.endOffset;
        p.pending.splice(0, n);
      }
    }
  }

  /** Batches dispatched but not yet durable everywhere. */
  inFlight(): number {
    let n = 0;
    for (const p of this.progress.values()) n += p.pending.length;
    return n;
  }

  /** Checkpoint entries per input; forgets closed files whose every line is durable. */
  snapshot(): CheckpointData {
    const out: CheckpointData = {};
    for (const [file, p] of this.progress) {
      if (p.final !== undefined && p.durable >= p.final) {
        this.progress.delete(file);
        continue;
      }
      const { id } = file;
      (out[p.input] ??= []).push({
        key: file.key,
        path: file.path,
        dev: id.dev,
        ino: id.ino,
        fp_len: id.fp.len,
        fp_crc: id.fp.crc,
        fp_final: id.fp.final,
        generation: file.generation,
        offset: p.durable,
        mtime_ms: file.lastMtimeMs,
      });
    }
    return out;
  }

  private isDurable(b: Pending): boolean {
    for (let i = 0; i < this.durableSeq.length; i++) {
      if (b.mask & (1 << i) && this.durableSeq[i]! < b.seq) return false;
    }
    return true;
  }
}
