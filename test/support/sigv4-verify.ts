// AWS Signature Version 4, checked the way the service does it, written from the AWS spec
// ("Create a signed AWS API request", docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
// with node:crypto only: an independent check of the client's signer (aws4), not a second copy of it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SigV4Key {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: 'es' | 'aoss';
}

export interface SignedRequest {
  method: string;
  /** The path and query as sent (`/_bulk?filter_path=…`). */
  url: string;
  /** Lower-case names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The body bytes as sent (compressed, when they were). */
  body: Buffer;
}

/** Why the request is refused, worded like AWS; undefined when the signature is good. */
export function sigV4Problem(req: SignedRequest, key: SigV4Key, now = Date.now()): string | undefined {
  const authorization = header(req, 'authorization');
  if (authorization === undefined) return 'Missing Authentication Token';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!m) return `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' (got ${authorization.slice(0, 40)}…)`;
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = m as unknown as [string, string, string, string, string, string, string];
  if (accessKeyId !== key.accessKeyId) return 'The security token included in the request is invalid.';
  if (region !== key.region || service !== key.service) return `Credential should be scoped to a valid region and service ('${key.region}/${key.service}'), not '${region}/${service}'.`;
  const amzDate = header(req, 'x-amz-date');
  if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) return 'Missing or malformed X-Amz-Date.';
  const at = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs(now - at) > 5 * 60_000) return 'Signature expired: the request time is more than 5 minutes from the server time.';
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return "'Host' must be a signed header.";
  const payloadHash = sha256Hex(req.body);
  const claimed = header(req, 'x-amz-content-sha256');
  if (claimed !== undefined && claimed !== payloadHash) return 'The provided x-amz-content-sha256 header does not match what was computed.';

  const [path, query = ''] = req.url.split('?', 2) as [string, string?];
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [req.method, canonicalUri(path), canonicalQuery(query), canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonicalRequest))].join('\n');
  let signingKey = hmac(`AWS4${key.secretAccessKey}`, date);
  for (const part of [region, service, 'aws4_request']) signingKey = hmac(signingKey, part);
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
  }
  return undefined;
}

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as the spec asks. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Non-S3 services: each segment of the normalized path is URI-encoded twice. */
function canonicalUri(path: string): string {
  return path
    .split('/')
    .map((seg) => uriEncode(uriEncode(decodeURIComponent(seg))))
    .join('/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const k = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      return [uriEncode(k), uriEncode(v)] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}
