/**
 * The `s3` output: the object core (outputs/objects/) over S3 objects; see
 * object-output.ts for routing, rollover and when durability is reported,
 * s3-objects.ts for uploads and keys, request-errors.ts for what a failure means.
 */
import type { OutputContext, OutputFactory } from '../../src/output/contract.js';
import { ObjectOutput } from '../objects/object-output.js';
import type { S3OutputConfig } from './config.js';
import { S3ObjectBackend } from './s3-objects.js';
import { journalPath } from './upload-journal.js';
import { writerIdPath } from './writer-id.js';

export interface S3OutputOptions {
  /** The clock for object ages; tests pin it. */
  readonly now?: () => number;
}

/**
 * An S3 object is durable only once uploaded, so a sync between uploads has
 * nothing to make durable; the timer still runs this often to close objects
 * past `object.max_age`.
 */
const SYNC_INTERVAL_MS = 1000;

export const createS3Output = ((config: S3OutputConfig & { name: string }, ctx: OutputContext, options: S3OutputOptions = {}) => {
  const label = `s3 output "${config.name}"`;
  return new ObjectOutput(config.name, ctx, {
    ...options,
    label,
    layout: config,
    backend: new S3ObjectBackend({
      label,
      config,
      writerIdFile: writerIdPath(ctx.stateDir, config.name),
      journalFile: journalPath(ctx.stateDir, config.name),
      logger: ctx.logger,
      counters: ctx.counters,
      ...(ctx.buffer !== undefined && { buffer: ctx.buffer }),
    }),
    syncInterval: SYNC_INTERVAL_MS,
  });
}) satisfies OutputFactory<S3OutputConfig>;
