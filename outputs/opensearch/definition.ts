import { defineOutput } from '../../src/output/contract.js';
import type { ElasticsearchOutputConfig } from '../elasticsearch/config.js';
import { elasticsearchOutput } from '../elasticsearch/definition.js';
import { opensearchOutputSchema } from './config.js';

export const opensearchOutput = defineOutput({
  type: 'opensearch',
  schema: opensearchOutputSchema,
  load: async () => (await import('./index.js')).createOpensearchOutput,
  // Batched as for Elasticsearch, from the same keys (batch, concurrency, index, data_stream). With server
  // ids the action line is shorter: counting the id is a slight overestimate.
  limits: (c) => elasticsearchOutput.limits(c as unknown as ElasticsearchOutputConfig),
});
