import { defineOutput } from '../../src/output/contract.js';
import { actionLineBytes } from '../elasticsearch/target.js';
import { opensearchOutputSchema } from './config.js';

export const opensearchOutput = defineOutput({
  type: 'opensearch',
  schema: opensearchOutputSchema,
  load: async () => (await import('./index.js')).createOpensearchOutput,
  limits: (c) => ({
    maxEvents: c.batch.max_events,
    maxBytes: c.batch.max_bytes,
    lingerMs: c.batch.timeout,
    idleGapMs: c.batch.idle_gap,
    inFlight: c.concurrency,
    // Server ids make the action line shorter: counting the id is a slight overestimate.
    recordOverhead: actionLineBytes(c),
  }),
});
