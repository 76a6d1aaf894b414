import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../src/log.js';
import { fsyncDir } from '../../src/util/atomic-write.js';
import { SerialQueue } from '../../src/util/serial.js';
import { writeAll } from '../../src/util/write-all.js';

const LETTER_END = Buffer.from('}\n');

export interface DeadLetter {
  readonly index: string;
  readonly id: string;
  readonly status: number;
  readonly type: string;
  readonly reason: string;
  /** The document as sent (its JSON bytes, embedded as is). */
  readonly document: Buffer;
}

/**
 * Documents Elasticsearch will never take (mapping and parsing errors), as
 * NDJSON: one line each with the event, the index, the status and ES's
 * reason. An item is acknowledged only after its line is fsynced, so a crash
 * loses nothing (the item is sent again and lands here again). Past
 * `maxBytes` the file rotates to `.1`, `.2`, …; beyond `maxFiles` rotated
 * files the oldest is deleted, logged and counted.
 */
export class DeadLetterFile {
  private fh: FileHandle | undefined;
  private size = 0;
  private readonly appends = new SerialQueue();

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
    private readonly logger: Logger,
    private readonly onFileDropped: () => void,
  ) {}

  /** Appends and fsyncs; appends from concurrent requests are serialised. */
  append(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return Promise.resolve();
    const now = new Date().toISOString();
    const parts: Buffer[] = [];
    for (const l of letters) {
      parts.push(
        Buffer.from(`{"@timestamp":"${now}","index":${JSON.stringify(l.index)},"_id":${JSON.stringify(l.id)},"status":${l.status},"error":${JSON.stringify({ type: l.type, reason: l.reason })},"event":`),
        l.document,
        LETTER_END,
      );
    }
    return this.appends.run(() => this.write(Buffer.concat(parts)));
  }

  async close(): Promise<void> {
    await this.appends.settled();
    await this.fh?.close();
    this.fh = undefined;
  }

  private async write(bytes: Buffer): Promise<void> {
    if (!this.fh) await this.openFile();
    if (this.size > 0 && this.size + bytes.length > this.maxBytes) {
      await this.rotate();
      await this.openFile();
    }
    const fh = this.fh!;
    try {
      await writeAll(fh, bytes, null);
      await fh.sync();
    } catch (err) {
      // Leave no torn line for the next append to be glued onto.
      await fh.truncate(this.size).catch(() => {});
      throw err;
    }
    this.size += bytes.length;
  }

  private async openFile(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.fh = await open(this.path, 'a');
    this.size = (await this.fh.stat()).size;
    // A new file's name must survive a power cut as well as its lines.
    if (this.size === 0) await fsyncDir(dirname(this.path));
  }

  private async rotate(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    const oldest = `${this.path}.${this.maxFiles}`;
    if (await exists(oldest)) {
      await rm(oldest);
      this.onFileDropped();
      this.logger.warn({ file: oldest, maxFiles: this.maxFiles }, 'dead-letter file deleted: dead_letter.max_files rotated files are kept');
    }
    for (let n = this.maxFiles - 1; n >= 1; n--) {
      if (await exists(`${this.path}.${n}`)) await rename(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    }
    await rename(this.path, `${this.path}.1`);
    await fsyncDir(dirname(this.path));
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
