// Health, readiness and liveness (src/server/health.ts, liveness.ts): the rules
// on samples of the agent's state (the clock is the test's), the delivery
// loop's failure state that feeds them, and a real event-loop stall.
import http from 'node:http';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBuffer } from '../../src/buffer/memory-buffer.js';
import type { Output } from '../../src/output/contract.js';
import { OutputDelivery } from '../../src/pipeline/delivery.js';
import { healthJson, healthText } from '../../src/server/health-body.js';
import { StatusServer } from '../../src/server/http-server.js';
import { evaluateHealth, HealthMonitor, type OutputHealthView, type Phase } from '../../src/server/health.js';
import { LivenessMonitor } from '../../src/server/liveness.js';
import { capturing } from '../support/log-capture.js';
import { sleep } from '../support/logship-process.js';
import { eventBatch } from '../support/records.js';

const GRACE = 30_000;
const settings = { outputFailureGraceMs: GRACE, bufferHighWater: 0.9 };
const T0 = 1_700_000_000_000;

function view(over: Partial<OutputHealthView> = {}): OutputHealthView {
  return { name: 'es', failure: undefined, lastAckAt: undefined, failedRequests: 0, pending: 0, bufferBytes: 0, bufferMaxBytes: 1000, diskFull: false, readinessRequired: false, ...over };
}

const evaluate = (phase: Phase, outputs: OutputHealthView[], now = T0, checkpointDiskFull = false) => evaluateHealth({ phase, outputs, checkpointDiskFull }, () => undefined, settings, now);

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('health rules', () => {
  it('running with delivering outputs: healthy and ready', () => {
    const r = evaluate('running', [view({ bufferBytes: 900 })]);
    expect(r).toMatchObject({ healthy: true, ready: true, problems: [], notReady: [] });
    expect(healthText(r)).toBe('ok\n');
  });

  it('starting and draining fail both /health and /readyz, naming the phase', () => {
    for (const phase of ['starting', 'draining'] as const) {
      const r = evaluate(phase, []);
      expect(r.healthy).toBe(false);
      expect(r.ready).toBe(false);
      expect(r.problems.map((p) => p.check)).toEqual([phase]);
      expect(healthText(r)).toMatch(new RegExp(`^failing\\n${phase}: ${phase}`));
    }
  });

  it('an output failing fails /health only past the grace, with its reason; /readyz stays ready', () => {
    const failing = view({ failure: { since: T0, reason: 'connect ECONNREFUSED 127.0.0.1:9200' }, pending: 10 });
    expect(evaluate('running', [failing], T0 + GRACE - 1)).toMatchObject({ healthy: true, ready: true });
    const r = evaluate('running', [failing], T0 + GRACE);
    expect(r.healthy).toBe(false);
    expect(r.ready).toBe(true);
    expect(r.problems).toEqual([{ check: 'output_failing', output: 'es', since: T0, reason: 'output es failing for 30 s: connect ECONNREFUSED 127.0.0.1:9200' }]);
    const json = JSON.parse(healthJson(r)) as Record<string, unknown>;
    expect(json).toMatchObject({
      status: 'failing',
      phase: 'running',
      ready: true,
      problems: [{ check: 'output_failing', output: 'es', since: new Date(T0).toISOString() }],
      outputs: [{ name: 'es', failingSince: new Date(T0).toISOString(), lastError: 'connect ECONNREFUSED 127.0.0.1:9200', readiness: 'ignored' }],
    });
  });

  it('an output with readiness: required fails /readyz too, once past the grace', () => {
    const failing = view({ failure: { since: T0, reason: 'refused credentials' }, readinessRequired: true });
    expect(evaluate('running', [failing], T0 + 1).ready).toBe(true);
    const r = evaluate('running', [failing], T0 + GRACE);
    expect(r.ready).toBe(false);
    expect(r.notReady.map((p) => p.check)).toEqual(['output_failing']);
  });

  it('a buffer above its high-water mark, and a full disk (under a buffer or the checkpoint), fail /health but not /readyz', () => {
    expect(evaluate('running', [view({ bufferBytes: 900 })]).healthy).toBe(true);
    const high = evaluate('running', [view({ bufferBytes: 901 })]);
    expect(high).toMatchObject({ healthy: false, ready: true });
    expect(high.problems[0]).toMatchObject({ check: 'buffer_high_water', output: 'es' });
    expect(high.problems[0]!.reason).toContain('90.1% full');
    const full = evaluate('running', [view({ diskFull: true })]);
    expect(full).toMatchObject({ healthy: false, ready: true });
    expect(full.problems[0]).toMatchObject({ check: 'disk_full', output: 'es' });
    const checkpoint = evaluate('running', [view()], T0, true);
    expect(checkpoint).toMatchObject({ healthy: false, ready: true });
    expect(checkpoint.problems).toEqual([{ check: 'disk_full', reason: expect.stringMatching(/^checkpoint: disk full/) }]);
  });
});

