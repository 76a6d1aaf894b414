import { defineOutput, LOCAL_LIMITS } from '../../src/output/contract.js';
import { fileOutputSchema } from './config.js';

export const fileOutput = defineOutput({
  type: 'file',
  schema: fileOutputSchema,
  load: async () => (await import('./index.js')).createFileOutput,
  limits: () => LOCAL_LIMITS,
});
