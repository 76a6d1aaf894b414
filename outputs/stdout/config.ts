import { z } from 'zod';
import { outputFields } from '../../src/config/output-fields.js';

export const stdoutOutputSchema = z.strictObject({
  type: z.literal('stdout').describe('`stdout`: NDJSON on standard output, for debugging and pipes.'),
  ...outputFields,
});

export type StdoutOutputConfig = z.output<typeof stdoutOutputSchema>;
