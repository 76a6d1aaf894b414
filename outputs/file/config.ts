import { z } from 'zod';
import { outputFields } from '../../src/config/output-fields.js';
import { duration, HOUR } from '../../src/config/units.js';
import { nameTemplateProblem } from '../../src/output/name-template.js';
import { objectLayoutFields } from '../objects/layout-schema.js';

export const fileOutputSchema = z.strictObject({
  type: z.literal('file').describe('`file`: NDJSON objects (optionally gzip) in a local directory, fsynced; rolled over by size and age.'),
  ...outputFields,
  path: z.string().min(1).describe('Directory that receives the objects.'),
  ...objectLayoutFields('`<prefix><creation stamp>-<n>.ndjson[.gz]`'),
  sync_interval: duration({ min: 10, max: 1 * HOUR }).default(1000).describe('How often written data is fsynced; events count as delivered (and are checkpointed) only after their fsync.'),
}).superRefine((c, ctx) => {
  const problem = nameTemplateProblem(c.prefix, 'object-key', c.inputs);
  if (problem) ctx.addIssue({ code: 'custom', path: ['prefix'], message: problem });
});

export type FileOutputConfig = z.output<typeof fileOutputSchema>;
