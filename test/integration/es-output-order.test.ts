// The elasticsearch output in process, against the ES test server: with two
// batches in flight, a later batch that finishes first is not reported
// durable until every batch before it is accounted for (the buffer is
// acknowledged in order, so a crash can never skip the slow batch).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { elasticsearchOutputSchema } from '../../outputs/elasticsearch/config.js';
import { createElasticsearchOutput } from '../../outputs/elasticsearch/index.js';
import type { EventBatch, OutputCounters } from '../../src/output/contract.js';
import { EsServer } from '../support/es-server.js';
import { sleep } from '../support/logship-process.js';
import { eventBatch } from '../support/records.js';


const batch = (seq: number, from: number, n: number): EventBatch =>
  eventBatch(
    seq,
    Array.from({ length: n }, (_, i) => JSON.stringify({ '@timestamp': '2024-05-01T00:00:00.000Z', message: `event ${from + i}` })),
    { times: Array.from({ length: n }, () => Date.UTC(2024, 4, 1)), ids: Array.from({ length: n }, (_, i) => `id-${from + i}`) },
  );

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('elasticsearch output: acknowledgements in order', () => {
  it('a batch finished early waits for the slower one before it; both are then reported with the later seq', async () => {
    const server = await EsServer.start();
    cleanup.push(() => server.close());
    // The first item of batch 1 is refused five times: batch 1 needs backoff rounds, batch 2 does not.
    server.itemFaults((item) => (item.id === 'id-0' && item.attempt <= 5 ? 429 : undefined));
    const stateDir = mkdtempSync(path.join(tmpdir(), 'logship-es-order-'));
    cleanup.push(async () => rmSync(stateDir, { recursive: true, force: true }));
    const config = { ...elasticsearchOutputSchema.parse({ type: 'elasticsearch', hosts: server.url, index: 'order', retry: { initial_backoff: '300ms', max_backoff: '300ms' } }), name: 'es' };
    const durable: { seq: number; docs: number }[] = [];
    const counters: OutputCounters = { events: {}, requests: {} };
    const out = createElasticsearchOutput(config, {
      logger: pino({ level: 'silent' }),
      counters,
      stateDir,
      onDurable: (seq) => durable.push({ seq, docs: server.count('order') }),
    });
    cleanup.push(() => out.close().catch(() => {}));
    await out.start();
    await out.write(batch(1, 0, 10));
    await out.write(batch(2, 10, 10));
    // Batch 2 is indexed while batch 1 still waits for its refused item.
    while (server.count('order') < 19) await sleep(5);
    expect(server.ids('order')).not.toContain('id-0');
    expect(durable).toEqual([]);
    await out.flush();
    expect(durable).toEqual([{ seq: 2, docs: 20 }]);
    expect(counters.events).toMatchObject({ indexed: 20, retried: 5 });
    expect(server.stats.duplicates409).toBe(0);
  });
});
