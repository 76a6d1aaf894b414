import type { ContainerLine, ContainerStream } from './types.js';

/** One application line, whole again: its pieces joined. */
export interface JoinedLine {
  /** The key its pieces were pushed under (one per file + stream). */
  key: object;
  stream: ContainerStream;
  /** The time of its first piece. */
  time: number | undefined;
  text: string;
  /** Byte offset of the raw line holding its first piece (the event's `log.offset` and id). */
  offset: number;
  /** Cut at `maxBytes` (the rest of the line was skipped). */
  truncated: boolean;
}

interface Pending {
  readonly stream: ContainerStream;
  readonly time: number | undefined;
  readonly offset: number;
  readonly pieces: string[];
  /** UTF-8 bytes of `pieces`. */
  bytes: number;
  /** Cut: the pieces up to the line's final one are skipped. */
  truncated: boolean;
}

/**
 * Reassembles application lines that a container runtime split into pieces
 * (CRI `P…P F`, docker's 16 KiB `log` without `\n`).
 *
 * State is kept per key — the chain makes one key object per file and stream —
 * so stdout and stderr pieces interleaved in one file never mix. Pieces are
 * collected in an array and joined once, when the final piece arrives.
 *
 * A joined line longer than `maxBytes` UTF-8 bytes is cut there (never inside a
 * character) and flagged `truncated`; the pieces after the cut are dropped up to
 * and including the line's final piece, which then emits the cut line. Holding
 * the line until its final piece keeps `pendingOffset` at its first piece, so
 * the checkpoint never passes the start of a line that is not yet emitted and a
 * restart rebuilds the same line at the same offset (the same event id).
 *
 * A full piece with nothing pending is the hot path: one map lookup, no copy.
 */
export class PartialJoiner {
  private readonly pending = new Map<object, Pending>();

  /** @param maxBytes cap of a joined line in UTF-8 bytes (> 0; `Infinity` for none). */
  constructor(private readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`PartialJoiner: maxBytes must be > 0, got ${maxBytes}`);
  }

  /**
   * Takes the next piece of `key`'s stream; appends to `out` the line it completes, if any.
   * @param offset byte offset of the raw line holding this piece
   */
  push(key: object, piece: ContainerLine, offset: number, out: JoinedLine[]): void {
    const p = this.pending.get(key);
    if (p === undefined) {
      if (!piece.partial) {
        let text = piece.text;
        let truncated = false;
        // A UTF-16 unit is at most 3 UTF-8 bytes: most lines need no count at all.
        if (text.length * 3 > this.maxBytes && Buffer.byteLength(text, 'utf8') > this.maxBytes) {
          text = cutUtf8(text, this.maxBytes);
          truncated = true;
        }
        out.push({ key, stream: piece.stream, time: piece.time, text, offset, truncated });
        return;
      }
      const started: Pending = { stream: piece.stream, time: piece.time, offset, pieces: [], bytes: 0, truncated: false };
      this.add(started, piece.text);
      this.pending.set(key, started);
      return;
    }
    if (!p.truncated) this.add(p, piece.text);
    if (!piece.partial) {
      this.pending.delete(key);
      out.push(emit(key, p));
    }
  }

  /** Emits `key`'s pending line as it is (a timeout, or the file/stream is done). */
  flushKey(key: object, out: JoinedLine[]): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    out.push(emit(key, p));
  }

  /** Emits every pending line as it is, in the order of their offsets (shutdown: nothing is lost). */
  flushAll(out: JoinedLine[]): void {
    if (this.pending.size === 0) return;
    const all = [...this.pending];
    this.pending.clear();
    all.sort((a, b) => a[1].offset - b[1].offset);
    for (const [key, p] of all) out.push(emit(key, p));
  }

  /** Offset of the first piece `key` holds, or undefined. */
  pendingOffset(key: object): number | undefined {
    return this.pending.get(key)?.offset;
  }

  /** Whether `key` has a line waiting for more pieces. */
  has(key: object): boolean {
    return this.pending.has(key);
  }

  private add(p: Pending, text: string): void {
    if (text.length === 0) return;
    const room = this.maxBytes - p.bytes;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes <= room) {
      p.pieces.push(text);
      p.bytes += bytes;
      return;
    }
    const cut = cutUtf8(text, room);
    if (cut.length > 0) p.pieces.push(cut);
    p.bytes += Buffer.byteLength(cut, 'utf8');
    p.truncated = true;
  }
}

function emit(key: object, p: Pending): JoinedLine {
  const text = p.pieces.length === 1 ? p.pieces[0]! : p.pieces.join('');
  return { key, stream: p.stream, time: p.time, text, offset: p.offset, truncated: p.truncated };
}

/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never
 * splitting a character (a surrogate pair counts as one 4-byte character; a
 * lone surrogate as the 3 bytes of U+FFFD it is encoded as).
 */
export function cutUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    let size: number;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size = 4;
      units = 2;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return i === n ? text : text.slice(0, i);
}
