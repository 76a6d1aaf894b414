import { stat } from 'node:fs/promises';
import { CheckpointStore } from '../checkpoint/store.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Env } from '../config/substitute.js';
import { positionsToCheckpoints } from '../convert/import-positions.js';
import { readPositions, type OldPosition } from '../convert/positions.js';
import { createLogger } from '../log.js';
import { printConfigError } from './validate.js';

/**
 * `logship convert --import-positions`: writes `checkpoints.json` under the
 * config's `buffer.path` from Fluentd pos_files and Fluent Bit tail DBs.
 * Refuses to replace checkpoints logship already wrote (they are newer)
 * unless `--force`, which replaces only the imported files' entries.
 * Every position is reported, imported or skipped with its reason.
 */
export async function importPositionsCommand(configPath: string, files: string[], force: boolean, env: Env): Promise<number> {
  let config;
  try {
    config = await loadConfig(configPath, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    printConfigError(err);
    return 1;
  }
  const positions: OldPosition[] = [];
  let failed = false;
  for (const file of files) {
    try {
      const read = await readPositions(file);
      positions.push(...read.positions);
      for (const s of read.skipped) process.stderr.write(`logship: skipped ${s}\n`);
    } catch (err) {
      process.stderr.write(`logship: cannot import ${file}: ${(err as Error).message}\n`);
      failed = true;
    }
  }
  if (failed) return 1;

  const store = new CheckpointStore(config.buffer.path, createLogger('error'));
  const existing = await stat(store.file).then(() => true, () => false);
  if (existing && !force) {
    process.stderr.write(`logship: ${store.file} exists: logship has run with this state directory and its positions are newer; --force replaces the entries of the imported files\n`);
    return 1;
  }
  const result = await positionsToCheckpoints(config.inputs, positions);
  for (const line of result.report) process.stdout.write(`${line}\n`);
  if (result.imported === 0) {
    process.stderr.write('logship: no position imported; checkpoints unchanged\n');
    return 1;
  }
  const merged = existing ? await store.load() : {};
  for (const [input, entries] of Object.entries(result.entries)) {
    const kept = (merged[input] ?? []).filter((old) => !entries.some((e) => e.dev === old.dev && e.ino === old.ino));
    merged[input] = [...kept, ...entries];
  }
  await store.save(merged);
  const errors = Object.keys(store.stats().writeErrors);
  if (errors.length > 0) {
    process.stderr.write(`logship: cannot write ${store.file} (${errors.join(', ')})\n`);
    return 1;
  }
  process.stdout.write(`${result.imported} position${result.imported === 1 ? '' : 's'} written to ${store.file}\n`);
  return 0;
}
