import { open, type FileHandle } from 'node:fs/promises';
import { extendsHead, fingerprintBytes, generationKey, headMatches, readFingerprint, tailMark, tailMatches, type Identity, type TailMark } from './identity.js';
import { newLineBatch, type LineBatch, type SourceRef } from './line-batch.js';
import { LineSplitter } from './line-splitter.js';

export interface TailedFileOptions {
  maxLineBytes: number;
  fingerprintBytes: number;
}

/**
 * One generation of one file, read through an fd we hold: after a rename or a
 * delete the fd still reaches the old bytes, so nothing written before the
 * rotation is missed. Reads are positional (pread), at our own byte offset.
 */
export class TailedFile implements SourceRef {
  key = '';
  /** Next byte to read. */
  readPos: number;
  /** No longer reachable under `path` (renamed away, deleted, or superseded after a truncation). */
  rotated = false;
  /** Set when a poll saw bytes past readPos; cleared at end of file. */
  readable = true;
  /** When bytes last arrived (or the file was opened): drives rotate_wait and the partial-line timeout. */
  lastDataAt = Date.now();
  lastMtimeMs = 0;
  /** The largest size seen while this generation was under its path: bytes past readPos existed. */
  seenSize = 0;
  /**
   * Set on a replacement opened while still headless (empty after a truncation):
   * copies made after this mtime, before its head is known, are generations it
   * lost to further copytruncates. Cleared once the head is final.
   */
  missedSince: number | undefined;
  /** The last bytes read: with the head, how a copy of this generation is recognised. */
  tail: TailMark | undefined;
  /** Its fd closed by max_open_files while it was idle and fully read; `reopen` takes it up again. */
  parked = false;
  /** Graceful stop: read up to here, then stop. */
  stopAt: number | undefined;
  readonly splitter: LineSplitter;

  private constructor(
    readonly path: string,
    public fh: FileHandle,
    readonly id: Identity,
    private gen: number,
    offset: number,
    private readonly opts: TailedFileOptions,
  ) {
    this.readPos = offset;
    this.splitter = new LineSplitter(opts.maxLineBytes, offset);
  }

