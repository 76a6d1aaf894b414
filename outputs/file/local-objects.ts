/**
 * The `file` output's object store: each object is a local file under the
 * output's directory, named by its creation stamp (object-key.ts), written
 * with writev and made durable by fsync, so an open object's bytes become
 * durable at every sync.
 */
import { mkdir, type FileHandle } from 'node:fs/promises';
import type { ObjectBackend, ObjectSink, ObjectStart } from '../objects/backend.js';
import { createObjectFile, fsError } from './object-key.js';

export class LocalObjectBackend implements ObjectBackend {
  private lastCreatedAt = -Infinity;

  constructor(
    private readonly label: string,
    private readonly root: string,
  ) {}

  async start(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
    } catch (err) {
      throw fsError(this.label, 'create directory', this.root, err);
    }
  }

  async open(object: ObjectStart): Promise<ObjectSink> {
    // Strictly increasing stamps keep one output's objects in creation order
    // when listed, even when several are created within a millisecond.
    const createdAt = Math.max(object.openedAt, this.lastCreatedAt + 1);
    this.lastCreatedAt = createdAt;
    const created = await createObjectFile(this.label, this.root, object.prefix, createdAt, object.compression);
    return new LocalObjectFile(this.label, created.path, created.fh);
  }
}

class LocalObjectFile implements ObjectSink {
  private fh: FileHandle | undefined;
  private unsynced = false;

  constructor(
    private readonly label: string,
    private readonly path: string,
    fh: FileHandle,
  ) {
    this.fh = fh;
  }

  async write(chunks: readonly Buffer[], bytes: number): Promise<void> {
    let pending = chunks;
    let want = bytes;
    try {
      // writev may write less than asked (a disk filling up); write the rest or fail.
      while (want > 0) {
        const { bytesWritten } = await this.fh!.writev(pending);
        if (bytesWritten === 0) throw new Error('no progress writing');
        this.unsynced = true;
        want -= bytesWritten;
        if (want > 0) pending = remainder(pending, bytesWritten);
      }
    } catch (err) {
      throw fsError(this.label, 'write', this.path, err);
    }
  }

  async sync(): Promise<boolean> {
    if (!this.unsynced) return true;
    try {
      await this.fh!.sync();
    } catch (err) {
      throw fsError(this.label, 'fsync', this.path, err);
    }
    this.unsynced = false;
    return true;
  }

  async close(): Promise<void> {
    try {
      await this.sync();
    } catch (err) {
      await this.abort();
      throw err;
    }
    const fh = this.fh;
    this.fh = undefined;
    try {
      await fh?.close();
    } catch (err) {
      throw fsError(this.label, 'close', this.path, err);
    }
  }

  async abort(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => {});
  }
}

/** The part of `bufs` after the first `skip` bytes. */
function remainder(bufs: readonly Buffer[], skip: number): Buffer[] {
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
