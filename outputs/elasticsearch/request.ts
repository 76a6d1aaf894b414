import type { Client } from '@elastic/elasticsearch';
import { readBulkResponse, type BulkAnswer } from './response.js';
import type { ServerDialect } from './server-version.js';

/** Per item only what classification needs: the status and, for failures, the error (ES drops the rest). */
const FILTER_PATH = 'errors,items.*.status,items.*.error';

export type SendBulk = (body: Buffer, count: number) => Promise<BulkAnswer>;

/** A request that ran past request_timeout as a whole (named like the client's own timeout). */
export class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Runs `request` with an overall deadline. The client's `requestTimeout` is an
 * idle timeout (undici's headers and body timeouts): an answer trickled a few
 * bytes at a time never trips it, and would hold its batch for as long as the
 * server (or a proxy) cares to take.
 */
export async function withDeadline<T>(timeoutMs: number, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await request(signal);
  } catch (err) {
    if (signal.aborted) throw new RequestTimeoutError(`no complete answer within request_timeout (${timeoutMs} ms)`, { cause: err });
    throw err;
  }
}

/**
 * One `_bulk` request with the body we built (not helpers.bulk: it drops
 * per-item 5xx and cannot say which documents a failed request held).
 * Throws on any request-level failure; the caller classifies and retries.
 */
export function bulkSender(client: Client, dialect: ServerDialect, timeoutMs: number): SendBulk {
  return async (body, count) => {
    const response = await withDeadline(timeoutMs, (signal) =>
      client.transport.request(
        { method: 'POST', path: '/_bulk', querystring: { filter_path: FILTER_PATH }, bulkBody: body },
        // Per request too: the product check builds its error from these options only.
        { headers: { ...dialect.bulkHeaders }, maxRetries: 0, redaction: { type: 'remove' }, signal },
      ),
    );
    return readBulkResponse(response, count);
  };
}
