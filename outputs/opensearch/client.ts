import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { Logger } from '../../src/log.js';
import { readSecretFile, readTlsFiles } from '../elasticsearch/connection-files.js';
import type { OpensearchOutputConfig } from './config.js';

/**
 * The OpenSearch client (the official Elasticsearch client refuses OpenSearch:
 * its product check wants `X-Elastic-Product`, and OpenSearch answers 406 to
 * its `compatible-with` media types). Used for connections, auth, TLS and
 * gzip; its own retries are off, the output retries with backoff.
 */
export async function createClient(config: OpensearchOutputConfig, logger: Logger): Promise<Client> {
  const options: ClientOptions = {
    nodes: config.hosts,
    maxRetries: 0,
    requestTimeout: config.request_timeout,
    ...(config.compression === 'gzip' && { compression: 'gzip' as const }),
    ...(config.auth && { auth: { username: config.auth.username, password: await password(config.auth) } }),
    ...(config.aws &&
      AwsSigv4Signer({
        region: config.aws.region,
        service: config.aws.service,
        // The AWS default chain: env, web identity (IRSA), SSO, ~/.aws, ECS and EC2 instance roles; it caches and refreshes.
        getCredentials: fromNodeProviderChain(),
      })),
  };
  if (config.tls) options.ssl = await readTlsFiles(config.tls, config.hosts, logger);
  return new Client(options);
}

/** Read at every start, so a rotated password file is picked up when the output is rebuilt. */
async function password(auth: NonNullable<OpensearchOutputConfig['auth']>): Promise<string> {
  return auth.password ?? readSecretFile(auth.password_file!);
}
