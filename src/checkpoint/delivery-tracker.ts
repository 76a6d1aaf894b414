import type { ResumePoint } from '../tail/resume-point.js';
import type { TailedFile } from '../tail/tailed-file.js';
import type { CheckpointData } from './store.js';

/** Output slots: a batch's mask is a 32-bit integer. */
export const MAX_OUTPUTS = 30;

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
  /**
   * Files of a restarted input (a reload): their batches still wait for the
   * outputs, while the new tailer reads the same files on from where they were
   * handed off. Until they are durable the checkpoint keeps their offset.
   */
  private readonly retired = new Map<TailedFile, Progress>();

  constructor(outputCount: number) {
    if (outputCount > MAX_OUTPUTS) throw new Error(`at most ${MAX_OUTPUTS} outputs are supported`);
    this.durableSeq = new Array<number>(MAX_OUTPUTS).fill(0);
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
    this.advance(this.progress);
    this.advance(this.retired);
  }

  /**
   * Output slot `index` is removed (or taken by a new output): no batch
   * dispatched so far waits for it any more, and no later one is bound for it
   * unless its mask says so.
   */
  release(index: number): void {
    this.durable(index, this.seq);
  }

  /**
   * Input `input` stops for a restart (a reload changed it): its files' batches
   * still count until durable, and the returned points resume the new tailer
   * where the old one handed off, not where the outputs are durable (that would
   * read the batches in flight twice).
   */
  retire(input: string): ResumePoint[] {
    const points: ResumePoint[] = [];
    for (const [file, p] of this.progress) {
      if (p.input !== input) continue;
      this.progress.delete(file);
      const handedOff = p.pending.at(-1)?.endOffset ?? p.durable;
      points.push(entryOf(file, handedOff));
      if (p.pending.length > 0) this.retired.set(file, { ...p, final: handedOff });
    }
    return points;
  }

  /** Batches dispatched but not yet durable everywhere. */
  inFlight(): number {
    let n = 0;
    for (const p of this.progress.values()) n += p.pending.length;
    for (const p of this.retired.values()) n += p.pending.length;
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
      (out[p.input] ??= []).push(entryOf(file, p.durable));
    }
    for (const [file, p] of this.retired) {
      if (p.pending.length === 0) {
        this.retired.delete(file);
        continue;
      }
      // The new tailer's entry for the same generation may not claim more than the old batches made durable.
      const entries = (out[p.input] ??= []);
      const live = entries.find((e) => e.dev === file.id.dev && e.ino === file.id.ino && e.generation === file.generation);
      if (live) live.offset = Math.min(live.offset, p.durable);
      else entries.push(entryOf(file, p.durable));
    }
    return out;
  }

  private advance(progress: Map<TailedFile, Progress>): void {
    for (const p of progress.values()) {
      let n = 0;
      while (n < p.pending.length && this.isDurable(p.pending[n]!)) n++;
      if (n > 0) {
        p.durable = p.pending[n - 1]!.endOffset;
        p.pending.splice(0, n);
      }
    }
  }

  private isDurable(b: Pending): boolean {
    // Only the mask's bits: one step per output the batch went to.
    for (let m = b.mask; m !== 0; m &= m - 1) {
      const i = 31 - Math.clz32(m & -m);
      if (this.durableSeq[i]! < b.seq) return false;
    }
    return true;
  }
}

function entryOf(file: TailedFile, offset: number): ResumePoint {
  const { id } = file;
  return {
    key: file.key,
    path: file.path,
    dev: id.dev,
    ino: id.ino,
    fp_len: id.fp.len,
    fp_crc: id.fp.crc,
    fp_final: id.fp.final,
    generation: file.generation,
    offset,
    mtime_ms: file.lastMtimeMs,
  };
}
