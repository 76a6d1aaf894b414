import { backoffMs, sleep } from './backoff.js';
import type { DeadLetter, DeadLetterFile } from './dead-letter.js';
import type { BulkItems } from './encoding.js';
import type { Outcomes } from './outcomes.js';
import type { SendBulk } from './request.js';
import { classifyItem, describeRequestError, type ItemError } from './response.js';

export interface BatchDeliveryOptions {
  readonly send: SendBulk;
  readonly deadLetters: DeadLetterFile;
  readonly outcomes: Outcomes;
  readonly maxBytes: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Items still answered 429/5xx this long after their first failure are dead-lettered; undefined = never. */
  readonly maxRetryMs: number | undefined;
}

/**
 * Delivers one batch until every item is accounted for: indexed, a duplicate
 * (409: already there), or written to the dead-letter file. Items answered
 * 429/5xx are sent again alone, after a backoff, never the items that
 * succeeded; a failed request is sent again whole (split in two on 413).
 * Resolves only when the batch may be acknowledged.
 */
export async function deliverBatch(items: BulkItems, opts: BatchDeliveryOptions): Promise<void> {
  const { outcomes } = opts;
  let pending = Array.from({ length: items.length }, (_, i) => i);
  const lastError = new Map<number, ItemError>();
  let firstItemFailure: number | undefined;
  for (let round = 0; pending.length > 0; round++) {
    const retry: number[] = [];
    const dead: DeadLetter[] = [];
    for (const chunk of items.chunks(pending, opts.maxBytes)) await sendChunk(items, chunk, opts, { retry, dead, lastError });
    await opts.deadLetters.append(dead);
    outcomes.items('dead_lettered', dead.length);
    if (retry.length === 0) return;
    firstItemFailure ??= Date.now();
    if (opts.maxRetryMs !== undefined && Date.now() - firstItemFailure >= opts.maxRetryMs) {
      const givenUp = retry.map((i) => {
        const e = lastError.get(i)!;
        return letter(items, i, { ...e, reason: `still failing after retry.max_duration (${opts.maxRetryMs} ms): ${e.reason}` });
      });
      await opts.deadLetters.append(givenUp);
      outcomes.items('dead_lettered', givenUp.length);
      return;
    }
    outcomes.items('retried', retry.length);
    await sleep(backoffMs(round, opts.initialBackoffMs, opts.maxBackoffMs));
    pending = retry;
  }
}

interface RoundResult {
  readonly retry: number[];
  readonly dead: DeadLetter[];
  readonly lastError: Map<number, ItemError>;
}

/** Sends items `chunk` until the request is answered, sorting each item into done, retry or dead. */
async function sendChunk(items: BulkItems, chunk: number[], opts: BatchDeliveryOptions, out: RoundResult): Promise<void> {
  const { outcomes } = opts;
  for (let attempt = 0; ; attempt++) {
    let answer;
    try {
      outcomes.requests('sent');
      answer = await opts.send(items.body(chunk), chunk.length);
    } catch (err) {
      const failure = describeRequestError(err);
      outcomes.requests('failed');
      outcomes.requestError(failure);
      if (failure.tooLarge) {
        if (chunk.length === 1) {
          const e = { status: 413, type: 'request_entity_too_large', reason: `the document alone is larger than the server accepts (http.max_content_length): ${failure.reason}` };
          outcomes.itemError('dead_lettered', e);
          out.dead.push(letter(items, chunk[0]!, e));
          return;
        }
        outcomes.requests('split');
        const half = chunk.length >> 1;
        await sendChunk(items, chunk.slice(0, half), opts, out);
        await sendChunk(items, chunk.slice(half), opts, out);
        return;
      }
      await sleep(backoffMs(attempt, opts.initialBackoffMs, opts.maxBackoffMs));
      continue;
    }
    if (answer.statuses === undefined) {
      outcomes.items('indexed', chunk.length);
      return;
    }
    let indexed = 0;
    let duplicates = 0;
    for (let k = 0; k < chunk.length; k++) {
      const status = answer.statuses[k]!;
      const outcome = classifyItem(status);
      if (outcome === 'indexed') indexed++;
      else if (outcome === 'duplicate') duplicates++;
      else {
        const e = answer.errors![k]!;
        const i = chunk[k]!;
        if (outcome === 'retry') {
          out.retry.push(i);
          out.lastError.set(i, e);
          outcomes.itemError('retried', e);
        } else {
          out.dead.push(letter(items, i, e));
          outcomes.itemError('dead_lettered', e);
        }
      }
    }
    outcomes.items('indexed', indexed);
    outcomes.items('duplicate', duplicates);
    return;
  }
}

function letter(items: BulkItems, i: number, e: ItemError): DeadLetter {
  return { index: items.indexes[i]!, id: items.batch.ids[i]!, status: e.status, type: e.type, reason: e.reason, document: items.docs[i]! };
}
