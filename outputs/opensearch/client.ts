import { readFile } from 'node:fs/promises';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { Logger } from '../../src/log.js';
import { withoutUserinfo } from '../elasticsearch/response.js';
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
  if (config.tls) {
    const tls = config.tls;
    if (!tls.verify) {
      logger.warn(
        { hosts: config.hosts.map(withoutUserinfo) },
        'TLS CERTIFICATE VERIFICATION IS OFF (tls.verify: false): anyone on the path can read and alter what is sent, credentials included',
      );
    }
    options.ssl = {
      rejectUnauthorized: tls.verify,
      ...(tls.ca_file !== undefined && { ca: await readFile(tls.ca_file) }),
      ...(tls.cert_file !== undefined && { cert: await readFile(tls.cert_file) }),
      ...(tls.key_file !== undefined && { key: await readFile(tls.key_file) }),
      ...(tls.server_name !== undefined && { servername: tls.server_name }),
    };
  }
  return new Client(options);
}

/** Read at every start, so a rotated password file is picked up when the output is rebuilt. */
async function password(auth: NonNullable<OpensearchOutputConfig['auth']>): Promise<string> {
  if (auth.password !== undefined) return auth.password;
  try {
    return (await readFile(auth.password_file!, 'utf8')).trim();
  } catch (err) {
    // The path is not secret; the contents never reach a message.
    throw new Error(`cannot read the secret file ${auth.password_file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
