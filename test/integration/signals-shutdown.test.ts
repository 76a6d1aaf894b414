// Signals and the shutdown deadline, on a real process:
// - SIGHUP reloads the config (an unchanged one: nothing is rebuilt) and never kills the process;
// - a stop with a request in flight ends at shutdown.timeout, not when the
//   request does: the request is abandoned, its events stay in the buffer, and
//   the next start delivers them. Timing is read from the process's own log
//   (its timestamps), never from the test's wall clock.
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EsServer } from '../support/es-server.js';
import { baseConfig, logLines, until, useHarness, writeConfig } from '../support/logship-process.js';
import { readOutput } from '../support/output.js';
import { formatLines } from '../support/writer.js';

const h = useHarness();
let server: EsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const logTime = (r: Record<string, unknown>) => Date.parse(String(r.time));

describe('SIGHUP', () => {
  it('reloads the (unchanged) config once per signal; the process keeps shipping and stops cleanly on SIGTERM', async () => {
    const root = await h.tmp('sighup');
    const log = path.join(root, 'logs', 'app.log');
    await writeFile(log, formatLines(1, 10));
    const proc = h.start(await writeConfig(root, baseConfig(root, [{ paths: [log] }])));
    const shipped = (n: number) => () => readOutput(path.join(root, 'out')).events.length >= n;
    await until('the first 10 lines shipped', proc, shipped(10));

    proc.child.kill('SIGHUP');
    await until('one reload', proc, () => logLines(proc, 'config reloaded').length === 1);
    proc.child.kill('SIGHUP');
    await until('a second reload', proc, () => logLines(proc, 'config reloaded').length === 2);

    await appendFile(log, formatLines(11, 20));
    await until('lines written after the SIGHUPs shipped', proc, shipped(20));
    expect(proc.running, proc.describe()).toBe(true);
    expect(await proc.stop(60_000)).toEqual({ code: 0, signal: null });
  });
});

describe('shutdown.timeout with a request in flight', () => {
  it('the stop ends at the deadline, abandons the request, keeps its events in the buffer, and the next start delivers them', async () => {
    server = await EsServer.start();
    const root = await h.tmp('deadline');
    const log = path.join(root, 'logs', 'app.log');
    const index = 'deadline';
    const TIMEOUT_MS = 3000;
    const config = {
      ...baseConfig(root, [{ paths: [log] }]),
      shutdown: { timeout: `${TIMEOUT_MS}ms` },
      outputs: [{ type: 'elasticsearch', name: 'es', hosts: server.url, index, api_version: 9, request_timeout: '1h', batch: { timeout: '200ms' }, retry: { initial_backoff: '50ms', max_backoff: '1s' } }],
    };
    const cfgPath = await writeConfig(root, config);
    await writeFile(log, formatLines(1, 100));
    const first = h.start(cfgPath);
    await until('100 documents indexed', first, () => server!.ids(index).length >= 100);

    // Every answer is held for an hour from now on: the next _bulk stays in flight.
    server.delay(3_600_000);
    const bulkBefore = server.stats.bulkRequests;
    await appendFile(log, formatLines(101, 150));
    await until('a _bulk request in flight', first, () => server!.stats.bulkRequests > bulkBefore);

    first.child.kill('SIGTERM');
    const exit = await Promise.race([first.exited, new Promise((r) => setTimeout(r, 120_000, 'still running 120 s after SIGTERM'))]);
    expect(exit, first.describe()).toEqual({ code: 0, signal: null });

    const [signal] = logLines(first, 'signal received');
    const [abandoned] = logLines(first, /^shutdown deadline reached with a write in flight/);
    const [stopped] = logLines(first, 'stopped');
    expect(signal && abandoned && stopped, first.describe()).toBeTruthy();
    const pending = (abandoned!.pendingEvents as number) ?? 0;
    expect(pending, 'events left in the buffer by the abandoned request').toBeGreaterThan(0);
    // By the process's own clock: it waited for the deadline, and stopped right at it (a margin for log writes).
    expect(logTime(abandoned!) - logTime(signal!)).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(logTime(stopped!) - logTime(signal!), first.describe()).toBeLessThanOrEqual(TIMEOUT_MS + 1000);

    // The next start sends the abandoned events again (the server already had them: answered as duplicates).
    await server.clearFaults();
    const itemsBefore = server.stats.itemsReceived;
    const second = h.start(cfgPath);
    await until('the abandoned events delivered again', second, () => server!.stats.itemsReceived - itemsBefore >= pending);
    await until('all 150 lines in the index', second, () => server!.ids(index).length >= 150);
    expect(await second.stop(60_000)).toEqual({ code: 0, signal: null });
    expect(new Set(server.ids(index)).size).toBe(150);
  });
});
