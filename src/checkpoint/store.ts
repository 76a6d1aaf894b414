import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { CheckpointEntry } from './entry.js';

export type CheckpointData = Record<string, CheckpointEntry[]>;

const VERSION = 1;

/**
 * The checkpoint file: written to a temp file, fsynced, renamed over the old
 * one, and the directory fsynced, so a crash leaves either the old or the new
 * file, never a torn one.
 */
export class CheckpointStore {
  readonly file: string;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.file = join(dir, 'checkpoints.json');
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
      return parse(text);
    } catch (err) {
      // Unreadable state must not stop the shipper: keep the bad file for a human, start over (duplicates, not loss).
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside).catch(() => {});
      this.logger.error({ file: this.file, movedTo: aside, reason: (err as Error).message }, 'checkpoint file is corrupt; moved aside, files are read again per start_at');
      return {};
    }
  }

  async save(data: CheckpointData): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify({ version: VERSION, inputs: data }));
  }
}

const NUMBER_FIELDS = ['dev', 'ino', 'fp_len', 'fp_crc', 'generation', 'offset', 'mtime_ms'] as const;

function parse(text: string): CheckpointData {
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
      return e as unknown as CheckpointEntry;
    });
  }
  return out;
}
