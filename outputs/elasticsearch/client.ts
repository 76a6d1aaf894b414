import type { Logger } from '../../src/log.js';
import type { ElasticsearchOutputConfig } from './config.js';
import { readSecretFile, readTlsFiles } from './connection-files.js';
import { basicAuthorization } from './host-pool.js';
import { EsHttpClient, type HttpClientOptions } from './http-client.js';

/**
 * The output's HTTP client from its config: hosts, auth, TLS and gzip. It
 * has no retries of its own; they live in the output, with backoff.
 */
export async function createClient(config: ElasticsearchOutputConfig, logger: Logger): Promise<EsHttpClient> {
  const authorization = await readAuthorization(config.auth);
  const options: HttpClientOptions = {
    hosts: config.hosts,
    timeoutMs: config.request_timeout,
    compression: config.compression === 'gzip',
    ...(authorization !== undefined && { authorization }),
    // One request per batch in flight, plus the start's (GET /, templates) before any.
    maxSockets: config.concurrency,
    productCheck: 'Elasticsearch',
    ...(config.tls && { tls: await readTlsFiles(config.tls, config.hosts, logger) }),
  };
  return new EsHttpClient(options);
}

type AuthConfig = NonNullable<ElasticsearchOutputConfig['auth']>;

/** Secrets from files are read at every start, so a rotated secret is picked up when the output is rebuilt. */
async function readAuthorization(auth: AuthConfig | undefined): Promise<string | undefined> {
  if (!auth) return undefined;
  const secret = async (inline: string | undefined, file: string | undefined): Promise<string | undefined> => {
    if (inline !== undefined) return inline;
    return file === undefined ? undefined : readSecretFile(file);
  };
  const password = await secret(auth.password, auth.password_file);
  if (auth.username !== undefined && password !== undefined) return basicAuthorization(auth.username, password);
  const apiKey = await secret(auth.api_key, auth.api_key_file);
  if (apiKey !== undefined) return `ApiKey ${apiKey}`;
  const bearer = await secret(auth.bearer_token, auth.bearer_token_file);
  if (bearer !== undefined) return `Bearer ${bearer}`;
  return undefined;
}
