/**
 * What the `s3` output must remember across a crash about its uploads, kept
 * in `<state>/s3/<output>.journal` and replaced atomically (fsynced) before
 * every request whose effect must be undone or repeated after one:
 *
 * - before an object's final upload call (PutObject, CompleteMultipartUpload):
 *   its key, prefix and record range, so a replay rebuilds exactly that object
 *   under that key (ObjectRange) instead of cutting the records differently;
 * - before CreateMultipartUpload, and with its UploadId after: so the upload
 *   can be aborted on the next start if the process dies before it completes.
 *
 * An entry goes once its records are acknowledged in a way a restart sees
 * (the buffer's ack position on disk): no replay can reach them then.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../src/log.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { SerialQueue } from '../../src/util/serial.js';

export interface JournalEntry {
  readonly key: string;
  readonly prefix: string;
  /** Buffer record id of the object's first record. */
  readonly first: number;
  /** Set before the final upload call: the object's last record. */
  readonly last?: number;
  /** A multipart upload that may be open. */
  readonly uploadId?: string;
  /** A multipart upload was (or is about to be) started for this key. */
  readonly multipart?: boolean;
}

interface JournalFile {
  readonly version: 1;
  /** The process that wrote it: record ids of a memory buffer mean nothing to another one. */
  readonly process: string;
  readonly entries: JournalEntry[];
}

/** This process, as told apart from an earlier one with the same pid. */
const PROCESS = `${process.pid}@${Math.round(performance.timeOrigin)}`;

export function journalPath(stateDir: string, outputName: string): string {
  return join(stateDir, 's3', `${outputName}.journal`);
}

export class UploadJournal {
  private readonly saves = new SerialQueue();

  private constructor(
    private readonly file: string,
    private readonly byKey: Map<string, JournalEntry>,
    /** Whether the entries were written by this process. */
    readonly ownProcess: boolean,
  ) {}

  /**
   * The journal at `file`; none yet is an empty one. One that cannot be read
   * or parsed is set aside (`<file>.corrupt`) with an error naming it: the
   * output goes on, its replays then cut objects afresh (duplicates are
   * possible for the objects it held, never a loss).
   */
  static async load(label: string, file: string, logger: Logger): Promise<UploadJournal> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new UploadJournal(file, new Map(), true);
      logger.error({ file, err: (err as Error).message }, `${label}: cannot read the upload journal ${file}; objects it recorded may be uploaded again with other boundaries (duplicates, no loss)`);
      return new UploadJournal(file, new Map(), true);
    }
    const parsed = parseJournal(text);
    if (parsed === undefined) {
      const aside = `${file}.corrupt`;
      await rename(file, aside).catch(() => {});
      logger.error({ file, movedTo: aside }, `${label}: the upload journal ${file} is damaged (moved to ${aside}); objects it recorded may be uploaded again with other boundaries (duplicates, no loss)`);
      return new UploadJournal(file, new Map(), true);
    }
    return new UploadJournal(file, new Map(parsed.entries.map((e) => [e.key, e])), parsed.process === PROCESS);
  }

  get(key: string): JournalEntry | undefined {
    return this.byKey.get(key);
  }

  entries(): JournalEntry[] {
    return [...this.byKey.values()];
  }

  /** Records `entry` (replacing the one with its key) durably. */
  put(entry: JournalEntry): Promise<void> {
    this.byKey.set(entry.key, entry);
    return this.save();
  }

  /** Replaces the entry with `entry`'s key in memory; the next save writes it (for changes a crash may lose). */
  replace(entry: JournalEntry): void {
    this.byKey.set(entry.key, entry);
  }

  /** Drops the entry for `key` in memory; the next save writes it. */
  forget(key: string): void {
    this.byKey.delete(key);
  }

  /** Drops the entry for `key` durably. */
  remove(key: string): Promise<void> {
    if (!this.byKey.delete(key)) return Promise.resolve();
    return this.save();
  }

  /** Drops, in memory, the finished entries no replay can reach (last at or below `ackedId`); the next save writes it. */
  prune(ackedId: number): void {
    for (const [key, e] of this.byKey) if (e.last !== undefined && e.last <= ackedId && e.uploadId === undefined) this.byKey.delete(key);
  }

  /** Writes the entries as they are when the save starts (saves run one at a time). */
  save(): Promise<void> {
    return this.saves.run(() => {
      const content: JournalFile = { version: 1, process: PROCESS, entries: [...this.byKey.values()] };
      return writeFileAtomic(this.file, `${JSON.stringify(content)}\n`);
    });
  }
}

function parseJournal(text: string): JournalFile | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const d = data as Partial<JournalFile> | null;
  if (d === null || typeof d !== 'object' || d.version !== 1 || typeof d.process !== 'string' || !Array.isArray(d.entries)) return undefined;
  for (const e of d.entries as unknown[]) if (!isEntry(e)) return undefined;
  return d as JournalFile;
}

function isEntry(e: unknown): e is JournalEntry {
  const x = e as Record<string, unknown> | null;
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof x.key === 'string' &&
    typeof x.prefix === 'string' &&
    Number.isSafeInteger(x.first) &&
    (x.last === undefined || Number.isSafeInteger(x.last)) &&
    (x.uploadId === undefined || typeof x.uploadId === 'string') &&
    (x.multipart === undefined || typeof x.multipart === 'boolean')
  );
}
