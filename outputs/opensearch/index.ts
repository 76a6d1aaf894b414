/**
 * The `opensearch` output: the Elasticsearch output's delivery (per-item
 * classification, `create` with `_id` = event.id, 409 = already there, dead
 * letters, data streams, batches in flight acknowledged in order), with what
 * differs for OpenSearch here:
 *
 *   config.ts       basic auth or AWS SigV4 (`aws`) instead of API keys; no api_version
 *   client.ts       @opensearch-project/opensearch, with the aws-v3 signer and the AWS default chain
 *   server-info.ts  GET / must report the opensearch distribution (skipped on Serverless)
 *   request.ts      plain NDJSON `_bulk` (no versioned media types), one deadline per request
 *
 * Nothing sends `_type` (OpenSearch 2 refuses it). On Serverless time-series
 * collections, which refuse `create` with an `_id`, the server picks the ids.
 */
import type { Client } from '@opensearch-project/opensearch';
import { EVENT_ID_LENGTH } from '../../src/event/event-id.js';
import type { EventBatch, OutputContext, OutputFactory } from '../../src/output/contract.js';
import type { ElasticsearchOutputConfig } from '../elasticsearch/config.js';
import { BulkItems } from '../elasticsearch/encoding.js';
import { ElasticsearchOutput } from '../elasticsearch/index.js';
import { createClient } from './client.js';
import { usesServerIds, type OpensearchOutputConfig } from './config.js';
import { bulkSender } from './request.js';
import { readServerInfo } from './server-info.js';

type Config = OpensearchOutputConfig & { name: string };

/** OpenSearch (2.9+) refuses a bulk `_id` over 512 bytes; event ids are fixed-length hex, far below it. */
const MAX_ID_BYTES = 512;
if (EVENT_ID_LENGTH > MAX_ID_BYTES) throw new Error(`event ids (${EVENT_ID_LENGTH} bytes) exceed OpenSearch's _id limit of ${MAX_ID_BYTES} bytes`);

export const createOpensearchOutput = ((config: Config, ctx: OutputContext) => new OpensearchOutput(config, ctx)) satisfies OutputFactory<OpensearchOutputConfig>;

/** The keys of the config the Elasticsearch output's delivery reads: the same schema parts in both outputs (and `type`, which names its log lines). */
type DeliveryConfig = Pick<ElasticsearchOutputConfig, 'index' | 'data_stream' | 'dead_letter' | 'concurrency' | 'retry' | 'request_timeout'> & { name: string };

export class OpensearchOutput extends ElasticsearchOutput {
  private osClient: Client | undefined;
  private readonly serverIds: boolean;

  constructor(
    private readonly osConfig: Config,
    ctx: OutputContext,
  ) {
    const delivery: DeliveryConfig = osConfig;
    super(delivery as unknown as ElasticsearchOutputConfig & { name: string }, ctx);
    this.serverIds = usesServerIds(osConfig);
  }

  override async start(): Promise<void> {
    const { osConfig: config, ctx } = this;
    const client = await createClient(config, ctx.logger);
    this.osClient = client;
    const serverless = config.aws?.service === 'aoss';
    const version = serverless ? 'serverless' : (await readServerInfo(client, config.request_timeout)).version;
    if (this.serverIds) {
      ctx.logger.warn(
        { collection: config.aws!.collection },
        'OpenSearch Serverless time-series collection: documents get server-generated ids (it refuses create with an _id), so a batch sent again after a failure or a restart can be indexed twice; use a search collection (aws.collection: search) for exactly-once',
      );
    }
    ctx.logger.info({ version, target: this.target.pattern, dataStream: this.target.dataStream, ids: this.serverIds ? 'server' : 'event.id' }, 'opensearch output ready');
    this.delivery = this.deliveryOptions(bulkSender(client, config.request_timeout));
  }

  protected override bulkItems(batch: EventBatch): BulkItems {
    return new BulkItems(batch, this.target, this.serverIds);
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      await this.osClient?.close();
    }
  }
}
