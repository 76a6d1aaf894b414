/**
 * One open object: buffers appended bytes, writes them (gzip-compressed when
 * asked) in order on a private chain of file operations, fsyncs on request,
 * and closes when told to.
 *
 * With gzip, every write is one complete gzip member (RFC 1952 allows a file
 * of several; zcat and zlib read them whole). A sync writes out the buffer
 * before its fsync, so it always ends a member, and whatever was fsynced is a
 * valid gzip file even if a crash tears the unsynced tail.
 */
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { SerialQueue } from '../../src/util/serial.js';
import { createObjectFile, fsError, type Compression } from './object-key.js';

/** Async zlib runs on the libuv threadpool, keeping the event loop free. */
const gzipAsync = promisify(gzip);

/**
 * Buffered bytes that trigger a write before the next sync point: large enough
 * for few syscalls and well-compressed members, small enough to keep memory low.
 */
export const WRITE_CHUNK_BYTES = 1024 * 1024;

export interface ObjectWriterOptions {
  /** Prefix for error messages, e.g. `file output "local"`. */
  readonly label: string;
  readonly root: string;
  readonly prefix: string;
  readonly compression: Compression;
  readonly createdAt: number;
  readonly maxBytes: number;
  /** Called once when the bytes on disk reach maxBytes, from the write chain (gzip sizes are known only there). */
  readonly onFull: (writer: ObjectWriter) => void;
  /** Called once with the first failure of any file operation. */
  readonly onError: (err: Error) => void;
}

export class ObjectWriter {
  readonly prefix: string;
  readonly createdAt: number;
  /** Set once the file exists. */
  path: string | undefined;

  private fh: FileHandle | undefined;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Appended but not yet on disk (buffered or in flight). */
  private queuedBytes = 0;
  private written = 0;
  private unsynced = false;
  private failed = false;
  private fullReported = false;
  /** Every file operation runs after the previous one; a failure skips the rest. */
  private readonly ops = new SerialQueue({ skipAfterFailure: true });
  private closePromise: Promise<void> | undefined;

  constructor(private readonly opts: ObjectWriterOptions) {
    this.prefix = opts.prefix;
    this.createdAt = opts.createdAt;
    // Opening is the first operation on the chain: append() stays synchronous,
    // and an open error surfaces like any other file error.
    this.run(async () => {
      const created = await createObjectFile(opts.label, opts.root, opts.prefix, opts.createdAt, opts.compression);
      this.fh = created.fh;
      this.path = created.path;
    });
  }

  get closing(): boolean {
    return this.closePromise !== undefined;
  }

  /**
   * The object's size for rollover: bytes on disk, plus, uncompressed, the bytes
   * queued for it (their size on disk is known in advance).
   */
  get size(): number {
    return this.opts.compression === 'none' ? this.written + this.queuedBytes : this.written;
  }

  get full(): boolean {
    return this.size >= this.opts.maxBytes;
  }

  /** Takes ownership of `data` (whole lines). */
  append(data: Buffer): void {
    if (this.closePromise !== undefined) throw new Error(`${this.opts.label}: append to an object being closed`);
    this.buffered.push(data);
    this.bufferedBytes += data.length;
    this.queuedBytes += data.length;
    if (this.bufferedBytes >= WRITE_CHUNK_BYTES) this.writeBuffered();
  }

  /** Resolves when everything appended so far is written and fsynced. */
  sync(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    this.writeBuffered();
    return this.run(() => this.fsync());
  }

  /** Writes out, fsyncs and closes; idempotent. The descriptor is released even after a failure. */
  close(): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    this.writeBuffered();
    const synced = this.run(() => this.fsync());
    this.closePromise = synced.then(
      () => this.release(true),
      async (err: unknown) => {
        await this.release(false).catch(() => {});
        throw err;
      },
    );
    this.closePromise.catch(() => {});
    return this.closePromise;
  }

  private writeBuffered(): void {
    if (this.bufferedBytes === 0) return;
    const chunks = this.buffered;
    const bytes = this.bufferedBytes;
    this.buffered = [];
    this.bufferedBytes = 0;
    this.run(() => this.writeOut(chunks, bytes));
  }

  private async writeOut(chunks: Buffer[], bytes: number): Promise<void> {
    let out = chunks;
    if (this.opts.compression === 'gzip') {
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
      try {
        out = [await gzipAsync(raw)];
      } catch (err) {
        throw fsError(this.opts.label, 'compress data for', this.path ?? '(unopened object)', err);
      }
    }
    const fh = this.fh!;
    let pending = out;
    try {
      // writev may write less than asked (a disk filling up); write the rest or fail.
      while (pending.length > 0) {
        const want = pending.reduce((n, b) => n + b.length, 0);
        const { bytesWritten } = await fh.writev(pending);
        if (bytesWritten === 0) throw new Error('no progress writing');
        this.written += bytesWritten;
        this.unsynced = true;
        pending = bytesWritten === want ? [] : remainder(pending, bytesWritten);
      }
    } catch (err) {
      throw fsError(this.opts.label, 'write', this.path!, err);
    }
    this.queuedBytes -= bytes;
    if (!this.fullReported && this.written >= this.opts.maxBytes && this.closePromise === undefined) {
      this.fullReported = true;
      this.opts.onFull(this);
    }
  }

  private async fsync(): Promise<void> {
    if (!this.unsynced) return;
    try {
      await this.fh!.sync();
    } catch (err) {
      throw fsError(this.opts.label, 'fsync', this.path!, err);
    }
    this.unsynced = false;
  }

  private async release(report: boolean): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh === undefined) return;
    try {
      await fh.close();
    } catch (err) {
      const wrapped = fsError(this.opts.label, 'close', this.path!, err);
      if (report) this.fail(wrapped);
      throw wrapped;
    }
  }

  /** Chains `op`; the returned promise is observed here, so a failure nobody awaits is still reported, once. */
  private run(op: () => Promise<void>): Promise<void> {
    const p = this.ops.run(op);
    p.catch((err: unknown) => this.fail(err));
    return p;
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.opts.onError(err instanceof Error ? err : new Error(String(err)));
  }
}

/** The part of `bufs` after the first `skip` bytes. */
function remainder(bufs: Buffer[], skip: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}
