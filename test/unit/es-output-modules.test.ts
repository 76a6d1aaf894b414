import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterFile, type DeadLetter } from '../../outputs/elasticsearch/dead-letter.js';
import { BulkItems } from '../../outputs/elasticsearch/encoding.js';
import { Outcomes } from '../../outputs/elasticsearch/outcomes.js';
import { BulkResponseError, classifyItem, describeRequestError, readBulkResponse } from '../../outputs/elasticsearch/response.js';
import { dialectFor } from '../../outputs/elasticsearch/server-version.js';
import { actionLineBytes, createTarget, type Target } from '../../outputs/elasticsearch/target.js';
import type { EventBatch, OutputCounters } from '../../src/output/contract.js';
import { recordStart } from '../../src/output/record-batch.js';
import { capturing } from '../support/log-capture.js';
import { prng } from '../support/prng.js';
import { eventBatch, texts } from '../support/records.js';

const silent = pino({ level: 'silent' });



const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'logship-es-modules-')));
  dirs.push(d);
  return d;
}

const utcDay = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
};

// ---------------------------------------------------------------------------
describe('response.ts: classifyItem', () => {
  it.each([
    [200, 'indexed'],
    [201, 'indexed'],
    [409, 'duplicate'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [0, 'retry'],
    [150, 'retry'],
    [-1, 'retry'],
    [400, 'dead_letter'],
    // Not the document's fault: privileges, a write block, a missing index with auto-create off.
    [401, 'retry'],
    [403, 'retry'],
    [404, 'retry'],
  ] as const)('status %d → %s', (status, outcome) => {
    expect(classifyItem(status)).toBe(outcome);
  });
});

describe('response.ts: readBulkResponse', () => {
  it('errors:false needs no per-item look: statuses and errors are undefined', () => {
    const body = { errors: false, items: [{ create: { status: 201 } }, { create: { status: 201 } }, { create: { status: 201 } }] };
    expect(readBulkResponse(body, 3)).toEqual({ statuses: undefined, errors: undefined });
  });

  it('errors:true reads each create item positionally, with the error type and reason (caused_by folded in)', () => {
    const body = {
      errors: true,
      items: [
        { create: { status: 201 } },
        { create: { status: 409, error: { type: 'version_conflict_engine_exception', reason: '[abc]: version conflict, document already exists' } } },
        {
          create: {
            status: 400,
            error: {
              type: 'document_parsing_exception',
              reason: "[1:42] failed to parse field [http.response.status_code] of type [long]",
              caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "OK"' },
            },
          },
        },
        { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } } },
        { create: { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } } },
        { create: { status: 200 } },
      ],
    };
    const answer = readBulkResponse(body, 6);
    expect(answer.statuses).toEqual([201, 409, 400, 429, 503, 200]);
    expect(answer.errors).toHaveLength(6);
    expect(answer.errors![0]).toBeUndefined();
    expect(answer.errors![5]).toBeUndefined();
    expect(answer.errors![1]).toEqual({ status: 409, type: 'version_conflict_engine_exception', reason: '[abc]: version conflict, document already exists' });
    expect(answer.errors![2]).toEqual({
      status: 400,
      type: 'document_parsing_exception',
      reason: '[1:42] failed to parse field [http.response.status_code] of type [long] (caused by illegal_argument_exception: For input string: "OK")',
    });
    expect(answer.errors![3]).toEqual({ status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' });
    expect(answer.errors![4]).toMatchObject({ status: 503, type: 'unavailable_shards_exception' });
  });

  it('an item without a status is status 0 (retried) with an invalid_response error', () => {
    const answer = readBulkResponse({ errors: true, items: [{ create: { status: 201 } }, { create: {} }, null] }, 3);
    expect(answer.statuses).toEqual([201, 0, 0]);
    expect(answer.errors![1]).toMatchObject({ status: 0, type: 'invalid_response' });
    expect(answer.errors![2]).toMatchObject({ status: 0, type: 'invalid_response' });
    expect(classifyItem(answer.statuses![1]!)).toBe('retry');
  });

  it.each([
    ['fewer items', { errors: false, items: [{ create: { status: 201 } }] }, 2],
    ['more items', { errors: true, items: [{ create: { status: 201 } }, { create: { status: 201 } }, { create: { status: 500 } }] }, 2],
    ['no items', { errors: false }, 1],
    ['no errors flag', { items: [{ create: { status: 201 } }] }, 1],
    ['a string body', 'upstream connect error or disconnect/reset before headers', 1],
    ['a null body', null, 1],
    ['a number body', 502, 1],
    ['an undefined body', undefined, 1],
  ])('%s → BulkResponseError', (_what, body, sent) => {
    expect(() => readBulkResponse(body, sent)).toThrow(BulkResponseError);
  });

  it('a BulkResponseError describes itself as a request failure, retried whole', () => {
    let thrown: unknown;
    try {
      readBulkResponse({ errors: false, items: [] }, 3);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BulkResponseError);
    const failure = describeRequestError(thrown);
    expect(failure).toMatchObject({ status: undefined, tooLarge: false });
    expect(failure.reason).toContain('0 items for 3 documents');
  });
});

