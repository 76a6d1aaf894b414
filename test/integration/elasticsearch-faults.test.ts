// Issue 10 §2/§3: Elasticsearch faults through `logship run` (dist/cli.js),
// where the delivery loop rebuilds a failed output and the buffer sends again
// what was not acknowledged. Each test checks by line number that every line
// arrived exactly once. (The same faults one at a time against the output
// class itself: test/unit/es-faults.test.ts.)
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestFault } from '../support/es-server.js';
import { deadLetters, esConfig, shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { esTarget, usingRealEs, type EsTarget } from '../support/es-target.js';
import { logLines, requireEngine, until, useHarness, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, parseNumbered, summarize } from '../support/output.js';
import { formatLines } from '../support/writer.js';

const REBUILD = 'output failed; rebuilding it and delivering again from the oldest unacknowledged record';

const finalStats = (proc: LogshipProcess) =>
  proc.logRecords().find((r) => r.msg === 'final stats' && r.output === 'es') as { events: Record<string, number>; requests: Record<string, number> } | undefined;

/** Every line 1…n in `index` exactly once. */
async function expectExactlyOnce(target: EsTarget, index: string, n: number): Promise<void> {
  const report = checkNumbered(await shippedDocs(target, index), { last: n });
  expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, unexpected: 0 });
}

