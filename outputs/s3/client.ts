/**
 * The S3 client as this output uses it: credentials from the SDK's default
 * chain or from files (re-read at every start), request checksums only where
 * S3 requires them (with the defaults some S3-compatible stores keep the
 * aws-chunked framing in the object), and no SDK retries: the delivery loop
 * retries from the buffer with its own backoff, unbounded.
 */
import { readFile } from 'node:fs/promises';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3OutputConfig } from './config.js';

export interface ConfiguredClient {
  readonly client: S3Client;
  /** Where the credentials come from, for the start-up log; never a secret. */
  readonly credentialSource: string;
}

export async function createS3Client(config: S3OutputConfig): Promise<ConfiguredClient> {
  const options: S3ClientConfig = {
    forcePathStyle: config.force_path_style,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { requestTimeout: config.request_timeout, connectionTimeout: config.request_timeout },
    ...(config.region !== undefined && { region: config.region }),
    ...(config.endpoint !== undefined && { endpoint: config.endpoint }),
  };
  const keys = config.credentials;
  if (keys === undefined) return withRegion({ client: new S3Client(options), credentialSource: 'the AWS SDK default chain' });
  const sessionToken = keys.session_token_file !== undefined ? await readSecret(keys.session_token_file) : undefined;
  options.credentials = {
    accessKeyId: await readSecret(keys.access_key_id_file),
    secretAccessKey: await readSecret(keys.secret_access_key_file),
    ...(sessionToken !== undefined && { sessionToken }),
  };
  return withRegion({ client: new S3Client(options), credentialSource: `static keys from ${keys.access_key_id_file}` });
}

/** Fails now, by name, when no region is configured anywhere, rather than with the SDK's bare "Region is missing" on the first upload. */
async function withRegion(configured: ConfiguredClient): Promise<ConfiguredClient> {
  try {
    await configured.client.config.region();
  } catch {
    configured.client.destroy();
    throw new Error('no region: set `region` in the output, or AWS_REGION or a region in the shared AWS config');
  }
  return configured;
}

async function readSecret(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    // The path is not secret; the contents never reach a message.
    throw new Error(`cannot read the credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
