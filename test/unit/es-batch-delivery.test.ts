// deliverBatch (outputs/elasticsearch/batch-delivery.ts) through its SendBulk
// seam, for the logic no server can provoke: an answer no client would produce
// and an aborted output. What each status does (per item and per request) runs
// through the real client against test/support/es-server.ts in
// test/unit/es-faults.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverBatch, type BatchDeliveryOptions } from '../../outputs/elasticsearch/batch-delivery.js';
import { DeadLetterFile } from '../../outputs/elasticsearch/dead-letter.js';
import { BulkItems } from '../../outputs/elasticsearch/encoding.js';
import { Outcomes } from '../../outputs/elasticsearch/outcomes.js';
import type { SendBulk } from '../../outputs/elasticsearch/request.js';
import { readBulkResponse } from '../../outputs/elasticsearch/response.js';
import { createTarget } from '../../outputs/elasticsearch/target.js';
import type { OutputCounters } from '../../src/output/contract.js';
import { writeAll } from '../../src/util/write-all.js';
import { eventBatch } from '../support/records.js';

const silent = pino({ level: 'silent' });
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const items = (n: number) =>
  new BulkItems(
    eventBatch(
      1,
      Array.from({ length: n }, (_, i) => JSON.stringify({ message: `m${i}` })),
      { times: Array.from({ length: n }, () => Date.UTC(2024, 0, 1)), ids: Array.from({ length: n }, (_, i) => `id-${i}`) },
    ),
    createTarget({ index: 'logs' }),
  );

/** A bulk answer with these per-item statuses, read the way the output reads real ones. */
const answer = (statuses: number[]) =>
  readBulkResponse(
    { errors: statuses.some((s) => s !== 201), items: statuses.map((status) => ({ create: status === 201 ? { status } : { status, error: { type: `t${status}`, reason: `r${status}` } } })) },
    statuses.length,
  );

function options(send: SendBulk, signal = new AbortController().signal): { opts: BatchDeliveryOptions; counters: OutputCounters } {
  dir = mkdtempSync(join(tmpdir(), 'logship-es-batch-'));
  const counters: OutputCounters = { events: {}, requests: {} };
  const deadFile = join(dir, 'dead.ndjson');
  return {
    counters,
    opts: {
      send,
      deadLetters: new DeadLetterFile(deadFile, 1 << 20, 2, silent, () => {}),
      outcomes: new Outcomes(counters, silent),
      initialBackoffMs: 1,
      maxBackoffMs: 2,
      maxRetryMs: undefined,
      signal,
    },
  };
}

describe('deliverBatch', () => {
  it('an item without a proper status (a mangled answer) is sent again, not dead-lettered or crashed on', async () => {
    let n = 0;
    const { opts, counters } = options(async () => (n++ === 0 ? answer([150]) : answer([201])));
    await deliverBatch(items(1), opts);
    expect(counters.events).toMatchObject({ indexed: 1, retried: 1 });
  });

  it('an aborted output stops retrying a batch the server keeps refusing', async () => {
    const abort = new AbortController();
    let n = 0;
    const { opts } = options(async () => {
      if (++n === 3) abort.abort(new Error('the output failed'));
      throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectionError' });
    }, abort.signal);
    await expect(deliverBatch(items(2), opts)).rejects.toThrow(/the output failed|aborted/);
    expect(n).toBe(3);
  });
});

describe('writeAll', () => {
  it('loops over short writes until every byte is written, at the right positions', async () => {
    const file = Buffer.alloc(100, 0);
    const fh = {
      write: async (buf: Buffer, off: number, len: number, pos: number | null) => {
        const n = Math.min(len, 7); // a filesystem that writes at most 7 bytes per call
        buf.copy(file, pos!, off, off + n);
        return { bytesWritten: n, buffer: buf };
      },
    };
    const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
    await writeAll(fh as never, data, 10);
    expect(file.subarray(10, 10 + data.length).toString()).toBe(data.toString());
  });

  it('fails instead of spinning when a write makes no progress', async () => {
    const fh = { write: async () => ({ bytesWritten: 0 }) };
    await expect(writeAll(fh as never, Buffer.from('abc'), null)).rejects.toThrow(/short write: 0 of 3/);
  });
});
