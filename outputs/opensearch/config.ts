import { z } from 'zod';
import { outputFields } from '../../src/config/output-fields.js';
import { elasticsearchOutputSchema } from '../elasticsearch/config.js';

/** What is configured exactly as for the Elasticsearch output (same meaning, same defaults). */
const shared = elasticsearchOutputSchema.shape;

const authSchema = z
  .strictObject({
    username: z.string().min(1).describe('Basic auth user (the security plugin\'s internal users or LDAP), with `password` or `password_file`.'),
    password: z.string().min(1).optional().describe('Basic auth password, inline (usually `${ENV_VAR}`).'),
    password_file: z.string().min(1).optional().describe('File holding the basic auth password (trimmed), read each time the output starts.'),
  })
  .refine((a) => (a.password === undefined) !== (a.password_file === undefined), { message: 'give exactly one of password or password_file' })
  .describe('Basic auth; for Amazon OpenSearch Service and Serverless use `aws` instead.');

const awsSchema = z
  .strictObject({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region such as eu-west-1').describe('The region of the domain or collection (`eu-west-1`).'),
    service: z
      .enum(['es', 'aoss'])
      .default('es')
      .describe('`es`: an Amazon OpenSearch Service domain; `aoss`: an OpenSearch Serverless collection.'),
    collection: z
      .enum(['time_series', 'search'])
      .default('time_series')
      .describe(
        'With `service: aoss`, the collection type. `time_series` collections refuse `create` with an `_id`, so documents get server ids there and a resent batch can be indexed twice (logged at start); `search` collections keep `_id` = event.id.',
      ),
  })
  .describe('Sign requests with AWS SigV4, credentials from the AWS default chain (environment, web identity / IRSA, ECS and EC2 roles, `~/.aws`).');

export const opensearchOutputSchema = z
  .strictObject({
    type: z.literal('opensearch').describe('`opensearch`: `_bulk` requests to OpenSearch, Amazon OpenSearch Service or Serverless (docs/outputs/opensearch.md).'),
    ...outputFields,
    hosts: shared.hosts,
    index: shared.index,
    data_stream: shared.data_stream,
    auth: authSchema.optional(),
    aws: awsSchema.optional(),
    tls: shared.tls,
    compression: shared.compression,
    batch: shared.batch,
    concurrency: shared.concurrency,
    request_timeout: shared.request_timeout,
    retry: shared.retry,
    dead_letter: shared.dead_letter,
  })
  .refine((cfg) => cfg.index === undefined || cfg.data_stream === undefined, {
    message: 'expected one of index (a name, with %Y.%m.%d patterns) or data_stream ({ type, dataset, namespace }), not both',
    when: (payload) => payload.value !== null && typeof payload.value === 'object',
  })
  .refine((cfg) => cfg.auth === undefined || cfg.aws === undefined, {
    message: 'expected one of auth (basic) or aws (SigV4), not both',
    when: (payload) => payload.value !== null && typeof payload.value === 'object',
  });

export type OpensearchOutputConfig = z.output<typeof opensearchOutputSchema>;

/** Serverless time-series collections do not support `_create` with an `_id` (the server picks it). */
export function usesServerIds(config: Pick<OpensearchOutputConfig, 'aws'>): boolean {
  return config.aws?.service === 'aoss' && config.aws.collection === 'time_series';
}
