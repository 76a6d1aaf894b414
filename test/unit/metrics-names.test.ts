// /metrics follows Prometheus conventions: every `_total` metric is a real
// counter (not a gauge computed at scrape), the process metrics carry the
// prefix once (logship_process_…, never logship_process_process_…), and the
// names come from the one list in src/server/metrics.ts.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS, createMetrics, type MetricsSource } from '../../src/server/metrics.js';
import { StatusServer } from '../../src/server/http-server.js';
import { HealthMonitor } from '../../src/server/health.js';
import { LivenessMonitor } from '../../src/server/liveness.js';
import { capturing } from '../support/log-capture.js';

let server: StatusServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const counts = { events: 7 };
const source: MetricsSource = {
  inputs: () => [{ input: 'app', events: counts.events, parseFailures: 1, blankLines: 0, droppedRecords: 0, parsedBy: { json: 3, plain: 1 }, tailer: { truncatedLines: 2, filesTracked: 3, filesMatched: 3, rotations: 4, truncations: 5, truncationsWithLoss: 0 } as never }],
  outputs: () => [{
    output: 'es',
    buffer: { bytes: 10, pending: 2, droppedEvents: 0, quarantinedPlaces: 0, quarantinedBytes: 0, lostRecords: 0, diskFull: false, dirVanished: 0, writeErrors: { EIO: 1 } } as never,
    counters: { events: { indexed: 5 }, requests: { sent: 1 } },
  }],
  checkpoint: () => ({ writeErrors: { ENOSPC: 2 }, diskFull: true }),
};

async function scrape(): Promise<string> {
  const logger = capturing().logger;
  const health = new HealthMonitor({ phase: () => 'running', outputs: () => [], checkpointDiskFull: () => false }, { outputFailureGraceMs: 30_000, bufferHighWater: 0.9 }, logger);
  server = server ?? new StatusServer(createMetrics(source), health, new LivenessMonitor(10_000, logger), logger);
  const bound: AddressInfo = (server as unknown as { server?: { address(): AddressInfo } }).server?.address() ?? (await server.listen('127.0.0.1:0'));
  const res = await fetch(`http://127.0.0.1:${bound.port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** `# TYPE name type` lines of an exposition. */
function types(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('/metrics names and types', () => {
  it('every _total metric is a counter, and no name doubles the process prefix', async () => {
    const typed = types(await scrape());
    const totals = [...typed].filter(([name]) => name.endsWith('_total'));
    expect(totals.length).toBeGreaterThan(10);
    expect(totals.filter(([, type]) => type !== 'counter'), 'a _total that is not a counter').toEqual([]);
    expect([...typed.keys()].filter((n) => n.includes('process_process')), 'a doubled prefix').toEqual([]);
    expect([...typed.keys()].filter((n) => !n.startsWith('logship_')), 'a metric without the logship_ prefix').toEqual([]);
    expect(typed.get('logship_process_cpu_seconds_total')).toBe('counter');
    expect(typed.get('logship_process_resident_memory_bytes')).toBe('gauge');
  });

  it('every metric of the list is exposed with its declared type, and counters follow the agent across scrapes', async () => {
    const first = await scrape();
    const typed = types(first);
    for (const def of METRICS) expect(typed.get(def.name), def.name).toBe(def.type);
    expect(first).toContain('logship_input_events_total{input="app"} 7');
    counts.events = 12;
    expect(await scrape()).toContain('logship_input_events_total{input="app"} 12');
    expect(first).toContain('logship_output_events_total{output="es",outcome="indexed"} 5');
  });

  it('names follow the conventions: counters end in _total, nothing else does', () => {
    for (const def of METRICS) {
      expect(def.name).toMatch(/^logship_[a-z_]+$/);
      expect(def.name.endsWith('_total'), def.name).toBe(def.type === 'counter');
    }
  });
});
