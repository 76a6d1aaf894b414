import { z } from 'zod';
import { outputFields } from '../../src/config/output-fields.js';
import { DAY, duration, HOUR, size, TiB } from '../../src/config/units.js';
import { compileStrftime } from '../../src/util/strftime.js';

export const fileOutputSchema = z.strictObject({
  name: outputFields.name,
  type: z.literal('file').describe('`file`: NDJSON objects (optionally gzip) in a local directory, fsynced; rolled over by size and age.'),
  inputs: outputFields.inputs,
  buffer: outputFields.buffer,
  path: z.string().min(1).describe('Directory that receives the objects.'),
  prefix: z
    .string()
    .default('')
    .superRefine((pattern, ctx) => {
      try {
        compileStrftime(pattern);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .describe("strftime pattern (UTC, from each event's `@timestamp`: `%Y %y %m %d %j %F %H %M %S %T %s %%`) placed before the object name, e.g. `%Y/%m/%d/`."),
  compression: z.enum(['none', 'gzip']).default('none').describe('`gzip` writes `.ndjson.gz` objects, one gzip member per sync so a file is always decodable.'),
  object: z
    .strictObject({
      max_bytes: size({ min: 100, max: 1 * TiB }).default(64 * 1024 * 1024).describe('A new object is started once the current one holds this many bytes on disk (compressed, with gzip).'),
      max_age: duration({ min: 100, max: 7 * DAY }).default(5 * 60_000).describe('A new object is started once the current one is this old.'),
    })
    .prefault({})
    .describe('When an object is closed and the next one started (`<prefix><creation stamp>-<n>.ndjson[.gz]`).'),
  sync_interval: duration({ min: 10, max: 1 * HOUR }).default(1000).describe('How often written data is fsynced; events count as delivered (and are checkpointed) only after their fsync.'),
});

export type FileOutputConfig = z.output<typeof fileOutputSchema>;
