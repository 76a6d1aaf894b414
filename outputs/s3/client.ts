/**
 * The S3 client as this output uses it: credentials from the SDK's default
 * chain or from files (re-read at every start), request checksums only where
 * S3 requires them (with the defaults some S3-compatible stores keep the
 * aws-chunked framing in the object), no SDK retries (the delivery loop
 * retries from the buffer with its own backoff, unbounded), and sockets from
 * http-agents.ts (custom CA, `tls.verify`, proxies from the environment).
 */
import { readFile } from 'node:fs/promises';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3OutputConfig } from './config.js';
import { createS3Agents } from './http-agents.js';

export interface ConfiguredClient {
  readonly client: S3Client;
  /** Where the credentials come from, for the start-up log; never a secret. */
  readonly credentialSource: string;
  /** The proxies the environment names, for the start-up log, without credentials. */
  readonly proxies: { readonly http?: string; readonly https?: string };
  /** False when `tls.verify: false` turned certificate checks off. */
  readonly verifiesTls: boolean;
}

export async function createS3Client(config: S3OutputConfig): Promise<ConfiguredClient> {
  const { httpAgent, httpsAgent, proxies } = await createS3Agents(config.tls);
  const options: S3ClientConfig = {
    forcePathStyle: config.force_path_style,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { requestTimeout: config.request_timeout, connectionTimeout: config.request_timeout, httpAgent, httpsAgent },
    ...(config.region !== undefined && { region: config.region }),
    ...(config.endpoint !== undefined && { endpoint: config.endpoint }),
  };
  const about = { proxies, verifiesTls: config.tls?.verify ?? true };
  const keys = config.credentials;
  if (keys === undefined) return withRegion({ client: new S3Client(options), credentialSource: defaultChainSource(), ...about });
  const sessionToken = keys.session_token_file !== undefined ? await readSecret(keys.session_token_file) : undefined;
  options.credentials = {
    accessKeyId: await readSecret(keys.access_key_id_file),
    secretAccessKey: await readSecret(keys.secret_access_key_file),
    ...(sessionToken !== undefined && { sessionToken }),
  };
  return withRegion({ client: new S3Client(options), credentialSource: `static keys from ${keys.access_key_id_file}${sessionToken !== undefined ? ' with a session token' : ''}`, ...about });
}

/**
 * Which link of the SDK's default chain will answer, judged as the chain
 * does, from the environment alone (resolving it would call IMDS or STS at
 * start): an operator reading the start-up log learns whether the pod's
 * role (IRSA, Pod Identity) or stray keys in the environment are used.
 */
function defaultChainSource(env: NodeJS.ProcessEnv = process.env): string {
  const chain = 'the AWS SDK default chain';
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return `${chain}: environment keys (AWS_ACCESS_KEY_ID)`;
  if (env.AWS_PROFILE) return `${chain}: profile "${env.AWS_PROFILE}" of the shared config`;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) return `${chain}: web identity (IRSA), role ${env.AWS_ROLE_ARN}`;
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return `${chain}: container credentials (EKS Pod Identity or ECS)`;
  return `${chain}: shared config/credentials files, else the instance metadata service (IMDSv2)`;
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
