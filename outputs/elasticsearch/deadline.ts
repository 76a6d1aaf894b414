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
