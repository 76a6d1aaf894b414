/**
 * The `file` output: the object core (outputs/objects/) over local files,
 * fsynced every `sync_interval`; see object-output.ts for routing, rollover
 * and when durability is reported, local-objects.ts for the files.
 */
import type { OutputContext, OutputFactory } from '../../src/output/contract.js';
import { ObjectOutput } from '../objects/object-output.js';
import type { FileOutputConfig } from './config.js';
import { LocalObjectBackend } from './local-objects.js';

export interface FileOutputOptions {
  /** The clock for object stamps and ages; tests pin it. */
  readonly now?: () => number;
  readonly maxOpenObjects?: number;
}

export const createFileOutput = ((config: FileOutputConfig & { name: string }, ctx: OutputContext, options: FileOutputOptions = {}) => {
  const label = `file output "${config.name}"`;
  return new ObjectOutput(config.name, ctx, {
    ...options,
    label,
    layout: config,
    backend: new LocalObjectBackend(label, config.path),
    syncInterval: config.sync_interval,
  });
}) satisfies OutputFactory<FileOutputConfig>;
