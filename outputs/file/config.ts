import { z } from 'zod';
import { bufferOverrideSchema } from '../../src/config/buffer-schema.js';
import { safeName } from '../../src/config/names.js';
import { DAY, duration, HOUR, size, TiB } from '../../src/config/units.js';
import { compileStrftime } from '../../src/util/strftime.js';

export const fileOutputSchema = z.strictObject({
  name: safeName().optional(),
  type: z.literal('file'),
  inputs: z.array(z.string().min(1)).min(1).optional(),
  /** This output's buffer, over the top-level `buffer` settings. */
  buffer: bufferOverrideSchema.optional(),
  /** Directory that receives the objects. */
  path: z.string().min(1),
  /** strftime pattern (UTC, from each event's @timestamp) placed before the object name, e.g. `%Y/%m/%d/`. */
  prefix: z
    .string()
    .default('')
    .superRefine((pattern, ctx) => {
      try {
        compileStrftime(pattern);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  compression: z.enum(['none', 'gzip']).default('none'),
  object: z
    .strictObject({
      max_bytes: size({ min: 100, max: 1 * TiB }).default(64 * 1024 * 1024),
      max_age: duration({ min: 100, max: 7 * DAY }).default(5 * 60_000),
    })
    .prefault({}),
  /** How often written data is fsynced; a batch counts as handed off only after its fsync. */
  sync_interval: duration({ min: 10, max: 1 * HOUR }).default(1000),
});

export type FileOutputConfig = z.output<typeof fileOutputSchema>;
