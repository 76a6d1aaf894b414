/**
 * What a failed S3 request means for the output. Either way the output fails
 * and the delivery loop rebuilds it with backoff, replaying from the buffer
 * (nothing is acknowledged before S3 confirmed it); the kind only decides
 * what the error says: a configuration problem names the bucket and what to
 * fix, a transient one says it will be retried.
 */

export type S3FailureKind = 'configuration' | 'transient';

/** Error codes (the S3 `Code`, which the SDK uses as the error's name) that no retry will fix without a change. */
const CONFIGURATION_REASONS: Readonly<Record<string, string>> = {
  NoSuchBucket: 'the bucket does not exist',
  AccessDenied: 'access denied: the credentials lack permission for this request (see the minimal IAM policy in docs/outputs/s3.md)',
  AllAccessDisabled: 'all access to the bucket is disabled',
  InvalidAccessKeyId: 'the access key id is not known to the server',
  SignatureDoesNotMatch: 'the secret access key does not match the access key id',
  ExpiredToken: 'the session token has expired',
  InvalidToken: 'the session token is malformed or not valid',
  TokenRefreshRequired: 'the session token must be refreshed',
  AuthorizationHeaderMalformed: 'the request was signed for another region (check `region`)',
  PermanentRedirect: 'the bucket is in another region or must be addressed differently (check `region`, `endpoint`, `force_path_style`)',
  InvalidBucketName: 'the bucket name is not valid',
  CredentialsProviderError: "no credentials found: give `credentials` or configure the SDK's default chain",
};

/** Network failures of the socket, as Node names them. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

export class S3RequestError extends Error {
  constructor(
    message: string,
    readonly kind: S3FailureKind,
    /** The S3 error code, the network error code or the SDK error name, e.g. `NoSuchBucket`, `ECONNREFUSED`, `TimeoutError`. */
    readonly reason: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'S3RequestError';
  }
}

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The reason a request failed: the S3 code, else the socket's code, else the error's name. */
export function failureReason(err: unknown): { reason: string; status: number | undefined } {
  const e = (err ?? {}) as SdkErrorShape;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const name = typeof e.name === 'string' ? e.name : undefined;
  // Socket errors come through the SDK with their Node code (the name is then `Error` or `TimeoutError`).
  if (code !== undefined && NETWORK_CODES.has(code)) return { reason: code, status };
  return { reason: name !== undefined && name !== 'Error' ? name : (code ?? 'UnknownError'), status };
}

export function classify(reason: string, status: number | undefined): S3FailureKind {
  if (reason in CONFIGURATION_REASONS) return 'configuration';
  // 403 and 404 without a known code (a HEAD-less PUT rarely sees them) are not going to heal by themselves either.
  if (status === 403 || status === 404) return 'configuration';
  return 'transient';
}

/**
 * Wraps a failed request to `bucket` (`op` with the object's key) into one
 * error naming the bucket, the request and the reason.
 */
export function s3RequestError(label: string, bucket: string, op: string, key: string, err: unknown): S3RequestError {
  const { reason, status } = failureReason(err);
  const kind = classify(reason, status);
  const statusText = status !== undefined ? ` (HTTP ${status})` : '';
  const detail = typeof (err as SdkErrorShape | null)?.message === 'string' ? (err as { message: string }).message : String(err);
  const message =
    kind === 'configuration'
      ? `${label}: bucket "${bucket}": ${reason}${statusText}: ${CONFIGURATION_REASONS[reason] ?? detail} (${op} ${key})`
      : `${label}: ${op} ${key} to bucket "${bucket}" failed: ${reason}${statusText}: ${detail}; retried from the buffer`;
  return new S3RequestError(message, kind, reason, { cause: err });
}
