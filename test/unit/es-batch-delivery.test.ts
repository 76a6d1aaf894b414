// deliverBatch (outputs/elasticsearch/batch-delivery.ts) driven through its
// SendBulk seam with scripted answers: what is retried, what is dead-lettered,
// what fails the output, and that an aborted output stops retrying. (The HTTP
// path with the real client is covered by test/integration/elasticsearch*.)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import type { OutputCounters } from '../../outputs/types.js';
import { writeAll } from '../../src/util/write-all.js';

const silent = pino({ level: 'silent' });
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const items = (n: number) =>
  new BulkItems(
    {
      seq: 1,
      records: Array.from({ length: n }, (_, i) => JSON.stringify({ message: `m${i}` })),
      times: Array.from({ length: n }, () => Date.UTC(2024, 0, 1)),
      ids: Array.from({ length: n }, (_, i) => `id-${i}`),
    },
    createTarget({ index: 'logs' }),
  );

/** A bulk answer with these per-item statuses, read the way the output reads real ones. */
const answer = (statuses: number[]) =>
  readBulkResponse(
    { errors: statuses.some((s) => s !== 201), items: statuses.map((status) => ({ create: status === 201 ? { status } : { status, error: { type: `t${status}`, reason: `r${status}` } } })) },
    statuses.length,
  );

/** The client's error shape for an HTTP status. */
const responseError = (status: number) => Object.assign(new Error(`status ${status}`), { name: 'ResponseError', meta: { statusCode: status, body: { error: { type: 'x', reason: 'y' } } } });

function options(send: SendBulk, signal = new AbortController().signal): { opts: BatchDeliveryOptions; counters: OutputCounters; deadFile: string } {
  dir = mkdtempSync(join(tmpdir(), 'logship-es-batch-'));
  const counters: OutputCounters = { events: {}, requests: {} };
  const deadFile = join(dir, 'dead.ndjson');
  return {
    counters,
    deadFile,
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

const ids = (body: string) => body.split('\n').filter((_, i) => i % 2 === 0 && _ !== '').map((a) => (JSON.parse(a) as { create: { _id: string } }).create._id);

describe('deliverBatch', () => {
  it('sends again only the items answered other than 2xx/409/400 (404 and 403 per item included); 400s are dead-lettered', async () => {
    const sent: string[][] = [];
    const script = [[201, 429, 404, 400, 409, 403, 503], [201, 429, 201, 201], [201]];
    const { opts, counters, deadFile } = options(async (body, count) => {
      sent.push(ids(body));
      return answer(script[sent.length - 1]!.slice(0, count));
    });
    await deliverBatch(items(7), opts);
    expect(sent).toEqual([['id-0', 'id-1', 'id-2', 'id-3', 'id-4', 'id-5', 'id-6'], ['id-1', 'id-2', 'id-5', 'id-6'], ['id-2']]);
    expect(counters.events).toMatchObject({ indexed: 5, duplicate: 1, dead_lettered: 1, retried: 5 });
    const letters = readFileSync(deadFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { _id: string; status: number });
    expect(letters).toMatchObject([{ _id: 'id-3', status: 400 }]);
  });

  it('an item without a proper status (a mangled answer) is sent again, not dead-lettered or crashed on', async () => {
    let n = 0;
    const { opts, counters } = options(async () => (n++ === 0 ? answer([150]) : answer([201])));
    await deliverBatch(items(1), opts);
    expect(counters.events).toMatchObject({ indexed: 1, retried: 1 });
  });

  it.each([503, 500, 429, 408])('a whole request answered %d is sent again whole', async (status) => {
    let n = 0;
    const { opts, counters } = options(async (_body, count) => {
      if (n++ < 2) throw responseError(status);
      return answer(Array.from({ length: count }, () => 201));
    });
    await deliverBatch(items(3), opts);
    expect(counters.requests).toMatchObject({ sent: 3, failed: 2 });
    expect(counters.events.indexed).toBe(3);
  });

  it.each([400, 401, 403, 404, 406])('a whole request answered %d fails the batch (the output is rebuilt): no retry loop, nothing dead-lettered', async (status) => {
    let n = 0;
    const { opts, deadFile } = options(async () => {
      n++;
      throw responseError(status);
    });
    await expect(deliverBatch(items(3), opts)).rejects.toThrow(status === 401 || status === 403 ? /refused the credentials/ : /refused the request/);
    expect(n).toBe(1);
    expect(() => readFileSync(deadFile)).toThrow();
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
