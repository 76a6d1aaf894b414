import { defineOutput } from '../../src/output/contract.js';
import { elasticsearchOutputSchema } from './config.js';
import { actionLineBytes } from './target.js';

export const elasticsearchOutput = defineOutput({
  type: 'elasticsearch',
  schema: elasticsearchOutputSchema,
  load: async () => (await import('./index.js')).createElasticsearchOutput,
  limits: (c) => ({
    maxEvents: c.batch.max_events,
    maxBytes: c.batch.max_bytes,
    lingerMs: c.batch.timeout,
    idleGapMs: c.batch.idle_gap,
    inFlight: c.concurrency,
    recordOverhead: actionLineBytes(c),
    // The batch, and its _bulk body in a pooled buffer rounded up by a quarter (index.ts).
    heldPerByte: 2.25,
  }),
});
