import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { WriteFaults } from '../util/write-faults.js';
import type { CheckpointEntry } from './entry.js';

export type CheckpointData = Record<string, CheckpointEntry[]>;

const VERSION = 1;

/**
 * The checkpoint file: written to a temp file, fsynced, renamed over the old
 * one, and the directory fsynced, so a crash leaves either the old or the new
 * file, never a torn one. A failed save (a full disk, an I/O error) is logged
 * once, counted, and retried by the next save: the old file stays, so a
 * restart reads a little more again (duplicates, not loss).
 */
export class CheckpointStore {
  readonly file: string;
  private readonly faults: WriteFaults;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.file = join(dir, 'checkpoints.json');
    this.faults = new WriteFaults(logger, this.file, 'checkpoint');
  }

  /** Failed saves by error code, and whether the last one failed for lack of space. */
  stats(): { writeErrors: Record<string, number>; diskFull: boolean } {
    return { writeErrors: { ...this.faults.counts }, diskFull: this.faults.diskFull };
  }

  async load(): Promise<CheckpointData> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`cannot read checkpoint file ${this.file}: ${(err as Error).message}`);
    }
    try {
      return parse(text, (where, problem) =>
        this.logger.error({ file: this.file, entry: where, problem }, 'checkpoint entry invalid; that file is read again from its start'),
      );
    } catch (err) {
      // Unreadable state must not stop the shipper: keep the bad file for a human, start over (duplicates, not loss).
      const aside = `${this.file}.corrupt-${Date.now()}`;
      const reason = (err as Error).message;
      try {
        await rename(this.file, aside);
        this.logger.error({ file: this.file, movedTo: aside, reason }, 'checkpoint file is corrupt; moved aside, files are read again per start_at');
      } catch (renameErr) {
        this.logger.error(
          { file: this.file, reason, renameError: (renameErr as Error).message },
          'checkpoint file is corrupt and could not be moved aside (the next save replaces it); files are read again per start_at',
        );
      }
      return {};
    }
  }

  /** Never throws: a failure is logged (once per run of failures) and counted, and the next save retries. */
  async save(data: CheckpointData): Promise<void> {
    try {
      await writeFileAtomic(this.file, JSON.stringify({ version: VERSION, inputs: data }));
      this.faults.succeeded('save');
    } catch (err) {
      this.faults.failed('save', err);
    }
  }
}

const NUMBER_FIELDS = ['dev', 'ino', 'fp_len', 'fp_crc', 'generation', 'offset', 'mtime_ms'] as const;

/**
 * Entries with an impossible resume point (an offset that is not a whole
 * number of bytes from the start, an `fp_final` that is not a boolean) are
 * kept for their file's identity but resume at offset 0: read again, never skipped.
 */
function parse(text: string, invalid: (where: string, problem: string) => void): CheckpointData {
  const doc = JSON.parse(text) as { version?: unknown; inputs?: unknown };
  if (doc.version !== VERSION) throw new Error(`unsupported checkpoint version ${String(doc.version)}`);
  if (typeof doc.inputs !== 'object' || doc.inputs === null) throw new Error('no "inputs" object');
  const out: CheckpointData = {};
  for (const [input, entries] of Object.entries(doc.inputs)) {
    if (!Array.isArray(entries)) throw new Error(`inputs.${input} is not a list`);
    out[input] = entries.map((e: Record<string, unknown>, i) => {
      for (const k of NUMBER_FIELDS) {
        if (typeof e[k] !== 'number' || !Number.isFinite(e[k])) throw new Error(`inputs.${input}[${i}].${k} is not a number`);
      }
      if (typeof e.path !== 'string' || typeof e.key !== 'string') throw new Error(`inputs.${input}[${i}] lacks path or key`);
      const entry = e as unknown as CheckpointEntry;
      const where = `inputs.${input}[${i}] (${entry.path})`;
      if (!Number.isSafeInteger(entry.offset) || entry.offset < 0) {
        invalid(where, `offset ${entry.offset} is not a byte offset`);
        return { ...entry, offset: 0 };
      }
      if (typeof e.fp_final !== 'boolean') {
        invalid(where, `fp_final ${JSON.stringify(e.fp_final)} is not true or false`);
        return { ...entry, fp_final: false, offset: 0 };
      }
      return entry;
    });
  }
  return out;
}