  /**
   * Opens `openPath` (or takes over an fd already open on it) for tailing from
   * `offset` (`'end'`: its current size); its events name `path`, the path it
   * is tailed as (a rotated generation found as `app.log.1` still reports `app.log`).
   * Returns undefined when it vanished in between (a rotation race: the next poll sees it under its new name).
   */
  static async open(
    openPath: string | FileHandle,
    path: string,
    offset: number | 'end',
    opts: TailedFileOptions,
    scratch: Buffer,
    inherit?: { key: string; generation: number },
  ): Promise<TailedFile | undefined> {
    let fh: FileHandle;
    try {
      fh = typeof openPath === 'string' ? await open(openPath, 'r') : openPath;
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        await fh.close();
        return undefined;
      }
      const fp = await readFingerprint(fh, opts.fingerprintBytes, scratch);
      const id: Identity = { dev: st.dev, ino: st.ino, fp };
      const start = offset === 'end' ? st.size : offset;
      const file = new TailedFile(path, fh, id, inherit?.generation ?? 0, start, opts);
      file.lastMtimeMs = st.mtimeMs;
      file.seenSize = st.size;
      if (inherit) file.key = inherit.key;
      else if (fp.final) file.key = generationKey(id, file.gen);
      return file;
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Reads the next chunk into `buf` and splits it. Returns the lines (possibly
   * none, mid-way through a long line), null at end of file, or 'superseded'
   * when `scratch` is given and the file no longer starts with our head: it was
   * truncated and rewritten since the last poll, so the bytes just read belong
   * to a new generation and are not emitted under this one's identity.
   * `end`: read no further than this offset (null when there already).
   */
  async read(buf: Buffer, scratch?: Buffer, end?: number): Promise<LineBatch | null | 'superseded'> {
    let want = buf.length;
    if (this.stopAt !== undefined) want = Math.min(want, this.stopAt - this.readPos);
    if (end !== undefined) want = Math.min(want, end - this.readPos);
    if (want <= 0) {
      this.readable = false;
      return null;
    }
    const { bytesRead } = await this.fh.read(buf, 0, want, this.readPos);
    if (bytesRead === 0) {
      this.readable = false;
      return null;
    }
    // Checked after the read: still ours now means the bytes read were ours too.
    if (scratch && !(await this.stillHolds(scratch))) return 'superseded';
    if (bytesRead < want) this.readable = false;
    const pos = this.readPos;
    this.readPos += bytesRead;
    this.tail = tailMark(buf, bytesRead, pos);
    if (this.readPos > this.seenSize) this.seenSize = this.readPos;
    this.lastDataAt = Date.now();
    if (this.key === '') {
      // The first chunk holds the head itself: fingerprint exactly what is being emitted.
      if (pos === 0 && !this.id.fp.final) this.id.fp = fingerprintBytes(buf, bytesRead, this.opts.fingerprintBytes);
      await this.settleKey();
    }
    const batch = newLineBatch(this);
    this.splitter.push(buf, bytesRead, pos, batch);
    batch.endOffset = this.splitter.resumeOffset;
    return batch;
  }

  /**
   * Does the file still hold what we read of it? Its head, and the last bytes
   * read: a generation that starts like the one before (a banner line) is told
   * apart by them.
   */
  async stillHolds(scratch: Buffer): Promise<boolean> {
    return (await headMatches(this.fh, this.id.fp, scratch)) && (!this.tail || (await tailMatches(this.fh, this.tail, scratch)));
  }

  /** Emits a held last line without its newline (idle timeout, rotation end, shutdown). */
  async flushPartial(): Promise<LineBatch | null> {
    if (!this.splitter.hasPartial) return null;
    if (this.key === '') await this.settleKey();
    const batch = newLineBatch(this);
    this.splitter.flushPartial(batch, this.readPos);
    batch.endOffset = this.splitter.resumeOffset;
    return batch;
  }

  get generation(): number {
    return this.gen;
  }

  /**
   * New content that starts exactly like the generation it replaced (a file
   * truncated and rewritten with the same first line) gets a new generation,
   * so its event ids cannot collide with the old ones. Only before any line was emitted.
   */
  setGeneration(generation: number): void {
    this.gen = generation;
    if (this.key !== '' && this.id.fp.final) this.key = generationKey(this.id, generation);
  }

  /** Position a restart would resume from: the first byte not emitted as part of a line. */
  get resumeOffset(): number {
    return this.splitter.resumeOffset;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
  }

  /** Closes the fd, keeping the position and identity: reopened by identity when it changes. */
  async park(): Promise<void> {
    this.parked = true;
    await this.fh.close().catch(() => {});
  }

  /**
   * Takes a parked generation up again through `openPath` if that is still it
   * (same inode, same head). False when it is not (renamed elsewhere, deleted, replaced).
   */
  async reopen(openPath: string, scratch: Buffer): Promise<boolean> {
    let fh: FileHandle;
    try {
      fh = await open(openPath, 'r');
    } catch (err) {
      if (isGone(err)) return false;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (st.dev === this.id.dev && st.ino === this.id.ino && (await headMatches(fh, this.id.fp, scratch))) {
        this.fh = fh;
        this.parked = false;
        return true;
      }
    } catch {
      // Treated as not found: the caller looks elsewhere or gives the generation up.
    }
    await fh.close().catch(() => {});
    return false;
  }

  /** The key is fixed at the first emitted line, when the head is as final as it will get. */
  private async settleKey(): Promise<void> {
    const cap = this.opts.fingerprintBytes;
    if (!this.id.fp.final) {
      const head = Buffer.allocUnsafe(cap);
      const { bytesRead } = await this.fh.read(head, 0, cap, 0);
      // Only a head that extends the one we read: copytruncates landing since our
      // read leave another generation's head here. Taken as ours, it would make
      // the bytes we hold (a partial first line) look like that generation's, so
      // the copy of ours would not be found, the partial line would be emitted on
      // its own, and the copy read again as a missed generation. Keeping our
      // provisional head, the next read sees the file superseded and finds the copy by it.
      if (extendsHead(head, bytesRead, this.id.fp)) this.id.fp = fingerprintBytes(head, bytesRead, cap);
    }
    this.key = generationKey(this.id, this.gen);
  }
}

export function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
