import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs, fullJitter } from '../../src/util/backoff.js';
import type { BufferPool } from '../../src/util/buffer-pool.js';
import type { DeadLetter, DeadLetterFile } from './dead-letter.js';
import type { BulkItems } from './encoding.js';
import type { Outcomes } from './outcomes.js';
import type { SendBulk } from './request.js';
import { classifyItem, describeRequestError, type ItemError } from './response.js';

export interface BatchDeliveryOptions {
  readonly send: SendBulk;
  readonly deadLetters: DeadLetterFile;
  readonly outcomes: Outcomes;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Items still answered 429/5xx this long after the batch's first refusal are dead-lettered; undefined = never. */
  readonly maxRetryMs: number | undefined;
  /** Aborted when the output failed: every batch stops retrying (the buffer still holds them all). */
  readonly signal: AbortSignal;
  /** Request bodies are taken from and given back to this pool: only where `send` has stopped reading a body when it settles. */
  readonly bodies?: BufferPool;
}

/**
 * Delivers one batch until every item is accounted for: indexed, a duplicate
 * (409: already there), or written to the dead-letter file. Items answered
 * 429/5xx are sent again alone, after a backoff, never the items that
 * succeeded; a failed request is sent again whole (split in two on 413).
 * Resolves only when the batch may be acknowledged; rejects when it must be
 * delivered again by a rebuilt output: a request refused with a 4xx other
 * than 408/413/429 is never the documents' fault (we build the JSON), so it is
 * the config, the credentials (a rebuild reads rotated ones) or a proxy, and
 * it is reported as the output failing, with its growing backoff.
 */
export async function deliverBatch(items: BulkItems, opts: BatchDeliveryOptions): Promise<void> {
  const { outcomes } = opts;
  let pending = Array.from({ length: items.length }, (_, i) => i);
  let firstRefusal: number | undefined;
  for (let round = 0; pending.length > 0; round++) {
    const answered: Round = { retry: [], errors: [], dead: [] };
    await sendUntilAnswered(items, pending, opts, answered);
    const { retry, errors } = answered;
    let { dead } = answered;
    firstRefusal ??= retry.length > 0 ? Date.now() : undefined;
    const giveUp = retry.length > 0 && opts.maxRetryMs !== undefined && Date.now() - firstRefusal! >= opts.maxRetryMs;
    if (giveUp) {
      const why = `still failing after retry.max_duration (${opts.maxRetryMs} ms): `;
      dead = dead.concat(retry.map((i, k) => letter(items, i, { ...errors[k]!, reason: why + errors[k]!.reason })));
    }
    for (const e of errors) outcomes.itemError(giveUp ? 'dead_lettered' : 'retried', e);
    await opts.deadLetters.append(dead);
    outcomes.items('dead_lettered', dead.length);
    if (retry.length === 0 || giveUp) return;
    outcomes.items('retried', retry.length);
    await retryWait(round, opts);
    pending = retry;
  }
}

/** Full jitter: many shippers refused by one cluster at once must not come back at once. */
function retryWait(attempt: number, opts: BatchDeliveryOptions): Promise<void> {
  const ms = backoffMs({ initialMs: opts.initialBackoffMs, maxMs: opts.maxBackoffMs, jitter: fullJitter }, attempt);
  return sleep(ms, undefined, { signal: opts.signal });
}

interface Round {
  /** Items to send again, and the error each got. */
  readonly retry: number[];
  readonly errors: ItemError[];
  readonly dead: DeadLetter[];
}

/** Sends items `which` until the request is answered, sorting each item into done, retry or dead. */
async function sendUntilAnswered(items: BulkItems, which: number[], opts: BatchDeliveryOptions, out: Round): Promise<void> {
  const { outcomes } = opts;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal.aborted) throw opts.signal.reason;
    let answer;
    try {
      outcomes.requests('sent');
      const body = items.body(which, opts.bodies);
      try {
        answer = await opts.send(body, which.length);
      } finally {
        opts.bodies?.give(body);
      }
    } catch (err) {
      const failure = describeRequestError(err);
      outcomes.requests('failed');
      outcomes.requestError(failure);
      if (refusesRequest(failure.status)) {
        throw new Error(
          failure.status === 401 || failure.status === 403 ? `the server refused the credentials: ${failure.reason}` : `the server refused the request: ${failure.reason}`,
        );
      }
      if (failure.tooLarge) {
        if (which.length === 1) {
          const e = { status: 413, type: 'request_entity_too_large', reason: `the document alone is larger than the server accepts (http.max_content_length): ${failure.reason}` };
          outcomes.itemError('dead_lettered', e);
          out.dead.push(letter(items, which[0]!, e));
          return;
        }
        outcomes.requests('split');
        const half = which.length >> 1;
        await sendUntilAnswered(items, which.slice(0, half), opts, out);
        await sendUntilAnswered(items, which.slice(half), opts, out);
        return;
      }
      await retryWait(attempt, opts);
      continue;
    }
    if (answer.statuses === undefined) {
      outcomes.items('indexed', which.length);
      return;
    }
    let indexed = 0;
    let duplicates = 0;
    for (let k = 0; k < which.length; k++) {
      const outcome = classifyItem(answer.statuses[k]!);
      if (outcome === 'indexed') indexed++;
      else if (outcome === 'duplicate') duplicates++;
      else if (outcome === 'retry') {
        out.retry.push(which[k]!);
        out.errors.push(answer.errors![k]!);
      } else {
        out.dead.push(letter(items, which[k]!, answer.errors![k]!));
        outcomes.itemError('dead_lettered', answer.errors![k]!);
      }
    }
    outcomes.items('indexed', indexed);
    outcomes.items('duplicate', duplicates);
    return;
  }
}

/** A whole-request 4xx that sending again cannot fix (408 timeouts, 413 sizes and 429 load can be). */
function refusesRequest(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 413 && status !== 429;
}

function letter(items: BulkItems, i: number, e: ItemError): DeadLetter {
  return { index: items.indexes[i]!, id: items.batch.ids[i]!, status: e.status, type: e.type, reason: e.reason, document: items.document(i) };
}
