// The live view's parts on their own: the buffer age from counts, the history
// ring's bound, the tap hub and a tap client's rate, limit and drops, the
// /api/tap query checks, and top's text.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BufferAge } from '../../src/admin/buffer-age.js';
import { HistoryRing } from '../../src/admin/history-ring.js';
import { TapClient, type TapRequest } from '../../src/admin/tap-client.js';
import { TapHub } from '../../src/admin/tap-hub.js';
import { parseTapRequest } from '../../src/admin/tap-request.js';
import { renderTop, type TopStatus } from '../../src/cli/top-view.js';
import { recordsFromJson } from '../../src/output/record-batch.js';
import { ConfigError, parseConfigText } from '../../src/config/load.js';

/** A response that takes `room` writes, then reports backpressure until drain(). */
class SlowResponse extends EventEmitter {
  written: string[] = [];
  ended = false;
  constructor(public room: number) {
    super();
  }
  write(chunk: string): boolean {
    this.written.push(chunk);
    return --this.room > 0;
  }
  end(): void {
    this.ended = true;
  }
  drain(room: number): void {
    this.room = room;
    this.emit('drain');
  }
  lines(): Record<string, unknown>[] {
    return this.written.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const batch = (n: number, from = 0) => {
  const jsons = Array.from({ length: n }, (_, i) => JSON.stringify({ message: `m${from + i}` }));
  return recordsFromJson(jsons, new Float64Array(n), jsons.map((_, i) => `id${from + i}`));
};

function tap(over: Partial<TapRequest>, res: SlowResponse, hub: TapHub) {
  const req: TapRequest = { stage: 'parsed', input: undefined, output: undefined, limit: Infinity, rate: Infinity, ...over };
  let detach = () => {};
  const client = new TapClient(req, res as unknown as ServerResponse, () => detach());
  detach = hub.attach(client);
  return client;
}

describe('BufferAge', () => {
  it('ages the oldest pending record from the sample before it entered, and counts what was acknowledged', () => {
    const age = new BufferAge(0);
    const buffer = { stats: () => ({ pending: 0, droppedEvents: 0 }) };
    expect(age.sample(1000, 0, 0)).toBeUndefined();
    age.appending(10, buffer);
    expect(age.sample(2000, 10, 0)).toBe(1000); // entered after the 1000 ms sample
    age.appending(5, buffer);
    expect(age.sample(3000, 15, 0)).toBe(2000);
    // The first 10 acknowledged: the oldest pending entered after the 2000 ms sample.
    expect(age.sample(4000, 5, 0)).toBe(2000);
    expect(age.acknowledged(5, 0)).toBe(10);
    expect(age.sample(5000, 0, 0)).toBeUndefined();
  });

  it('counts records left from the previous run from the start, and leaves dropped ones out', () => {
    const age = new BufferAge(100);
    age.appending(4, { stats: () => ({ pending: 7, droppedEvents: 2 }) });
    expect(age.sample(1100, 11, 2)).toBe(1000);
    // Two of the four were dropped (when_full: drop_newest): 9 entered in all.
    expect(age.acknowledged(3, 4)).toBe(6);
  });
});

describe('HistoryRing', () => {
  it('keeps the last `size` samples, oldest first', () => {
    const ring = new HistoryRing(3);
    expect(ring.toArray()).toEqual([]);
    for (const v of [1, 2, 3, 4, 5]) ring.push(v);
    expect(ring.toArray()).toEqual([3, 4, 5]);
  });
});

describe('tap hub and client', () => {
  it('is inactive with no tap, and filters by stage, input and output', () => {
    const hub = new TapHub();
    expect([hub.reading, hub.parsing, hub.shipping]).toEqual([false, false, false]);
    const parsedA = new SlowResponse(100);
    const toB = new SlowResponse(100);
    const shipped = new SlowResponse(100);
    tap({ input: 'a' }, parsedA, hub);
    tap({ output: 'b' }, toB, hub);
    tap({ stage: 'shipped', output: 'b' }, shipped, hub);
    expect([hub.reading, hub.parsing, hub.shipping]).toEqual([false, true, true]);
    hub.parsed('a', ['x'], batch(2));
    hub.parsed('c', ['b'], batch(1, 10));
    hub.shipped('x', batch(1, 20));
    hub.shipped('b', batch(1, 30));
    expect(parsedA.lines()).toEqual([{ stage: 'parsed', input: 'a', event: { message: 'm0' } }, { stage: 'parsed', input: 'a', event: { message: 'm1' } }]);
    expect(toB.lines()).toEqual([{ stage: 'parsed', input: 'c', event: { message: 'm10' } }]);
    expect(shipped.lines()).toEqual([{ stage: 'shipped', output: 'b', event: { message: 'm30' } }]);
    hub.read('a', { source: { path: '/x.log' }, texts: ['raw'], offsets: [7] });
    expect(parsedA.written).toHaveLength(2);
  });

  it('ends at the limit and detaches', () => {
    const hub = new TapHub();
    const res = new SlowResponse(100);
    tap({ limit: 3 }, res, hub);
    hub.parsed('a', [], batch(2));
    hub.parsed('a', [], batch(2, 2));
    expect(res.lines().map((l) => (l.event as { message: string }).message)).toEqual(['m0', 'm1', 'm2']);
    expect(res.ended).toBe(true);
    expect(hub.parsing).toBe(false);
  });

  it('sends at most `rate` events a second', () => {
    const hub = new TapHub();
    const res = new SlowResponse(100);
    tap({ rate: 2 }, res, hub);
    hub.parsed('a', [], batch(5));
    hub.parsed('a', [], batch(5));
    // Whatever the clock did between the two calls, one second's window holds two.
    expect(res.written.length === 2 || res.written.length === 4).toBe(true);
  });

  it('queues for a client that does not keep up, then drops and says how many', () => {
    const hub = new TapHub();
    const res = new SlowResponse(1);
    tap({}, res, hub);
    hub.parsed('a', [], batch(1)); // taken; the socket is full now
    hub.parsed('a', [], batch(1500, 1)); // queued up to the bound, the rest dropped
    expect(res.written).toHaveLength(1);
    res.drain(Infinity);
    const lines = res.lines();
    const events = lines.filter((l) => l.tap === undefined);
    const notice = lines.at(-1)!;
    expect(notice).toMatchObject({ tap: 'dropped', droppedTotal: 1501 - events.length });
    expect(events.length).toBeGreaterThan(1);
    expect(events.length).toBeLessThan(1501);
    // Nothing lost from what was queued: in order, without gaps.
    expect(events.map((e) => (e.event as { message: string }).message)).toEqual(events.map((_, i) => `m${i}`));
  });
});

describe('parseTapRequest', () => {
  const names = { inputs: ['app'], outputs: ['es'] };
  const parse = (q: string, raw = false) => parseTapRequest(new URLSearchParams(q), names, raw);
  it('reads the stage, filters, limit and rate', () => {
    expect(parse('')).toEqual({ stage: 'parsed', input: undefined, output: undefined, limit: Infinity, rate: Infinity });
    expect(parse('stage=shipped&output=es&limit=5&rate=2')).toEqual({ stage: 'shipped', input: undefined, output: 'es', limit: 5, rate: 2 });
    expect(parse('stage=read&input=app', true)).toMatchObject({ stage: 'read', input: 'app' });
  });
  it('names what is wrong', () => {
    expect(parse('stage=read')).toEqual({ status: 403, error: expect.stringContaining('server.admin_allow_raw: true') });
    expect(parse('stage=raw')).toEqual({ status: 400, error: 'stage: expected one of read, parsed, shipped, got "raw"' });
    expect(parse('input=web')).toEqual({ status: 400, error: 'input: no input named "web" (inputs: app)' });
    expect(parse('output=s3')).toEqual({ status: 400, error: 'output: no output named "s3" (outputs: es)' });
    expect(parse('limit=0')).toEqual({ status: 400, error: 'limit: expected a whole number above 0, got "0"' });
    expect(parse('rate=fast')).toEqual({ status: 400, error: 'rate: expected a whole number above 0, got "fast"' });
  });
});

describe('renderTop', () => {
  it('shows readiness with its reasons, one row per input and output, and the last errors', () => {
    const s: TopStatus = {
      time: '2026-01-01T00:02:05.000Z',
      startedAt: '2026-01-01T00:00:00.000Z',
      phase: 'running',
      healthy: false,
      ready: false,
      notReady: [{ reason: 'output es failing for 31.0 s: connect ECONNREFUSED' }],
      problems: [{ reason: 'output es failing for 31.0 s: connect ECONNREFUSED' }],
      inputs: [{ name: 'app', filesTracked: 2, linesPerSecond: 1200, eventsPerSecond: 1100.5, events: 123456, lagBytes: 5 * 1024 * 1024, parseFailures: 3 }],
      outputs: [{ name: 'es', type: 'elasticsearch', eventsPerSecond: 0, acknowledged: 100000, bufferBytes: 2048, bufferMaxBytes: 1024 ** 3, oldestAgeSeconds: 95, retries: 7, deadLetters: 1, failure: 'connect ECONNREFUSED' }],
      lastErrors: [{ time: '2026-01-01T00:01:34.000Z', source: 'output es', message: 'connect ECONNREFUSED' }],
    };
    expect(renderTop(s, '127.0.0.1:2021')).toBe(
      [
        'logship at 127.0.0.1:2021: NOT READY, running, unhealthy, up 2m05s  (2026-01-01T00:02:05.000Z)',
        '  not ready: output es failing for 31.0 s: connect ECONNREFUSED',
        '',
        'INPUT  FILES  LINES/S  EVENTS/S   EVENTS   BEHIND  PARSE FAILURES',
        'app        2   1200.0    1100.5  123,456  5.0 MiB               3',
        '',
        'OUTPUT  TYPE           EVENTS/S  ACKNOWLEDGED             BUFFER  OLDEST  RETRIES  DEAD LETTERS  FAILURE',
        'es      elasticsearch       0.0       100,000  2.0 KiB / 1.0 GiB   1m35s        7             1  connect ECONNREFUSED',
        '',
        'LAST ERRORS',
        '  2026-01-01T00:01:34.000Z  output es: connect ECONNREFUSED',
        '',
      ].join('\n'),
    );
  });
});

describe('server.admin_listen', () => {
  const config = (server: string) => `inputs: [{ paths: [/tmp/x.log] }]\noutputs: [{ type: stdout }]\nserver: ${server}\n`;
  it('is off unless set, and checked like server.listen', () => {
    const off = parseConfigText(config('{ listen: "127.0.0.1:2020" }'), 'x.yaml');
    expect(off.server).toMatchObject({ admin_allow_raw: false });
    expect(off.server?.admin_listen).toBeUndefined();
    const on = parseConfigText(config('{ listen: "0.0.0.0:2020", admin_listen: "127.0.0.1:2021", admin_allow_raw: true }'), 'x.yaml');
    expect(on.server).toMatchObject({ admin_listen: '127.0.0.1:2021', admin_allow_raw: true });
    let problems: string[] = [];
    try {
      parseConfigText(config('{ listen: "0.0.0.0:2020", admin_listen: "localhost" }'), 'x.yaml');
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems.join('\n')).toContain('server.admin_listen: expected host:port');
  });
});
