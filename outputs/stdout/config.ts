import { z } from 'zod';

export const stdoutOutputSchema = z.strictObject({
  name: z.string().min(1).optional(),
  type: z.literal('stdout'),
  inputs: z.array(z.string().min(1)).min(1).optional(),
});

export type StdoutOutputConfig = z.output<typeof stdoutOutputSchema>;
