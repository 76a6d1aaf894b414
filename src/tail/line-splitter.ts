import { LINE_PARTIAL, LINE_TRUNCATED } from '../../parsers/line-flags.js';
import { pushLine, type LineBatch } from './line-batch.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a file's bytes into lines on raw `\n` bytes and decodes each line as
 * UTF-8 on its own (invalid bytes become U+FFFD; a character split between two
 * reads is whole again because bytes, not strings, are carried over).
 *
 * Memory is bounded by `maxLineBytes`: the head of an over-long line is kept,
 * the rest is skipped up to its newline, and the line is emitted truncated.
 */
export class LineSplitter {
  private pending: Buffer;
  private pendingLen = 0;
  /** True while skipping the tail of a line that exceeded maxLineBytes. */
  private overflow = false;
  /** File offset where the line being assembled starts. */
  private lineStart: number;
  truncatedLines = 0;

  constructor(
    private readonly maxLineBytes: number,
    startOffset: number,
  ) {
    this.lineStart = startOffset;
    this.pending = Buffer.allocUnsafe(Math.min(maxLineBytes, 64 * 1024));
  }

  /** Offset of the first byte not yet emitted as part of a line: the resume point. */
  get resumeOffset(): number {
    return this.lineStart;
  }

  get hasPartial(): boolean {
    return this.pendingLen > 0 || this.overflow;
  }

  /** Feeds `buf[0, len)`, which sits at file offset `pos`; complete lines go to `out`. */
  push(buf: Buffer, len: number, pos: number, out: LineBatch): void {
    let i = 0;
    while (i < len) {
      const nl = buf.indexOf(LF, i);
      if (nl === -1 || nl >= len) {
        this.hold(buf, i, len);
        return;
      }
      if (this.pendingLen === 0 && !this.overflow) {
        this.emitSlice(buf, i, nl, out);
      } else {
        this.hold(buf, i, nl);
        this.emitPending(out, 0);
      }
      this.lineStart = pos + nl + 1;
      i = nl + 1;
    }
  }

  /** Emits the held partial line (no newline yet), tagged partial; the next byte starts a new line. */
  flushPartial(out: LineBatch, resumeAt: number): void {
    if (!this.hasPartial) return;
    this.emitPending(out, LINE_PARTIAL);
    this.lineStart = resumeAt;
  }

  /** Forgets any held bytes and restarts at `offset` (after a truncation). */
  reset(offset: number): void {
    this.pendingLen = 0;
    this.overflow = false;
    this.lineStart = offset;
  }

  private emitSlice(buf: Buffer, start: number, end: number, out: LineBatch): void {
    let flags = 0;
    if (end - start > this.maxLineBytes) {
      end = start + utf8Boundary(buf, start, start + this.maxLineBytes);
      flags = LINE_TRUNCATED;
      this.truncatedLines++;
    } else if (end > start && buf[end - 1] === CR) {
      end--;
    }
    pushLine(out, buf.toString('utf8', start, end), this.lineStart, flags);
  }

  private emitPending(out: LineBatch, extraFlags: number): void {
    let end = this.pendingLen;
    let flags = extraFlags;
    if (this.overflow) {
      end = utf8Boundary(this.pending, 0, end);
      flags |= LINE_TRUNCATED;
      this.truncatedLines++;
    } else if (end > 0 && this.pending[end - 1] === CR && extraFlags === 0) {
      end--;
    }
    pushLine(out, this.pending.toString('utf8', 0, end), this.lineStart, flags);
    this.pendingLen = 0;
    this.overflow = false;
  }

  /** Appends bytes of the current line to the held buffer, up to maxLineBytes. */
  private hold(buf: Buffer, start: number, end: number): void {
    if (this.overflow) return;
    const room = this.maxLineBytes - this.pendingLen;
    const n = end - start;
    if (n > room) {
      this.ensure(this.maxLineBytes);
      buf.copy(this.pending, this.pendingLen, start, start + room);
      this.pendingLen = this.maxLineBytes;
      // One byte past the limit proves the line is too long; a line of exactly
      // maxLineBytes followed by a newline is not truncated.
      this.overflow = true;
      return;
    }
    this.ensure(this.pendingLen + n);
    buf.copy(this.pending, this.pendingLen, start, end);
    this.pendingLen += n;
  }

  private ensure(size: number): void {
    if (size <= this.pending.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.maxLineBytes, Math.max(size, this.pending.length * 2)));
    this.pending.copy(grown, 0, 0, this.pendingLen);
    this.pending = grown;
  }
}

/** Length of buf[start, limit) cut back so that it does not end inside a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, start: number, limit: number): number {
  // Find the last lead byte among the final four and check that its sequence fits.
  for (let p = limit - 1; p >= start && p >= limit - 4; p--) {
    const b = buf[p]!;
    if ((b & 0xc0) === 0x80) continue;
    const seq = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return (p + seq > limit ? p : limit) - start;
  }
  return limit - start;
}
