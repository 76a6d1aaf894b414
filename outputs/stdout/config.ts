import { z } from 'zod';
import { bufferOverrideSchema } from '../../src/config/buffer-schema.js';
import { safeName } from '../../src/config/names.js';

export const stdoutOutputSchema = z.strictObject({
  name: safeName().optional(),
  type: z.literal('stdout'),
  inputs: z.array(z.string().min(1)).min(1).optional(),
  /** This output's buffer, over the top-level `buffer` settings. */
  buffer: bufferOverrideSchema.optional(),
});

export type StdoutOutputConfig = z.output<typeof stdoutOutputSchema>;
