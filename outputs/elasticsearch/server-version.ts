import type { Client } from '@elastic/elasticsearch';
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
export async function detectDialect(client: Client, apiVersion: 'auto' | 7 | 8 | 9): Promise<ServerDialect> {
  if (apiVersion !== 'auto') return dialectFor(apiVersion, `${apiVersion} (configured)`);
  let body: unknown;
  try {
    ({ body } = await client.transport.request({ method: 'GET', path: '/' }, { headers: PLAIN, meta: true }));
  } catch (err) {
    throw new Error(`cannot read the server version (GET /): ${describeRequestError(err).reason}`, { cause: err });
  }
  const number = (body as { version?: { number?: unknown } } | null)?.version?.number;
  const major = typeof number === 'string' ? Number.parseInt(number, 10) : NaN;
  if (!(major >= 7)) throw new Error(`GET / did not report an Elasticsearch version of 7 or later (version.number: ${JSON.stringify(number)})`);
  return dialectFor(major, number as string);
}