describe('response.ts: describeRequestError', () => {
  it('a ResponseError gives the HTTP status and the error type and reason; 413 is tooLarge', () => {
    const f = describeRequestError({
      name: 'ResponseError',
      message: 'Response Error',
      meta: { statusCode: 413, body: { error: { type: 'content_too_long_exception', reason: 'body too large' } } },
    });
    expect(f.status).toBe(413);
    expect(f.tooLarge).toBe(true);
    expect(f.reason).toContain('413');
    expect(f.reason).toContain('content_too_long_exception');
    expect(f.reason).toContain('body too large');
  });

  it('a 413 from a proxy (an HTML body, no error object) is still tooLarge', () => {
    const f = describeRequestError({ name: 'ResponseError', meta: { statusCode: 413, body: '<html><body>413 Request Entity Too Large</body></html>' } });
    expect(f).toMatchObject({ status: 413, tooLarge: true });
  });

  it.each([400, 401, 429, 500, 502, 503])('a ResponseError %d is not tooLarge', (statusCode) => {
    const f = describeRequestError({ name: 'ResponseError', meta: { statusCode, body: { error: { type: 'x', reason: 'y' } } } });
    expect(f.status).toBe(statusCode);
    expect(f.tooLarge).toBe(false);
  });

  it('a ConnectionError names itself and keeps the cause, without a status', () => {
    const f = describeRequestError({ name: 'ConnectionError', message: 'connect ECONNREFUSED 127.0.0.1:9200' });
    expect(f.status).toBeUndefined();
    expect(f.tooLarge).toBe(false);
    expect(f.reason).toContain('ConnectionError');
    expect(f.reason).toContain('ECONNREFUSED 127.0.0.1:9200');
  });

  it('a TimeoutError names itself, without a status', () => {
    const f = describeRequestError({ name: 'TimeoutError', message: 'Request timed out' });
    expect(f).toMatchObject({ status: undefined, tooLarge: false });
    expect(f.reason).toContain('TimeoutError');
    expect(f.reason).toContain('Request timed out');
  });

  it('a ProductNotSupportedError says the server is not Elasticsearch', () => {
    const f = describeRequestError({ name: 'ProductNotSupportedError', message: 'The client noticed that the server is not Elasticsearch and we do not support this unknown product.' });
    expect(f).toMatchObject({ status: undefined, tooLarge: false });
    expect(f.reason).toMatch(/not identify as Elasticsearch|not Elasticsearch/);
  });

  it('a plain Error and a thrown non-error are described without throwing', () => {
    expect(describeRequestError(new Error('socket hang up')).reason).toContain('socket hang up');
    expect(describeRequestError('boom').reason).toContain('boom');
    expect(describeRequestError(new Error('x')).tooLarge).toBe(false);
  });

  it.each([
    ['ConnectionError', { name: 'ConnectionError', message: 'connect ECONNREFUSED http://user:secret@host:9200' }],
    ['TimeoutError', { name: 'TimeoutError', message: 'Request to https://elastic:secret@es-1.example:9200/_bulk timed out' }],
    ['two URLs', { name: 'ConnectionError', message: 'tried http://a:secret@h1:9200 and https://b:secret@h2:9200/x' }],
    [
      'a ResponseError reason',
      { name: 'ResponseError', meta: { statusCode: 401, body: { error: { type: 'security_exception', reason: 'unable to authenticate for [http://elastic:secret@host:9200/_bulk]' } } } },
    ],
    ['a ResponseError string error', { name: 'ResponseError', meta: { statusCode: 502, body: { error: 'bad gateway to http://user:secret@host:9200' } } }],
    ['a password holding @', { name: 'ConnectionError', message: 'connect ECONNREFUSED https://elastic:p@ss-secret@host:9200' }],
    ['a password holding a space', { name: 'ConnectionError', message: 'connect ECONNREFUSED https://elastic:pa secret@host:9200' }],
  ])('a URL password never survives (%s)', (_what, err) => {
    const f = describeRequestError(err);
    expect(f.reason).not.toContain('secret');
    // …but the rest of the message does.
    expect(f.reason).toMatch(/host|h1|es-1/);
  });

  it('a reason is bounded in length', () => {
    const f = describeRequestError({ name: 'ConnectionError', message: 'x'.repeat(100_000) });
    expect(f.reason.length).toBeLessThanOrEqual(1000);
  });
});

