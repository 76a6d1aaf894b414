import { defineOutput, LOCAL_LIMITS } from '../../src/output/contract.js';
import { s3OutputSchema } from './config.js';

export const s3Output = defineOutput({
  type: 's3',
  schema: s3OutputSchema,
  load: async () => (await import('./index.js')).createS3Output,
  // A write only appends to an object in memory; the upload happens when a part fills or the object closes.
  limits: () => LOCAL_LIMITS,
});
