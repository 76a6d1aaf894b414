import type { Client } from '@opensearch-project/opensearch';
import { describeRequestError } from '../elasticsearch/response.js';
import { requestWithin } from './request.js';

export interface ServerInfo {
  /** `2.19.1`, or why it was not asked. */
  readonly version: string;
}

/**
 * `GET /` at start: the credentials work and the server is OpenSearch (data
 * streams, which every OpenSearch has since 1.0, and no `_type`). Serverless
 * has no root endpoint, so there is nothing to ask.
 */
export async function readServerInfo(client: Client, timeoutMs: number): Promise<ServerInfo> {
  let root: unknown;
  try {
    root = await requestWithin(client, timeoutMs, { method: 'GET', path: '/' });
  } catch (err) {
    throw new Error(`cannot read the server version (GET /): ${describeRequestError(err).reason}`, { cause: err });
  }
  const version = (root as { version?: { number?: unknown; distribution?: unknown } } | null)?.version;
  // With compatibility.override_main_response_version OpenSearch reports 7.10.2, but still its distribution.
  if (version?.distribution !== 'opensearch' || typeof version.number !== 'string') {
    throw new Error(
      `GET / did not report an OpenSearch distribution (version: ${JSON.stringify(version ?? null)}); for Elasticsearch use an output of type: elasticsearch`,
    );
  }
  return { version: version.number };
}
