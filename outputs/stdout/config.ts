import { z } from 'zod';
import { outputFields } from '../../src/config/output-fields.js';

export const stdoutOutputSchema = z.strictObject({
  name: outputFields.name,
  type: z.literal('stdout').describe('`stdout`: NDJSON on standard output, for debugging and pipes.'),
  inputs: outputFields.inputs,
  buffer: outputFields.buffer,
  readiness: outputFields.readiness,
});

export type StdoutOutputConfig = z.output<typeof stdoutOutputSchema>;
