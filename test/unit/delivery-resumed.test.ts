// Issue 14, "The first ten minutes": a failing output that recovers is logged
// as "delivery resumed" (how long it was down, the backlog it found) and then
// "delivery caught up" (how many events it delivered to work it off). The
// samples' clock is the test's; the delivered count is a real delivery loop's.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBuffer } from '../../src/buffer/memory-buffer.js';
import type { Output } from '../../src/output/contract.js';
import { OutputDelivery } from '../../src/pipeline/delivery.js';
import { DeliveryWatch, type WatchedOutput } from '../../src/pipeline/delivery-watch.js';
import type { OutputHealthView } from '../../src/server/health.js';
import { capturing } from '../support/log-capture.js';
import { sleep } from '../support/logship-process.js';
import { eventBatch } from '../support/records.js';

const T0 = 1_700_000_000_000;

/** An output whose view and delivered count the test sets. */
function watched(over: Partial<OutputHealthView> = {}) {
  const o = {
    view: { name: 'es', failure: undefined, lastAckAt: undefined, failedRequests: 0, pending: 0, bufferBytes: 0, bufferMaxBytes: 1000, diskFull: false, readinessRequired: false, ...over } as OutputHealthView,
    delivered: 0,
  };
  const output: WatchedOutput = { healthView: () => o.view, delivered: () => o.delivered };
  return { o, output };
}

const messages = (lines: { msg: string }[]) => lines.map((l) => l.msg);

/** What an operator sees at the default level (the watch's debug line about a failure it saw is left out). */
function infoLogger() {
  const c = capturing();
  c.logger.level = 'info';
  return c;
}

describe('delivery resumed', () => {
  it('a delivery loop failure: resumed with the time down and the backlog, caught up once that backlog is acknowledged', () => {
    const { logger, lines } = infoLogger();
    const { o, output } = watched({ pending: 5 });
    const watch = new DeliveryWatch(() => [output], logger);
    watch.sample(T0);
    o.view = { ...o.view, failure: { since: T0 + 1000, reason: 'connect ECONNREFUSED' }, pending: 300 };
    watch.sample(T0 + 2000);
    watch.sample(T0 + 30_000);
    expect(lines).toEqual([]);
    // The acknowledgement that ends it came at +42 s; the watch samples a little later.
    o.view = { ...o.view, failure: undefined, lastAckAt: T0 + 43_000, pending: 280 };
    o.delivered = 20;
    watch.sample(T0 + 43_500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'delivery resumed: output es was failing for 42 s, with 300 events buffered', output: 'es', downForMs: 42_000, backlogEvents: 300 });
    o.delivered = 299;
    o.view = { ...o.view, pending: 40 };
    watch.sample(T0 + 44_500);
    expect(lines).toHaveLength(1);
    o.delivered = 300;
    watch.sample(T0 + 45_500);
    expect(messages(lines)[1]).toBe('delivery caught up: output es delivered its backlog, 300 events in 2.5 s');
    expect(lines[1]).toMatchObject({ output: 'es', events: 300, tookMs: 2500 });
    watch.sample(T0 + 46_500);
    expect(lines).toHaveLength(2);
  });

  it("an output's own request retries (Elasticsearch unreachable) count as failing, and end with an acknowledgement", () => {
    const { logger, lines } = infoLogger();
    const { o, output } = watched({ pending: 10 });
    const watch = new DeliveryWatch(() => [output], logger);
    watch.sample(T0);
    o.view = { ...o.view, failedRequests: 3, pending: 50 };
    watch.sample(T0 + 1000);
    o.view = { ...o.view, failedRequests: 9, pending: 90 };
    watch.sample(T0 + 10_000);
    expect(lines).toEqual([]);
    o.view = { ...o.view, lastAckAt: T0 + 12_000, pending: 0 };
    o.delivered = 90;
    watch.sample(T0 + 12_100);
    expect(messages(lines)).toEqual(['delivery resumed: output es was failing for 11 s, with 90 events buffered', 'delivery caught up: output es delivered its backlog, 90 events in 0.1 s']);
  });

  it('an output that never failed logs nothing', () => {
    const { logger, lines } = infoLogger();
    const { o, output } = watched();
    const watch = new DeliveryWatch(() => [output], logger);
    for (let i = 0; i < 5; i++) {
      o.view = { ...o.view, pending: i * 10, lastAckAt: T0 + i * 1000 };
      o.delivered += 10;
      watch.sample(T0 + i * 1000);
    }
    expect(lines).toEqual([]);
  });
});

describe("the delivery loop's delivered count", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('counts each record once when acknowledged, not the writes a failure made it repeat', async () => {
    const buffer = new MemoryBuffer({ maxSize: 1 << 30, whenFull: 'block', onDurable: () => {} });
    let failuresLeft = 2;
    const output = (onDurable: (seq: number) => void): Output => ({
      name: 'flaky',
      start: async () => {},
      write: async (b) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error('refused');
        }
        onDurable(b.seq);
      },
      flush: async () => {},
      close: async () => {},
    });
    const delivery = new OutputDelivery(buffer, output, { maxEvents: 3, maxBytes: 1 << 20, lingerMs: 0, recordOverhead: 0, idleGapMs: 50, inFlight: 1 }, pino({ level: 'silent' }));
    stop = () => delivery.stop();
    await buffer.append(eventBatch(1, ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}', '{"n":5}']));
    delivery.start();
    const deadline = Date.now() + 60_000;
    while (!buffer.drained && Date.now() < deadline) await sleep(20);
    expect(buffer.drained).toBe(true);
    expect(delivery.delivered).toBe(5);
  });
});
