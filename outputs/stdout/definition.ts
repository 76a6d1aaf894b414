import { defineOutput, LOCAL_LIMITS } from '../../src/output/contract.js';
import { stdoutOutputSchema } from './config.js';

export const stdoutOutput = defineOutput({
  type: 'stdout',
  schema: stdoutOutputSchema,
  load: async () => (await import('./index.js')).createStdoutOutput,
  limits: () => LOCAL_LIMITS,
});
