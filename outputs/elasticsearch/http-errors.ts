/**
 * The errors the HTTP client throws, named as the official client names them
 * (`ResponseError` with `meta.statusCode` and `meta.body`, `ConnectionError`,
 * `ProductNotSupportedError`): response.ts classifies by these names, and
 * messages in logs and docs keep their meaning.
 */

/** The server answered with a status of 400 or more. */
export class ResponseError extends Error {
  override readonly name = 'ResponseError';
  constructor(readonly meta: { readonly statusCode: number; readonly body: unknown; readonly headers: Readonly<Record<string, string | string[] | undefined>> }) {
    super(`HTTP ${meta.statusCode}`);
  }
}

/** No complete answer: refused, reset, a body cut short, a TLS failure. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

/** A successful answer without `X-Elastic-Product: Elasticsearch` (something else answered). */
export class ProductNotSupportedError extends Error {
  override readonly name = 'ProductNotSupportedError';
  constructor(readonly meta: { readonly statusCode: number; readonly body: unknown }) {
    super('the server did not identify as Elasticsearch (no X-Elastic-Product header)');
  }
}

/** A body that says it is JSON and is not, or an answer larger than the client accepts. */
export class DeserializationError extends Error {
  override readonly name = 'DeserializationError';
}

/** No complete answer within the request's deadline (named like the official client's timeout). */
export class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}
