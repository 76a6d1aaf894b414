import type { EsHttpClient } from './http-client.js';
import { readBulkResponse, type BulkAnswer } from './response.js';
import type { ServerDialect } from './server-version.js';

/** Per item only what classification needs: the status and, for failures, the error (ES drops the rest). */
const FILTER_PATH = 'errors,items.*.status,items.*.error';

export type SendBulk = (body: Buffer, count: number) => Promise<BulkAnswer>;

/**
 * One `_bulk` request with the body we built (not helpers.bulk: it drops
 * per-item 5xx and cannot say which documents a failed request held), sent
 * as it is. Throws on any request-level failure; the caller classifies and retries.
 */
export function bulkSender(client: EsHttpClient, dialect: ServerDialect): SendBulk {
  return async (body, count) => {
    const response = await client.request({ method: 'POST', path: '/_bulk', querystring: { filter_path: FILTER_PATH }, body, headers: dialect.bulkHeaders });
    return readBulkResponse(response.body, count);
  };
}
