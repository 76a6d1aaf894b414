/**
 * Classification of what Elasticsearch answered, per item and per request.
 *
 * Per item: 2xx → indexed; 409 on `create` → already delivered (our `_id` is
 * deterministic, so this is a retry or a restart meeting its own earlier
 * write); 400 (mapping and parsing errors: the document itself) → dead
 * letter, since sending it again would get the same answer; anything else
 * (429, 5xx, and 401/403/404 per item: privileges, a write block, a missing
 * index with auto-create off) → retried alone: the cluster, not the document,
 * is what has to change.
 * Per request: see batch-delivery.ts.
 */
import { hideUserinfo } from '../../src/config/secrets.js';

export type ItemOutcome = 'indexed' | 'duplicate' | 'retry' | 'dead_letter';

export interface ItemError {
  readonly status: number;
  readonly type: string;
  readonly reason: string;
}

export function classifyItem(status: number): ItemOutcome {
  if (status >= 200 && status < 300) return 'indexed';
  if (status === 409) return 'duplicate';
  if (status === 400) return 'dead_letter';
  return 'retry';
}

/** One bulk response, read positionally: item i answers document i of the request. */
export interface BulkAnswer {
  /** Per item; undefined entries are 2xx (errors: false needs no per-item look). */
  readonly statuses: readonly number[] | undefined;
  readonly errors: readonly (ItemError | undefined)[] | undefined;
}

/**
 * Reads `{ errors, items: [{ create: { status, error } }] }`. A body that is
 * not that shape, or has another item count, is a request failure: nothing in
 * it can be trusted per item.
 */
export function readBulkResponse(body: unknown, sent: number): BulkAnswer {
  if (typeof body !== 'object' || body === null) throw new BulkResponseError(`the bulk response is not JSON (got ${typeof body})`);
  const { errors, items } = body as { errors?: unknown; items?: unknown };
  if (typeof errors !== 'boolean') throw new BulkResponseError('the bulk response has no "errors" flag');
  if (!Array.isArray(items) || items.length !== sent) {
    throw new BulkResponseError(`the bulk response has ${Array.isArray(items) ? items.length : 'no'} items for ${sent} documents sent`);
  }
  if (!errors) return { statuses: undefined, errors: undefined };
  const statuses = new Array<number>(sent);
  const itemErrors = new Array<ItemError | undefined>(sent);
  for (let i = 0; i < sent; i++) {
    const item = items[i] as Record<string, { status?: unknown; error?: unknown } | undefined> | null;
    const result = item && (item.create ?? item.index ?? Object.values(item)[0]);
    const status = typeof result?.status === 'number' ? result.status : 0;
    statuses[i] = status;
    if (status < 200 || status >= 300) itemErrors[i] = readItemError(status, result?.error);
  }
  return { statuses, errors: itemErrors };
}

export class BulkResponseError extends Error {}

function readItemError(status: number, error: unknown): ItemError {
  if (status === 0) return { status, type: 'invalid_response', reason: 'the bulk response item has no status' };
  if (typeof error === 'object' && error !== null) {
    const e = error as { type?: unknown; reason?: unknown; caused_by?: { type?: unknown; reason?: unknown } };
    const cause = e.caused_by && typeof e.caused_by.reason === 'string' ? ` (caused by ${String(e.caused_by.type)}: ${e.caused_by.reason})` : '';
    return { status, type: String(e.type ?? 'unknown'), reason: `${String(e.reason ?? '')}${cause}` };
  }
  return { status, type: 'unknown', reason: typeof error === 'string' ? error : `status ${status}` };
}

export interface RequestFailure {
  /** HTTP status when the server answered. */
  readonly status: number | undefined;
  /** What happened, safe to log (no credentials). */
  readonly reason: string;
  /** 413: the body was too large; split the request rather than send it again. */
  readonly tooLarge: boolean;
}

/** What a failed request (a thrown client error) means; every one of them is retried. */
export function describeRequestError(err: unknown): RequestFailure {
  const e = err as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown } };
  const status = e.name === 'ResponseError' ? e.meta?.statusCode : undefined;
  let reason: string;
  if (err instanceof BulkResponseError) reason = err.message;
  else if (status !== undefined) {
    const body = e.meta?.body as { error?: { type?: unknown; reason?: unknown } | string; message?: unknown } | string | undefined;
    const error = typeof body === 'object' && body !== null ? body.error : undefined;
    // AWS's own refusals (a bad SigV4 signature, a missing IAM permission) say why in `message`.
    const awsMessage = typeof body === 'object' && body !== null && typeof body.message === 'string' ? body.message : undefined;
    const detail =
      awsMessage !== undefined && error === undefined
        ? awsMessage
        : typeof error === 'object' && error !== null
        ? `${String(error.type)}: ${String(error.reason)}`
        : typeof error === 'string'
          ? error
          : typeof body === 'string'
            ? textSummary(body)
            : '';
    reason = `HTTP ${status}${detail ? ` ${detail}` : ''}`;
  } else if (e.name === 'ProductNotSupportedError') {
    reason = 'the server did not identify as Elasticsearch (no X-Elastic-Product header)';
  } else {
    reason = `${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
  }
  return { status, reason: withoutUserinfo(reason).slice(0, 1000), tooLarge: status === 413 };
}

/**
 * A body that is not ES's JSON (a proxy's error page), on one short line:
 * `(HTML: <its title>)`, or its first words.
 */
function textSummary(body: string): string {
  const head = body.slice(0, 4096);
  const title = /<title>([^<]*)<\/title>/i.exec(head)?.[1];
  const text = (title ?? head.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 200);
  return text === '' ? '' : title !== undefined ? `(HTML: ${text})` : `(${text})`;
}

/**
 * A node URL may carry `user:password@` (a password may hold `@` or spaces);
 * a message never does. With a scheme the whole authority's userinfo goes;
 * hideUserinfo also catches scheme-less `user:pass@host` and passwords holding `/ # ?`.
 */
export function withoutUserinfo(text: string): string {
  return hideUserinfo(text.replace(/\/\/[^/?#]*@/g, '//[redacted]@'));
}
