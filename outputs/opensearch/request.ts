import type { Client } from '@opensearch-project/opensearch';
import { readBulkResponse } from '../elasticsearch/response.js';
import type { SendBulk } from '../elasticsearch/request.js';

/** Per item only what classification needs: the status and, for failures, the error. */
const FILTER_PATH = 'errors,items.*.status,items.*.error';

/** A request that ran past request_timeout as a whole. */
export class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

type Params = Parameters<Client['transport']['request']>[0];

/**
 * One request with an overall deadline: the client's `requestTimeout` is a
 * socket idle timeout, so an answer trickled a few bytes at a time would hold
 * its batch for as long as the server (or a proxy) cares to take.
 */
export async function requestWithin(client: Client, timeoutMs: number, params: Params): Promise<unknown> {
  const pending = client.transport.request(params, { maxRetries: 0 });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    pending.abort();
  }, timeoutMs);
  try {
    return (await pending).body;
  } catch (err) {
    if (timedOut) throw new RequestTimeoutError(`no complete answer within request_timeout (${timeoutMs} ms)`, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One `_bulk` request with the body we built, as plain NDJSON (no versioned
 * media types: OpenSearch answers those 406). Throws on any request-level
 * failure; the shared batch delivery classifies and retries.
 */
export function bulkSender(client: Client, timeoutMs: number): SendBulk {
  return async (body, count) => {
    const answer = await requestWithin(client, timeoutMs, { method: 'POST', path: '/_bulk', querystring: { filter_path: FILTER_PATH }, bulkBody: body });
    return readBulkResponse(answer, count);
  };
}
