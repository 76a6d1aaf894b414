import { readFile } from 'node:fs/promises';
import { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../src/log.js';
import type { ElasticsearchOutputConfig } from './config.js';
import { withoutUserinfo } from './response.js';

/** The ESM entry of the client does not re-export its options type. */
type ClientOptions = ConstructorParameters<typeof Client>[0];

/**
 * The official client, used for what it is good at: connections, auth, TLS
 * and gzip. Its own retries are off (`maxRetries: 0`: it would re-send a 503
 * at once, without backoff) and every request has a timeout (it has none by
 * default); retries live in the output only.
 */
export async function createClient(config: ElasticsearchOutputConfig, logger: Logger): Promise<Client> {
  const options: ClientOptions = {
    nodes: config.hosts,
    maxRetries: 0,
    requestTimeout: config.request_timeout,
    compression: config.compression === 'gzip',
    auth: await readAuth(config.auth),
    // The default ('replace') deep-copies each error's request, body included: a gzipped 5 MiB body
    // becomes an object of a million keys per failed attempt. We log only the status and reason.
    redaction: { type: 'remove' },
  };
  if (config.tls) {
    const tls = config.tls;
    if (!tls.verify) {
      logger.warn(
        { hosts: config.hosts.map(withoutUserinfo) },
        'TLS CERTIFICATE VERIFICATION IS OFF (tls.verify: false): anyone on the path can read and alter what is sent, credentials included',
      );
    }
    options.tls = {
      rejectUnauthorized: tls.verify,
      ...(tls.ca_file !== undefined && { ca: await readFile(tls.ca_file) }),
      ...(tls.cert_file !== undefined && { cert: await readFile(tls.cert_file) }),
      ...(tls.key_file !== undefined && { key: await readFile(tls.key_file) }),
      ...(tls.server_name !== undefined && { servername: tls.server_name }),
    };
  }
  return new Client(options);
}

type AuthConfig = NonNullable<ElasticsearchOutputConfig['auth']>;

/** Secrets from files are read at every start, so a rotated secret is picked up when the output is rebuilt. */
async function readAuth(auth: AuthConfig | undefined): Promise<ClientOptions['auth']> {
  if (!auth) return undefined;
  const secret = async (inline: string | undefined, file: string | undefined): Promise<string | undefined> => {
    if (inline !== undefined) return inline;
    if (file === undefined) return undefined;
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (err) {
      // The path is not secret; the contents never reach a message.
      throw new Error(`cannot read the secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const password = await secret(auth.password, auth.password_file);
  if (auth.username !== undefined && password !== undefined) return { username: auth.username, password };
  const apiKey = await secret(auth.api_key, auth.api_key_file);
  if (apiKey !== undefined) return { apiKey };
  const bearer = await secret(auth.bearer_token, auth.bearer_token_file);
  if (bearer !== undefined) return { bearer };
  return undefined;
}
