import { open, type FileHandle } from 'node:fs/promises';
import { decodeRecord, MAGIC, type DecodedRecord } from './segment-format.js';

const CHUNK = 1024 * 1024;

export type ScanItem =
  | { kind: 'record'; record: DecodedRecord }
  /** Bytes [start, end) hold no valid record; reading goes on at `end`. */
  | { kind: 'damage'; start: number; end: number; reason: string }
  /** An incomplete record at the end of a segment that will not grow: a torn write. */
  | { kind: 'torn'; start: number };

/**
 * Streams the records of one segment file from a byte offset, a chunk at a
 * time: memory does not grow with the segment, and a backlog of many segments
 * is read one after the other. After damage it resynchronises on the next
 * offset where a whole record with a good CRC starts.
 */
export class SegmentReader {
  private buf = Buffer.allocUnsafe(CHUNK);
  /** File offset of buf[0] and how many bytes of buf are valid. */
  private bufStart: number;
  private bufLen = 0;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    /** Offset of the next record. */
    public pos: number,
  ) {
    this.bufStart = pos;
  }

  /** A damaged segment header, reported before the first record. */
  private headerDamage = false;

  static async open(path: string, offset: number): Promise<SegmentReader> {
    const fh = await open(path, 'r');
    const reader = new SegmentReader(path, fh, Math.max(offset, MAGIC.length));
    if (offset < MAGIC.length) {
      const head = Buffer.alloc(MAGIC.length);
      const { bytesRead } = await fh.read(head, 0, MAGIC.length, 0);
      // Damage like any other: reported, and the records after it are still read.
      reader.headerDamage = bytesRead === MAGIC.length && !head.equals(MAGIC);
    }
    return reader;
  }

  /**
   * The next item before `limit` (the segment's known end), or null when the
   * bytes up to `limit` are used up. With `final`, an incomplete record at
   * `limit` is reported as torn rather than waited for.
   */
  async next(limit: number, final: boolean): Promise<ScanItem | null> {
    if (this.headerDamage) {
      this.headerDamage = false;
      return { kind: 'damage', start: 0, end: MAGIC.length, reason: 'bad segment header (not a logship buffer segment)' };
    }
    for (;;) {
      if (this.pos >= limit) return null;
      const at = this.pos - this.bufStart;
      const available = Math.min(this.bufLen - at, limit - this.pos);
      const r = decodeRecord(this.buf, at, available, this.pos);
      if (r.kind === 'record') {
        this.pos = r.record.end;
        return r;
      }
      if (r.kind === 'incomplete') {
        if (this.pos + r.need <= limit) {
          await this.fill(r.need, limit);
          continue;
        }
        if (!final) return null;
        const start = this.pos;
        // A damaged length can look like a record running past the end: if a
        // whole record follows, this is damage to skip, not a torn tail to cut.
        const resume = await this.resync(start + 1, limit);
        this.pos = resume ?? limit;
        this.bufStart = this.pos;
        this.bufLen = 0;
        if (resume !== undefined) {
          const claimed = this.bufLen === 0 ? await this.lengthAt(start) : 0;
          return { kind: 'damage', start, end: resume, reason: `record length ${claimed} runs past the end of the segment (a damaged length)` };
        }
        return { kind: 'torn', start };
      }
      const start = this.pos;
      const resume = await this.resync(start + 1, limit);
      this.pos = resume ?? limit;
      this.bufStart = this.pos;
      this.bufLen = 0;
      return { kind: 'damage', start, end: this.pos, reason: r.reason };
    }
  }

  /** Goes on at `pos`, a record's start the caller knows (records it had from elsewhere); buffered bytes that cover it are kept. */
  seek(pos: number): void {
    if (pos < this.bufStart || pos > this.bufStart + this.bufLen) {
      this.bufStart = pos;
      this.bufLen = 0;
    }
    this.pos = pos;
  }

  private async lengthAt(offset: number): Promise<number> {
    const head = Buffer.alloc(4);
    await this.fh.read(head, 0, 4, offset);
    return head.readUInt32LE(0);
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
  }

  /** Makes buf hold at least `need` bytes from pos (bounded by limit). */
  private async fill(need: number, limit: number): Promise<void> {
    const keep = this.bufLen - (this.pos - this.bufStart);
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, this.pos - this.bufStart, this.bufLen);
      this.buf = grown;
    } else if (keep > 0) {
      this.buf.copy(this.buf, 0, this.pos - this.bufStart, this.bufLen);
    }
    this.bufStart = this.pos;
    this.bufLen = Math.max(keep, 0);
    while (this.bufLen < need) {
      const want = Math.min(this.buf.length - this.bufLen, limit - (this.bufStart + this.bufLen));
      if (want <= 0) return;
      const { bytesRead } = await this.fh.read(this.buf, this.bufLen, want, this.bufStart + this.bufLen);
      if (bytesRead === 0) return;
      this.bufLen += bytesRead;
    }
  }

  /** The first offset in [from, limit) where a whole, CRC-valid record starts. A rare path: reads the rest of the segment. */
  private async resync(from: number, limit: number): Promise<number | undefined> {
    const size = limit - from;
    if (size <= 0) return undefined;
    const rest = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await this.fh.read(rest, got, size - got, from + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    for (let i = 0; i + 8 <= got; i++) {
      if (decodeRecord(rest, i, got - i, from + i).kind === 'record') return from + i;
    }
    return undefined;
  }
}
