import { readFile } from 'node:fs/promises';
import type { Logger } from '../../src/log.js';
import type { ElasticsearchOutputConfig } from './config.js';
import { withoutUserinfo } from './response.js';

/** Node's TLS options from the `tls` section (shared by the Elasticsearch and OpenSearch outputs). */
export interface TlsFiles {
  rejectUnauthorized: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

/** The files are read at every start, so renewed certificates are picked up when the output is rebuilt. */
export async function readTlsFiles(tls: NonNullable<ElasticsearchOutputConfig['tls']>, hosts: readonly string[], logger: Logger): Promise<TlsFiles> {
  if (!tls.verify) {
    logger.warn(
      { hosts: hosts.map(withoutUserinfo) },
      'TLS CERTIFICATE VERIFICATION IS OFF (tls.verify: false): anyone on the path can read and alter what is sent, credentials included',
    );
  }
  return {
    rejectUnauthorized: tls.verify,
    ...(tls.ca_file !== undefined && { ca: await readFile(tls.ca_file) }),
    ...(tls.cert_file !== undefined && { cert: await readFile(tls.cert_file) }),
    ...(tls.key_file !== undefined && { key: await readFile(tls.key_file) }),
    ...(tls.server_name !== undefined && { servername: tls.server_name }),
  };
}

/** A secret from a file (trimmed), read at every start so a rotated one is picked up when the output is rebuilt. */
export async function readSecretFile(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    // The path is not secret; the contents never reach a message.
    throw new Error(`cannot read the secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
