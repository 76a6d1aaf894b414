import type { EsHttpClient, HttpResponse } from './http-client.js';
import { ProductNotSupportedError } from './http-errors.js';
import { describeRequestError } from './response.js';

/** What the cluster accepts: the 9.x client's default `compatible-with=9` media types are refused by an 8.x server. */
export interface ServerDialect {
  readonly major: number;
  /** `8.15.0`, or `8 (configured)` when api_version skipped the question. */
  readonly version: string;
  /** Media types for `_bulk` (and JSON requests) that this major accepts. */
  readonly bulkHeaders: Readonly<Record<string, string>>;
  readonly jsonHeaders: Readonly<Record<string, string>>;
}

/** Plain JSON is accepted by every version (the client's default content-type would say compatible-with=9). */
const PLAIN = { accept: 'application/json', 'content-type': 'application/json' };

export function dialectFor(major: number, version: string): ServerDialect {
  // 7.x predates the versioned media types of the 8.x+ clients; plain ones mean "this version".
  if (major < 8) {
    return { major, version, bulkHeaders: { accept: 'application/json', 'content-type': 'application/x-ndjson' }, jsonHeaders: { accept: 'application/json', 'content-type': 'application/json' } };
  }
  return {
    major,
    version,
    bulkHeaders: {
      accept: `application/vnd.elasticsearch+json; compatible-with=${major}`,
      'content-type': `application/vnd.elasticsearch+x-ndjson; compatible-with=${major}`,
    },
    jsonHeaders: {
      accept: `application/vnd.elasticsearch+json; compatible-with=${major}`,
      'content-type': `application/vnd.elasticsearch+json; compatible-with=${major}`,
    },
  };
}

/** `GET /`, with media types any version takes, to learn the major version. */
export async function detectDialect(client: EsHttpClient, apiVersion: 'auto' | 7 | 8 | 9): Promise<ServerDialect> {
  if (apiVersion !== 'auto') return dialectFor(apiVersion, `${apiVersion} (configured)`);
  let answer: HttpResponse;
  try {
    // The product header is read here, not by the client: an answer without it may still name an old Elasticsearch.
    answer = await client.request({ method: 'GET', path: '/', headers: PLAIN, productCheck: false });
    if (answer.headers['x-elastic-product'] !== 'Elasticsearch') {
      const old = oldElasticsearchVersion(answer.body);
      if (old !== undefined) throw unsupported(old);
      throw new ProductNotSupportedError({ statusCode: answer.statusCode, body: answer.body });
    }
  } catch (err) {
    if (err instanceof UnsupportedVersionError) throw err;
    throw new Error(`cannot read the server version (GET /): ${describeRequestError(err).reason}`, { cause: err });
  }
  const number = (answer.body as { version?: { number?: unknown } } | null)?.version?.number;
  const major = typeof number === 'string' ? Number.parseInt(number, 10) : NaN;
  if (major < 7) throw unsupported(number as string);
  if (!(major >= 7)) throw new Error(`GET / did not report an Elasticsearch version of ${MINIMUM} or later (version.number: ${JSON.stringify(number)})`);
  return dialectFor(major, number as string);
}

/** ES sends `X-Elastic-Product` since 7.14; the product check (kept from the official client) needs it. */
const MINIMUM = '7.14';

class UnsupportedVersionError extends Error {}

function unsupported(version: string): Error {
  return new UnsupportedVersionError(`Elasticsearch ${version} is not supported: ${MINIMUM} or later is needed (earlier versions send no X-Elastic-Product header, which the output requires)`);
}

/**
 * For an answer without the product header: the version an Elasticsearch
 * older than 7.14 reports, so the error can name it; undefined for anything
 * else (another product, a proxy).
 */
function oldElasticsearchVersion(body: unknown): string | undefined {
  const root = body as { version?: { number?: unknown }; tagline?: unknown } | null;
  const number = typeof root === 'object' ? root?.version?.number : undefined;
  // ES's own tagline: OpenSearch and others answer GET / with a version too.
  if (root?.tagline !== 'You Know, for Search' || typeof number !== 'string') return undefined;
  const [major, minor] = number.split('.').map(Number);
  return major! < 7 || (major === 7 && minor! < 14) ? number : undefined;
}