describe('health monitor', () => {
  it('an output retrying its own requests counts as failing from when the count grew, until an acknowledgement after it', () => {
    let out = view({ pending: 5 });
    const { logger, lines } = capturing();
    const m = new HealthMonitor({ phase: () => 'running', outputs: () => [out], checkpointDiskFull: () => false }, settings, logger);
    expect(m.report(T0).healthy).toBe(true);
    out = { ...out, failedRequests: 3 };
    expect(m.report(T0 + 1000).outputs[0]!.failingSince).toBe(T0 + 1000);
    out = { ...out, failedRequests: 9 };
    const failing = m.report(T0 + 1000 + GRACE);
    expect(failing.healthy).toBe(false);
    expect(failing.problems[0]!.reason).toContain('9 failed so far');
    out = { ...out, lastAckAt: T0 + 1000 + GRACE + 5 };
    expect(m.report(T0 + 1000 + GRACE + 10).healthy).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(['health: failing', 'health: ok']);
  });

  it('an output with nothing pending is not failing, whatever its request counters say', () => {
    let out = view({ pending: 5 });
    const m = new HealthMonitor({ phase: () => 'running', outputs: () => [out], checkpointDiskFull: () => false }, settings, capturing().logger);
    m.report(T0);
    out = { ...out, failedRequests: 1 };
    m.report(T0 + 1);
    out = { ...out, pending: 0 };
    expect(m.report(T0 + GRACE * 2).outputs[0]!.failingSince).toBeUndefined();
  });

  it('logs every change of health or readiness once, with its reasons; the same state again logs nothing', () => {
    let phase: Phase = 'starting';
    let out = view();
    const { logger, lines } = capturing();
    const m = new HealthMonitor({ phase: () => phase, outputs: () => [out], checkpointDiskFull: () => false }, settings, logger);
    m.report(T0);
    phase = 'running';
    m.report(T0);
    m.report(T0);
    out = { ...out, bufferBytes: 950 };
    m.report(T0);
    m.report(T0);
    out = { ...out, diskFull: true };
    m.report(T0);
    phase = 'draining';
    m.report(T0);
    m.report(T0);
    expect(lines.map((l) => [l.msg, l.reasons])).toEqual([
      ['health: ok', undefined],
      ['readiness: ready', undefined],
      ['health: failing', [expect.stringContaining('buffer of es 95.0% full')]],
      ['health: failing', [expect.stringContaining('95.0% full'), expect.stringContaining('disk full')]],
      ['health: failing', [expect.stringContaining('draining'), expect.stringContaining('95.0% full'), expect.stringContaining('disk full')]],
      ['readiness: not ready', [expect.stringContaining('draining')]],
    ]);
  });
});

describe('delivery loop failure state', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('says since when it has been failing and why, keeps the first time across retries, and clears on the next acknowledgement', async () => {
    const buffer = new MemoryBuffer({ maxSize: 1 << 30, whenFull: 'block', onDurable: () => {} });
    let broken = true;
    let attempts = 0;
    const output = (onDurable: (seq: number) => void): Output => ({
      name: 'flaky',
      start: async () => {},
      write: async (b) => {
        attempts++;
        if (broken) throw new Error(`destination refused attempt ${attempts}`);
        onDurable(b.seq);
      },
      flush: async () => {},
      close: async () => {},
    });
    const delivery = new OutputDelivery(buffer, output, { maxEvents: 10, maxBytes: 1 << 20, lingerMs: 0, recordOverhead: 0, idleGapMs: 50, inFlight: 1 }, pino({ level: 'silent' }));
    stop = () => delivery.stop();
    expect(delivery.failure()).toBeUndefined();
    await buffer.append(eventBatch(1, ['{"n":1}']));
    const before = Date.now();
    delivery.start();
    const first = await until('the first failure', () => delivery.failure());
    expect(first.reason).toBe('destination refused attempt 1');
    expect(first.since).toBeGreaterThanOrEqual(before);
    const second = await until('a retry failing', () => attempts >= 2 && delivery.failure()!.reason.endsWith(`attempt ${attempts}`) && delivery.failure());
    expect(second.since).toBe(first.since);
    expect(delivery.lastAckAt).toBeUndefined();
    broken = false;
    await until('the acknowledgement', () => delivery.lastAckAt);
    expect(delivery.failure()).toBeUndefined();
    expect(delivery.lastAckAt).toBeGreaterThanOrEqual(first.since);
  });
});

describe('liveness monitor', () => {
  let monitor: LivenessMonitor | undefined;
  afterEach(() => monitor?.stop());

  it('fails after a stall longer than max_stall (a synchronous busy loop), logs it, and recovers', async () => {
    const { logger, lines } = capturing();
    monitor = new LivenessMonitor(100, logger);
    monitor.start();
    const m = monitor;
    await until('live at first', () => m.state().live);
    // The loop is blocked well past max_stall: however slow the machine, the stall is at least this long.
    const end = performance.now() + 400;
    while (performance.now() < end);
    const during = m.state();
    expect(during.live).toBe(false);
    expect(during.reason).toMatch(/event loop stalled/);
    const stall = await until('the stall measured by the timer', () => {
      const s = m.lastStall();
      return s !== undefined && s.endedAt >= end && s;
    });
    expect(stall.ms).toBeGreaterThan(300);
    await until('live again', () => m.state().live);
    await until('the recovery logged', () => lines.some((l) => l.msg === 'liveness: ok'));
    // A loaded machine may add stalls of its own; the busy loop's is among them.
    expect(lines.some((l) => l.msg === 'liveness: event loop stalled' && (l.stallMs as number) > 300)).toBe(true);
  });
});

describe('status server requests', () => {
  it('answers a request line new URL() cannot parse (GET //) with 404 and keeps serving', async () => {
    const logger = capturing().logger;
    const monitor = new HealthMonitor({ phase: () => 'running', outputs: () => [], checkpointDiskFull: () => false }, settings, logger);
    const server = new StatusServer(new Registry(), monitor, new LivenessMonitor(10_000, logger), logger);
    const { port } = await server.listen('127.0.0.1:0');
    try {
      const status = (p: string) =>
        new Promise<number>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, path: p }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          }).on('error', reject);
        });
      expect(await status('//')).toBe(404);
      expect(await status('/health?format=json&x')).toBe(200);
    } finally {
      await server.close();
    }
  });
});