describe.skipIf(usingRealEs())('elasticsearch faults through logship run', () => {
  const h = useHarness();
  const targets: EsTarget[] = [];
  beforeAll(() => requireEngine());
  afterAll(async () => {
    for (const t of targets) await t.close();
  });
  async function target(opts: Parameters<typeof esTarget>[0] = {}): Promise<EsTarget> {
    const t = await esTarget(opts);
    targets.push(t);
    return t;
  }

  it('a request-level 503 is logged with ES\'s error type and reason (not a bare "HTTP 503"), and the batch delivered', async () => {
    const t = await target();
    t.server!.requestFaults({ status: 503, count: 3 });
    const root = await h.tmp('esf-reason');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 500));
    const proc = h.start(await esConfig(root, t, { index: 'f-reason' }));
    await waitForDocs(t, 'f-reason', 500, { proc });
    expect((await proc.stop()).code).toBe(0);
    await expectExactlyOnce(t, 'f-reason', 500);
    const failed = logLines(proc, 'elasticsearch requests failed; retrying');
    expect(failed.length).toBeGreaterThan(0);
    for (const l of failed) expect(l).toMatchObject({ status: 503, reason: 'HTTP 503 cluster_block_exception: blocked by: [SERVICE_UNAVAILABLE/2/no master];' });
    expect(failed.reduce((n, l) => n + (l.count as number), 0)).toBe(3);
  });

  it('413 on the default gzip path (limit on the decompressed body, Connection: close): split until it fits, a document too large alone dead-lettered', async () => {
    const N = 4_000;
    const t = await target({ maxContentLength: 128 * 1024, tooLarge: 'close' });
    const root = await h.tmp('esf-413-gzip');
    // 100-byte lines; line 2001 is 200 KiB alone (it compresses to almost nothing: the limit is on what ES decodes).
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 2000) + formatLines(2001, 2001, '', 200 * 1024) + formatLines(2002, N));
    const proc = h.start(await esConfig(root, t, { index: 'f-413', batch: { max_bytes: '1MiB', timeout: '1s' } }));
    await waitForDocs(t, 'f-413', N - 1, { proc });
    await until('the oversized line dead-lettered', proc, () => deadLetters(root, 'es').length >= 1);
    expect((await proc.stop()).code).toBe(0);
    const report = checkNumbered(await shippedDocs(t, 'f-413'), { last: N });
    expect(report.duplicates, summarize(report)).toBe(0);
    expect(report.missing).toEqual([2001]);
    const bulks = t.server!.requests.filter((r) => r.path === '/_bulk');
    expect(bulks.every((r) => r.gzip)).toBe(true);
    expect(bulks.some((r) => r.status === 413)).toBe(true);
    const letters = deadLetters(root, 'es');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ status: 413, error: { type: 'request_entity_too_large' } });
    expect(parseNumbered((letters[0]!.event as { message: string }).message)?.n).toBe(2001);
    expect(finalStats(proc)!.requests.split).toBeGreaterThan(0);
  });

  it.each<{ name: string; fault: RequestFault }>([
    { name: 'GET / answered 500', fault: { status: 500, on: 'root', count: 2 } },
    { name: 'GET / answered by a proxy\'s HTML 502 page', fault: { status: 502, on: 'root', count: 2 } },
    { name: 'the data stream\'s index template PUT answered 503', fault: { status: 503, on: 'index_template', count: 2 } },
  ])('$name: the start fails with the reason, the output is rebuilt with backoff, nothing is lost', async ({ fault }) => {
    const t = await target();
    t.server!.requestFaults(fault);
    const root = await h.tmp('esf-start');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 300));
    const stream = fault.on === 'index_template';
    const index = stream ? 'logs-faults-test' : 'f-start';
    const output = stream ? { index: undefined, data_stream: { dataset: 'faults', namespace: 'test' }, index_template: { enabled: true, name: 'ls' } } : { index };
    const proc = h.start(await esConfig(root, t, output));
    await waitForDocs(t, index, 300, { proc });
    expect((await proc.stop()).code).toBe(0);
    await expectExactlyOnce(t, index, 300);
    const rebuilds = logLines(proc, REBUILD);
    expect(rebuilds).toHaveLength(2);
    const why = fault.on === 'root' ? (fault.status === 500 ? /cannot read the server version \(GET \/\): HTTP 500 illegal_state_exception/ : /cannot read the server version \(GET \/\): HTTP 502 \(HTML: 502 Bad Gateway\)/) : /cannot install the index template: HTTP 503 cluster_block_exception/;
    for (const r of rebuilds) expect(r).toMatchObject({ output: 'es', err: expect.stringMatching(why), retryInMs: expect.any(Number) });
    if (stream) expect(t.server!.indexTemplates.get('ls')).toMatchObject({ data_stream: {} });
  });

  it('GET / refused (nothing listening) until the server comes up: rebuilt with backoff, then everything delivered', async () => {
    const t = await target();
    await t.server!.down('refuse');
    const root = await h.tmp('esf-refused');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 300));
    const proc = h.start(await esConfig(root, t, { index: 'f-refused' }));
    await until('two rebuilds', proc, () => logLines(proc, REBUILD).length >= 2);
    for (const r of logLines(proc, REBUILD)) expect(r.err).toMatch(/cannot read the server version \(GET \/\): ConnectionError: .*ECONNREFUSED/);
    await t.server!.up();
    await waitForDocs(t, 'f-refused', 300, { proc });
    expect((await proc.stop()).code).toBe(0);
    await expectExactlyOnce(t, 'f-refused', 300);
  });

  it('concurrency: 2, the earlier batch refused (403) while the later one is indexed: nothing acknowledged past it; the rebuilt output delivers every line once (the later batch\'s as 409s)', async () => {
    const N = 3_000;
    const t = await target();
    const s = t.server!;
    const root = await h.tmp('esf-order');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
    // The first batch (it holds line 1) is refused once, whichever connection carries it first.
    s.requestFaults({ status: 403, where: (body) => body.includes('"line-000001 ') });
    const proc = h.start(await esConfig(root, t, { index: 'f-order', concurrency: 2, batch: { max_bytes: '64KiB', timeout: '1s' } }));
    await waitForDocs(t, 'f-order', N, { proc });
    expect((await proc.stop()).code).toBe(0);
    await expectExactlyOnce(t, 'f-order', N);
    expect(logLines(proc, REBUILD)[0]).toMatchObject({ err: expect.stringContaining('the server refused the credentials: HTTP 403 security_exception') });
    // The first bulk was refused; what else went in before the rebuild came back as 409s, and nothing else did.
    const stats = finalStats(proc)!;
    expect(stats.events.indexed + (stats.events.duplicate ?? 0)).toBeGreaterThanOrEqual(N);
    expect(stats.events.duplicate ?? 0).toBe(s.stats.duplicates409);
    expect(stats.events.indexed).toBe(N);
    expect(deadLetters(root, 'es')).toEqual([]);
  });

  it('7.17 end to end: found with GET /, plain media types, every line once', async () => {
    const t = await target({ version: '7.17.0' });
    const root = await h.tmp('esf-v7');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 500));
    const proc = h.start(await esConfig(root, t, { index: 'f-v7' }));
    await waitForDocs(t, 'f-v7', 500, { proc });
    expect((await proc.stop()).code).toBe(0);
    await expectExactlyOnce(t, 'f-v7', 500);
    expect(proc.logRecords().find((r) => r.msg === 'elasticsearch output ready')).toMatchObject({ version: '7.17.0' });
    for (const r of t.server!.requests.filter((q) => q.path === '/_bulk')) expect([r.status, r.headers['content-type'], r.headers.accept]).toEqual([200, 'application/x-ndjson', 'application/json']);
  });

  it('an unreadable password_file: the start fails naming the file (never its contents), retried until it can be read; nothing lost', async () => {
    const t = await target({ auth: { username: 'shipper', password: 'pw-0123456789' } });
    const root = await h.tmp('esf-secret');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 200));
    const file = path.join(root, 'password');
    const proc = h.start(await esConfig(root, t, { index: 'f-secret', auth: { username: 'shipper', password_file: file } }));
    await until('two rebuilds', proc, () => logLines(proc, REBUILD).length >= 2);
    for (const r of logLines(proc, REBUILD)) expect(r).toMatchObject({ output: 'es', err: `cannot read the secret file ${file}: ENOENT` });
    writeFileSync(file, 'pw-0123456789\n');
    await waitForDocs(t, 'f-secret', 200, { proc });
    expect((await proc.stop()).code).toBe(0);
    await expectExactlyOnce(t, 'f-secret', 200);
    expect(proc.stderr).not.toContain('pw-0123456789');
  });

  it('request timeouts end to end: answers held past request_timeout are sent again; nothing lost, the re-sends absorbed as 409s', async () => {
    const N = 1_000;
    const t = await target();
    const s = t.server!;
    const root = await h.tmp('esf-timeout');
    const log = path.join(root, 'logs', 'app.log');
    writeFileSync(log, '');
    const proc = h.start(await esConfig(root, t, { index: 'f-timeout', request_timeout: '1s' }));
    await until('the output ready', proc, () => proc.logRecords().some((r) => r.msg === 'elasticsearch output ready'));
    s.delay(20_000);
    writeFileSync(log, formatLines(1, N));
    await until('three timed-out requests', proc, () => s.stats.bulkRequests >= 3);
    s.delay(0);
    await waitForDocs(t, 'f-timeout', N, { proc });
    await until('the re-sends answered', proc, () => s.stats.duplicates409 > 0);
    expect((await proc.stop()).code).toBe(0);
    await expectExactlyOnce(t, 'f-timeout', N);
    const stats = finalStats(proc)!;
    expect(stats.requests.failed).toBeGreaterThanOrEqual(3);
    // The first answers were lost with their documents indexed: those came back as 409s. Every line counted once.
    expect(stats.events.duplicate).toBeGreaterThan(0);
    expect((stats.events.indexed ?? 0) + stats.events.duplicate!).toBe(N);
    expect(logLines(proc, 'elasticsearch requests failed; retrying').some((l) => /^TimeoutError: /.test(l.reason as string))).toBe(true);
  });
});