// ---------------------------------------------------------------------------
describe('target.ts: index names', () => {
  it('fills %Y.%m.%d from the event time in UTC, switching exactly at midnight UTC', () => {
    const t = createTarget({ index: 'logs-checkout-%Y.%m.%d' });
    expect(t.dataStream).toBe(false);
    expect(t.indexFor(Date.UTC(2024, 2, 10, 23, 59, 59, 999))).toBe('logs-checkout-2024.03.10');
    expect(t.indexFor(Date.UTC(2024, 2, 11, 0, 0, 0, 0))).toBe('logs-checkout-2024.03.11');
    expect(t.indexFor(Date.UTC(2024, 11, 31, 23, 59, 59, 999))).toBe('logs-checkout-2024.12.31');
    expect(t.indexFor(Date.UTC(2025, 0, 1))).toBe('logs-checkout-2025.01.01');
    expect(t.indexFor(Date.UTC(2024, 1, 29, 12))).toBe('logs-checkout-2024.02.29');
    // Going back in time works too (no monotonic cache).
    expect(t.indexFor(Date.UTC(2024, 2, 10, 12))).toBe('logs-checkout-2024.03.10');
  });

  it('%H is the UTC hour', () => {
    const t = createTarget({ index: 'logs-%Y.%m.%d-%H' });
    expect(t.indexFor(Date.UTC(2024, 4, 1, 0, 0))).toBe('logs-2024.05.01-00');
    expect(t.indexFor(Date.UTC(2024, 4, 1, 13, 59, 59, 999))).toBe('logs-2024.05.01-13');
    expect(t.indexFor(Date.UTC(2024, 4, 1, 14))).toBe('logs-2024.05.01-14');
    expect(t.indexFor(Date.UTC(2024, 4, 1, 23, 30))).toBe('logs-2024.05.01-23');
  });

  it('a name without specifiers is constant', () => {
    const t = createTarget({ index: 'logs-static' });
    expect(t.indexFor(Date.UTC(2001, 0, 1))).toBe('logs-static');
    expect(t.indexFor(Date.UTC(2030, 5, 6))).toBe('logs-static');
    expect(t.pattern).toBe('logs-static');
  });

  it('a NaN time is filed under now (today in UTC), not under "NaN" and without throwing', () => {
    const t = createTarget({ index: 'logs-%Y.%m.%d' });
    const before = utcDay(Date.now());
    const name = t.indexFor(NaN);
    const after = utcDay(Date.now());
    expect([`logs-${before}`, `logs-${after}`]).toContain(name);
    expect(name).not.toContain('NaN');
  });

  // The literal separators stay: the template then matches dated names only, not every logs-checkout-….
  it.each([
    ['logs-checkout-%Y.%m.%d', 'logs-checkout-*.*.*'],
    ['logs-%Y.%m.%d-%H', 'logs-*.*.*-*'],
  ])('pattern of %j is %j (separators between dated parts kept)', (index, pattern) => {
    expect(createTarget({ index }).pattern).toBe(pattern);
  });

  it.each([
    ['logs-%Y%m%d', 'logs-*'],
    ['logs-%Y-static', 'logs-*-static'],
    ['logs-%%-%Y', 'logs-%-*'],
    ['logs-100%%', 'logs-100%'],
    ['plain', 'plain'],
  ])('pattern of %j is %j', (index, pattern) => {
    expect(createTarget({ index }).pattern).toBe(pattern);
  });

  it('%% renders as a literal % in the index name too', () => {
    expect(createTarget({ index: 'logs-%%-%Y' }).indexFor(Date.UTC(2024, 0, 1))).toBe('logs-%-2024');
  });

  it('every name indexFor produces matches its pattern', () => {
    for (const index of ['logs-checkout-%Y.%m.%d', 'a-%H-b-%d', 'x%%y-%Y']) {
      const t = createTarget({ index });
      const re = new RegExp(`^${t.pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      const rand = prng(7);
      for (let k = 0; k < 50; k++) {
        const name = t.indexFor(Date.UTC(2000, 0, 1) + Math.floor(rand() * 40 * 365 * 86_400_000));
        expect(name).toMatch(re);
      }
    }
  });
});

/** The document BulkItems sends for this one event's JSON. */
function sentDocument(target: Target, json: string): string {
  return new BulkItems(eventBatch(1, [json]), target).document(0).toString('utf8');
}

describe('target.ts: data streams', () => {
  const ds = { type: 'logs', dataset: 'checkout', namespace: 'prod' } as const;

  it('writes every event to logs-<dataset>-<namespace>, whatever its time', () => {
    const t = createTarget({ data_stream: ds });
    expect(t.dataStream).toBe(true);
    expect(t.indexFor(Date.UTC(2024, 0, 1))).toBe('logs-checkout-prod');
    expect(t.indexFor(NaN)).toBe('logs-checkout-prod');
    expect(t.pattern).toBe('logs-checkout-prod');
  });

  it('adds the data_stream fields, producing valid JSON with the event unchanged otherwise', () => {
    const t = createTarget({ data_stream: ds });
    const event = { '@timestamp': '2024-05-01T12:00:00.000Z', message: 'hello } "world" {', event: { id: 'abc' }, n: [1, { x: '}' }] };
    const out = sentDocument(t, JSON.stringify(event));
    expect(JSON.parse(out)).toEqual({ ...event, data_stream: { type: 'logs', dataset: 'checkout', namespace: 'prod' } });
  });

  it('handles an empty object', () => {
    const t = createTarget({ data_stream: ds });
    expect(JSON.parse(sentDocument(t, '{}'))).toEqual({ data_stream: { type: 'logs', dataset: 'checkout', namespace: 'prod' } });
  });

  it('leaves a document that already has data_stream untouched', () => {
    const t = createTarget({ data_stream: ds });
    const json = JSON.stringify({ message: 'x', data_stream: { type: 'logs', dataset: 'mine', namespace: 'ns' } });
    expect(sentDocument(t, json)).toBe(json);
  });

  it('adds the fields when "data_stream" is only a value, not a key', () => {
    const t = createTarget({ data_stream: ds });
    const json = JSON.stringify({ message: 'data_stream', tags: ['data_stream'] });
    expect(JSON.parse(sentDocument(t, json))).toEqual({ message: 'data_stream', tags: ['data_stream'], data_stream: { type: 'logs', dataset: 'checkout', namespace: 'prod' } });
  });
});

// ---------------------------------------------------------------------------
let eventCounter = 0;
function makeBatch(times: number[], docSize?: (i: number) => number): EventBatch {
  const records = times.map((t, i) => {
    const base = { '@timestamp': new Date(t).toISOString(), event: { id: `id-${eventCounter}` }, message: `event ${eventCounter++}` };
    if (docSize) base.message += 'x'.repeat(docSize(i));
    return JSON.stringify(base);
  });
  return eventBatch(1, records, { times, ids: records.map((r) => (JSON.parse(r) as { event: { id: string } }).event.id) });
}

/** A body's NDJSON lines (it must end in a newline). */
function bodyLines(body: Buffer): string[] {
  const text = body.toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

describe('encoding.ts: BulkItems', () => {
  const T = Date.UTC(2024, 4, 1, 12);

  it('each action line is a create with the index and _id = event.id', () => {
    const batch = makeBatch([T, T, T]);
    const items = new BulkItems(batch, createTarget({ index: 'logs-%Y.%m.%d' }));
    expect(items.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(JSON.parse(bodyLines(items.body([i]))[0]!)).toEqual({ create: { _index: 'logs-2024.05.01', _id: batch.ids[i] } });
      expect(items.indexes[i]).toBe('logs-2024.05.01');
    }
  });

  it('an _id with quotes and backslashes is escaped into valid JSON', () => {
    const batch = eventBatch(1, ['{"a":1}'], { times: [T], ids: ['we"ird\\id\n'] });
    const items = new BulkItems(batch, createTarget({ index: 'logs' }));
    const lines = bodyLines(items.body([0]));
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({ create: { _index: 'logs', _id: 'we"ird\\id\n' } });
  });

  it('the body is NDJSON ending in a newline: action, document, action, document…', () => {
    const batch = makeBatch([T, T + 1, T + 2]);
    const items = new BulkItems(batch, createTarget({ index: 'logs-%Y.%m.%d' }));
    const lines = bodyLines(items.body([0, 1, 2]));
    expect(lines).toHaveLength(6);
    const parsed = lines.map((l) => JSON.parse(l) as unknown);
    for (let i = 0; i < 3; i++) {
      expect(parsed[2 * i]).toEqual({ create: { _index: 'logs-2024.05.01', _id: batch.ids[i] } });
      expect(parsed[2 * i + 1]).toEqual(JSON.parse(texts(batch)[i]!));
    }
  });

  it('a body of some items holds exactly those, in the order given', () => {
    const batch = makeBatch([T, T, T, T, T]);
    const items = new BulkItems(batch, createTarget({ index: 'logs' }));
    const lines = bodyLines(items.body([3, 1]));
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { create: { _index: 'logs', _id: batch.ids[3] } },
      JSON.parse(texts(batch)[3]!),
      { create: { _index: 'logs', _id: batch.ids[1] } },
      JSON.parse(texts(batch)[1]!),
    ]);
  });

  it('each item follows its own event time across a day boundary within one batch', () => {
    const times = [
      Date.UTC(2024, 4, 1, 23, 59, 59, 998),
      Date.UTC(2024, 4, 1, 23, 59, 59, 999),
      Date.UTC(2024, 4, 2, 0, 0, 0, 0),
      Date.UTC(2024, 4, 1, 23, 59, 0), // late arrival from the day before
      Date.UTC(2024, 4, 2, 0, 0, 1),
    ];
    const batch = makeBatch(times);
    const items = new BulkItems(batch, createTarget({ index: 'logs-%Y.%m.%d' }));
    const expected = ['logs-2024.05.01', 'logs-2024.05.01', 'logs-2024.05.02', 'logs-2024.05.01', 'logs-2024.05.02'];
    expect(items.indexes).toEqual(expected);
    const actions = bodyLines(items.body([0, 1, 2, 3, 4])).filter((_, k) => k % 2 === 0);
    expect(actions.map((a) => (JSON.parse(a) as { create: { _index: string } }).create._index)).toEqual(expected);
  });

  it('for a data stream, documents carry the data_stream fields and the action names the stream', () => {
    const batch = makeBatch([T, T]);
    const items = new BulkItems(batch, createTarget({ data_stream: { type: 'logs', dataset: 'app', namespace: 'default' } }));
    const lines = bodyLines(items.body([0, 1])).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ create: { _index: 'logs-app-default', _id: batch.ids[0] } });
    expect(lines[1]).toEqual({ ...(JSON.parse(texts(batch)[0]!) as object), data_stream: { type: 'logs', dataset: 'app', namespace: 'default' } });
  });

  it('actionLineBytes is exactly what an item adds to a body besides its document', () => {
    for (const config of [{ index: 'logs-%Y.%m.%d' }, { index: 'plain' }, { data_stream: { type: 'logs' as const, dataset: 'app', namespace: 'prod' } }]) {
      const batch = makeBatch([T, T, T]);
      const ids = batch.ids.map((_, i) => `${'a'.repeat(16)}${String(i).padStart(12, '0')}`); // the shape of real event ids
      const items = new BulkItems({ ...batch, ids }, createTarget(config));
      for (let i = 0; i < 3; i++) {
        // The original record (its NDJSON line), not the document sent: a data stream's added fields count as overhead.
        const recordBytes = batch.ends[i]! - recordStart(batch, i);
        expect(items.body([i]).length - recordBytes, JSON.stringify(config)).toBe(actionLineBytes(config));
      }
    }
  });
});

// ---------------------------------------------------------------------------
interface DeadLine {
  '@timestamp': string;
  index: string;
  _id: string;
  status: number;
  error: { type: string; reason: string };
  event: unknown;
}

function readLines(path: string): DeadLine[] {
  const text = readFileSync(path, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DeadLine);
}

function letter(id: string, extra: Partial<DeadLetter> = {}): DeadLetter {
  return {
    index: 'logs-2024.05.01',
    id,
    status: 400,
    type: 'document_parsing_exception',
    reason: `[1:2] failed to parse field [n] of type [long] in document with id '${id}'`,
    document: Buffer.from(JSON.stringify({ '@timestamp': '2024-05-01T00:00:00.000Z', event: { id }, message: `msg ${id}` })),
    ...extra,
  };
}

/** The line DeadLetterFile writes for `letter(id)` (the @timestamp has a fixed width, so its length is stable). */
async function probeLine(id: string): Promise<Buffer> {
  const dir = tempDir();
  const probe = new DeadLetterFile(join(dir, 'probe.ndjson'), 1 << 30, 5, silent, () => {});
  await probe.append([letter(id)]);
  await probe.close();
  return readFileSync(join(dir, 'probe.ndjson'));
}

/** Bytes one line of `letter(id)` takes. */
async function lineBytes(id: string): Promise<number> {
  return (await probeLine(id)).length;
}

describe('dead-letter.ts: DeadLetterFile', () => {
  it('appends one JSON line per letter with index, _id, status, error and the event as an object', async () => {
    const dir = tempDir();
    const path = join(dir, 'nested', 'dl.ndjson'); // the directory is created
    const f = new DeadLetterFile(path, 1 << 20, 3, silent, () => {});
    const doc = { '@timestamp': '2024-05-01T00:00:00.000Z', message: 'he said "hi"\n', n: 'abc', nested: { a: [1, 2] } };
    await f.append([
      letter('a1', { document: Buffer.from(JSON.stringify(doc)), reason: 'failed to parse field [n] of type [long] (caused by x: "quoted")' }),
      letter('a2', { status: 413, type: 'request_entity_too_large', index: 'logs-x' }),
    ]);
    await f.append([letter('a3')]);
    await f.close();
    const lines = readLines(path);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      index: 'logs-2024.05.01',
      _id: 'a1',
      status: 400,
      error: { type: 'document_parsing_exception', reason: 'failed to parse field [n] of type [long] (caused by x: "quoted")' },
      event: doc,
    });
    expect(lines[1]).toMatchObject({ index: 'logs-x', _id: 'a2', status: 413, error: { type: 'request_entity_too_large' } });
    expect(lines[2]!._id).toBe('a3');
    for (const l of lines) expect(Number.isNaN(Date.parse(l['@timestamp']))).toBe(false);
  });

  it('an empty append writes nothing and creates no file', async () => {
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    const f = new DeadLetterFile(path, 1 << 20, 3, silent, () => {});
    await f.append([]);
    await f.close();
    expect(existsSync(path)).toBe(false);
  });

  it('rotates at max_bytes to .1, .2 and beyond max_files deletes the oldest (logged and reported)', async () => {
    const L = await lineBytes('r1');
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    const { logger, lines: logs } = capturing();
    let dropped = 0;
    const f = new DeadLetterFile(path, 2 * L, 2, logger, () => dropped++);
    const ids = (p: string) => readLines(p).map((l) => l._id);

    await f.append([letter('r1')]);
    await f.append([letter('r2')]);
    expect(ids(path)).toEqual(['r1', 'r2']);
    expect(existsSync(`${path}.1`)).toBe(false);

    await f.append([letter('r3')]); // would pass max_bytes: rotate first
    expect(ids(path)).toEqual(['r3']);
    expect(ids(`${path}.1`)).toEqual(['r1', 'r2']);

    await f.append([letter('r4')]);
    await f.append([letter('r5')]);
    expect(ids(path)).toEqual(['r5']);
    expect(ids(`${path}.1`)).toEqual(['r3', 'r4']);
    expect(ids(`${path}.2`)).toEqual(['r1', 'r2']);
    expect(dropped).toBe(0);

    await f.append([letter('r6')]);
    await f.append([letter('r7')]); // .2 (r1, r2) is beyond max_files now
    await f.close();
    expect(ids(path)).toEqual(['r7']);
    expect(ids(`${path}.1`)).toEqual(['r5', 'r6']);
    expect(ids(`${path}.2`)).toEqual(['r3', 'r4']);
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(dropped).toBe(1);
    expect(logs.filter((l) => l.level === 40 && String(l.msg).includes('dead-letter'))).toHaveLength(1);
    for (const p of [path, `${path}.1`, `${path}.2`]) expect(statSync(p).size).toBeLessThanOrEqual(2 * L);
  });

  it('one append larger than max_bytes is written whole into a fresh file', async () => {
    const L = await lineBytes('b1');
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    const f = new DeadLetterFile(path, L, 3, silent, () => {});
    await f.append([letter('b1'), letter('b2'), letter('b3')]);
    await f.append([letter('b4')]);
    await f.close();
    expect(readLines(`${path}.1`).map((l) => l._id)).toEqual(['b1', 'b2', 'b3']);
    expect(readLines(path).map((l) => l._id)).toEqual(['b4']);
  });

  it('concurrent appends do not interleave: every line parses and each append stays together, in call order', async () => {
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    const f = new DeadLetterFile(path, 1 << 30, 3, silent, () => {});
    const big = 'z'.repeat(64 * 1024);
    await Promise.all(
      Array.from({ length: 40 }, (_, a) =>
        f.append(Array.from({ length: 5 }, (_, k) => letter(`c${a}-${k}`, { document: Buffer.from(JSON.stringify({ a, k, big })) }))),
      ),
    );
    await f.close();
    const lines = readLines(path);
    expect(lines).toHaveLength(200);
    expect(lines.map((l) => l._id)).toEqual(Array.from({ length: 200 }, (_, n) => `c${Math.floor(n / 5)}-${n % 5}`));
    for (const l of lines) expect((l.event as { big: string }).big).toBe(big);
  });

  it('concurrent appends across rotations lose nothing', async () => {
    const L = await lineBytes('k0-0');
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    const f = new DeadLetterFile(path, 3 * L, 100, silent, () => {});
    await Promise.all(Array.from({ length: 20 }, (_, a) => f.append([letter(`k${a}-0`), letter(`k${a}-1`)])));
    await f.close();
    const files = [path, ...Array.from({ length: 100 }, (_, n) => `${path}.${n + 1}`)].filter((p) => existsSync(p)).reverse();
    const ids = files.flatMap((p) => readLines(p).map((l) => l._id));
    expect(ids.sort()).toEqual(Array.from({ length: 20 }, (_, a) => [`k${a}-0`, `k${a}-1`]).flat().sort());
  });

  it('reopening an existing file continues appending to it', async () => {
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    const f1 = new DeadLetterFile(path, 1 << 20, 3, silent, () => {});
    await f1.append([letter('o1'), letter('o2')]);
    await f1.close();
    const f2 = new DeadLetterFile(path, 1 << 20, 3, silent, () => {});
    await f2.append([letter('o3')]);
    await f2.close();
    expect(readLines(path).map((l) => l._id)).toEqual(['o1', 'o2', 'o3']);
    expect(existsSync(`${path}.1`)).toBe(false);
  });

  it('reopening a file already at max_bytes rotates it before writing (size counted from the file)', async () => {
    const L = await lineBytes('p1');
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    const f1 = new DeadLetterFile(path, 2 * L, 3, silent, () => {});
    await f1.append([letter('p1'), letter('p2')]);
    await f1.close();
    const f2 = new DeadLetterFile(path, 2 * L, 3, silent, () => {});
    await f2.append([letter('p3')]);
    await f2.close();
    expect(readLines(`${path}.1`).map((l) => l._id)).toEqual(['p1', 'p2']);
    expect(readLines(path).map((l) => l._id)).toEqual(['p3']);
  });

  it('the same instance, after close, reopens and keeps counting', async () => {
    const L = await lineBytes('q1');
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    const f = new DeadLetterFile(path, 2 * L, 3, silent, () => {});
    await f.append([letter('q1'), letter('q2')]);
    await f.close();
    await f.append([letter('q3')]);
    await f.close();
    expect(readLines(`${path}.1`).map((l) => l._id)).toEqual(['q1', 'q2']);
    expect(readLines(path).map((l) => l._id)).toEqual(['q3']);
  });

  it('after reopening, an append that would pass max_bytes rotates first, as in a running file', async () => {
    const line = await probeLine('s1');
    const L = line.length;
    const dir = tempDir();
    const path = join(dir, 'dl.ndjson');
    // A file holding one line, left by an earlier run.
    writeFileSync(path, line);
    expect(statSync(path).size).toBe(L);
    const f = new DeadLetterFile(path, Math.floor(1.5 * L), 3, silent, () => {});
    await f.append([letter('s2')]);
    await f.close();
    expect(statSync(path).size).toBeLessThanOrEqual(Math.floor(1.5 * L));
    expect(readLines(path).map((l) => l._id)).toEqual(['s2']);
  });
});

// ---------------------------------------------------------------------------
describe('outcomes.ts: Outcomes', () => {
  it('accumulates counters into the OutputCounters it is given (adding to what is there)', () => {
    const counters: OutputCounters = { events: { indexed: 10 }, requests: {} };
    const o = new Outcomes(counters, silent);
    o.items('indexed', 5);
    o.items('indexed', 3);
    o.items('duplicate', 2);
    o.items('retried', 0);
    o.items('dead_lettered', 1);
    o.requests('sent');
    o.requests('sent');
    o.requests('failed');
    o.requests('split', 4);
    expect(counters.events).toEqual({ indexed: 18, duplicate: 2, dead_lettered: 1 });
    expect(counters.requests).toEqual({ sent: 2, failed: 1, split: 4 });
    o.flush();
  });

  it('keeps at most 100 distinct reasons per summary; the rest are counted in one line, and no value preview is logged', () => {
    const { logger, lines } = capturing();
    const o = new Outcomes({ events: {}, requests: {} }, logger);
    for (let i = 0; i < 150; i++) {
      o.itemError('dead_lettered', { status: 400, type: 'strict_dynamic_mapping_exception', reason: `mapping set to strict, dynamic introduction of [field_${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}] within [_doc] is not allowed. Preview of field's value: 'card 4111-1111'` });
    }
    o.flush();
    const dead = lines.filter((l) => l.msg === 'elasticsearch items dead-lettered');
    expect(dead).toHaveLength(100);
    expect(lines.find((l) => l.msg.startsWith('elasticsearch errors with more distinct reasons'))).toMatchObject({ count: 50 });
    expect(JSON.stringify(lines)).not.toContain('4111');
  });

  it('1000 item errors differing only in ids, numbers and quoted values give ONE line with count 1000', () => {
    const { logger, lines } = capturing();
    const o = new Outcomes({ events: {}, requests: {} }, logger);
    for (let i = 0; i < 1000; i++) {
      o.itemError('dead_lettered', {
        status: 400,
        type: 'mapper_parsing_exception',
        reason: `[1:${i % 97}] failed to parse field [http.response.status_code] of type [long] in document with id 'evt-${i}-${(i * 7919).toString(36)}' with value '${'v'.repeat(i % 13)}${i}'`,
      });
    }
    expect(lines).toHaveLength(0); // nothing logged per document
    o.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ count: 1000, status: 400, errorType: 'mapper_parsing_exception', outcome: 'dead_lettered' });
    expect(lines[0]!.level).toBe(50); // error: documents were given up on
    expect(String(lines[0]!.reason)).toContain('failed to parse field [http.response.status_code]');
    o.flush();
    expect(lines).toHaveLength(1); // the summary was reset
  });

  it("ES's real parsing error (\"Preview of field's value: '…'\") with 1000 different values gives ONE line", () => {
    const { logger, lines } = capturing();
    const o = new Outcomes({ events: {}, requests: {} }, logger);
    for (let i = 0; i < 1000; i++) {
      o.itemError('dead_lettered', {
        status: 400,
        type: 'document_parsing_exception',
        reason: `[1:57] failed to parse field [http.response.status_code] of type [long] in document with id 'id-${i}'. Preview of field's value: 'status-${String.fromCharCode(97 + (i % 26))}${i}'`,
      });
    }
    o.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ count: 1000 });
  });

  it('genuinely different reasons give separate lines, each with its own count', () => {
    const { logger, lines } = capturing();
    const o = new Outcomes({ events: {}, requests: {} }, logger);
    for (let i = 0; i < 3; i++) o.itemError('dead_lettered', { status: 400, type: 'mapper_parsing_exception', reason: `failed to parse field [a] of type [long] in document with id '${i}'` });
    for (let i = 0; i < 2; i++) o.itemError('dead_lettered', { status: 400, type: 'mapper_parsing_exception', reason: `object mapping for [user] tried to parse field [user] as object, but found a concrete value in document with id '${i}'` });
    o.flush();
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.count).sort()).toEqual([2, 3]);
  });

  it('the same reason under another outcome, status or type is another line; retries and request failures warn', () => {
    const { logger, lines } = capturing();
    const o = new Outcomes({ events: {}, requests: {} }, logger);
    o.itemError('retried', { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution' });
    o.itemError('retried', { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution' });
    o.itemError('retried', { status: 503, type: 'es_rejected_execution_exception', reason: 'rejected execution' });
    o.itemError('dead_lettered', { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution' });
    o.requestError({ status: undefined, reason: 'ConnectionError: connect ECONNREFUSED 10.0.0.1:9200', tooLarge: false });
    o.requestError({ status: undefined, reason: 'ConnectionError: connect ECONNREFUSED 10.0.0.2:9200', tooLarge: false });
    o.flush();
    expect(lines).toHaveLength(4);
    const retried429 = lines.find((l) => l.outcome === 'retried' && l.status === 429)!;
    expect(retried429).toMatchObject({ count: 2, level: 40 });
    expect(lines.find((l) => l.outcome === 'retried' && l.status === 503)).toMatchObject({ count: 1, level: 40 });
    expect(lines.find((l) => l.outcome === 'dead_lettered')).toMatchObject({ count: 1, level: 50 });
    expect(lines.find((l) => l.outcome === 'request_failed')).toMatchObject({ count: 2, level: 40 });
  });

  it('flush with nothing noted logs nothing', () => {
    const { logger, lines } = capturing();
    new Outcomes({ events: {}, requests: {} }, logger).flush();
    expect(lines).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------
describe('server-version.ts: dialectFor', () => {
  it('8 → compatible-with=8 media types', () => {
    const d = dialectFor(8, '8.15.0');
    expect(d).toMatchObject({ major: 8, version: '8.15.0' });
    expect(d.bulkHeaders).toEqual({ accept: 'application/vnd.elasticsearch+json; compatible-with=8', 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=8' });
    expect(d.jsonHeaders).toEqual({ accept: 'application/vnd.elasticsearch+json; compatible-with=8', 'content-type': 'application/vnd.elasticsearch+json; compatible-with=8' });
  });

  it('9 → compatible-with=9 media types', () => {
    const d = dialectFor(9, '9.1.0');
    expect(d.major).toBe(9);
    expect(d.bulkHeaders).toEqual({ accept: 'application/vnd.elasticsearch+json; compatible-with=9', 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=9' });
    expect(d.jsonHeaders['content-type']).toBe('application/vnd.elasticsearch+json; compatible-with=9');
    expect(d.jsonHeaders.accept).toBe('application/vnd.elasticsearch+json; compatible-with=9');
  });

  it('7 → plain application/json and application/x-ndjson', () => {
    const d = dialectFor(7, '7.17.0');
    expect(d.bulkHeaders).toEqual({ accept: 'application/json', 'content-type': 'application/x-ndjson' });
    expect(d.jsonHeaders).toEqual({ accept: 'application/json', 'content-type': 'application/json' });
    for (const v of [...Object.values(d.bulkHeaders), ...Object.values(d.jsonHeaders)]) expect(v).not.toContain('compatible-with');
  });
});
