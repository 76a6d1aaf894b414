// Issue 5: the elasticsearch output through `logship run`, against the
// ES-compatible server in test/support (or a real cluster with LOGSHIP_ES_URL;
// the tests that need fault injection skip there). Every document is checked
// by id: nothing lost, nothing twice, every refusal in the dead-letter file.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusPortOf } from '../support/admin.js';
import { combineItemFaults, randomItemFaults } from '../support/es-server.js';
import { deadLetters, esConfig, rejectNumbered, shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { esTarget, usingRealEs, type EsTarget } from '../support/es-target.js';
import { logLines, REPO_ROOT, requireEngine, sleep, until, useHarness, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, parseNumbered, summarize } from '../support/output.js';
import { formatLines } from '../support/writer.js';

const fake = !usingRealEs();

const finalOutputStats = (proc: LogshipProcess) =>
  proc.logRecords().find((r) => r.msg === 'final stats' && r.output === 'es') as { events?: Record<string, number>; requests?: Record<string, number> } | undefined;

describe('elasticsearch output', () => {
  const h = useHarness();
  let target: EsTarget;
  beforeAll(async () => {
    requireEngine();
    target = await esTarget();
  });
  afterAll(() => target?.close());

  it('100,000 events: exactly 100,000 distinct _ids, each equal to the event.id of its document', async () => {
    const N = 100_000;
    const index = 'ls-100k';
    await target.deleteIndices(index);
    const root = await h.tmp('es-100k');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
    const proc = h.start(await esConfig(root, target, { index }));
    await waitForDocs(target, index, N, { proc });
    await sleep(500); // anything extra would show up now
    const ids = await target.ids(index);
    expect(ids.length).toBe(N);
    expect(new Set(ids).size).toBe(N);
    const docs = await shippedDocs(target, index);
    const mismatched = docs.filter((d) => d.raw._id !== d.id);
    expect(mismatched.slice(0, 3), 'documents whose _id is not their event.id').toEqual([]);
    const report = checkNumbered(docs, { last: N });
    expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0, unexpected: 0 });
    expect((await proc.stop()).code).toBe(0);
    expect(finalOutputStats(proc)?.events?.indexed).toBe(N);
    if (target.server) {
      expect(target.server.stats.duplicates409).toBe(0);
      // batch.max_bytes (1 MiB here) bounds each body, action lines included; a batch closes once it reaches it.
      const bodies = target.server.requests.filter((r) => r.path === '/_bulk').map((r) => r.decoded.length);
      expect(Math.max(...bodies)).toBeLessThanOrEqual(1024 * 1024 + 1024);
    }
  });

  it.skipIf(!fake)('5 % per-item 429s and 1 % 503s are retried alone until delivered exactly once; 0.5 % mapping errors go to the dead-letter file with their reason', async () => {
    const server = target.server!;
    const N = 40_000;
    const index = 'ls-faults';
    const rejected = (n: number) => n % 200 === 7;
    const R = Array.from({ length: N }, (_, i) => i + 1).filter(rejected).length;
    server.itemFaults(
      combineItemFaults(
        rejectNumbered(rejected),
        randomItemFaults({ seed: 5, rate429: 0.05, rate503: 0.01 }),
      ),
    );
    const before = { ...server.stats };
    try {
      const root = await h.tmp('es-faults');
      writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
      const proc = h.start(await esConfig(root, target, { index }));
      await waitForDocs(target, index, N - R, { proc });
      await until(`${R} dead letters`, proc, () => deadLetters(root, 'es').length >= R);
      await sleep(500);
      expect((await proc.stop()).code).toBe(0);

      const docs = await shippedDocs(target, index);
      const report = checkNumbered(docs, { last: N });
      expect(report.duplicates, summarize(report)).toBe(0);
      expect(report.missing).toEqual(Array.from({ length: N }, (_, i) => i + 1).filter(rejected));
      // Never a success sent again: a re-sent create would have been answered 409.
      expect(server.stats.duplicates409 - before.duplicates409).toBe(0);
      const injected = server.stats.failedItems - before.failedItems;
      expect(injected).toBeGreaterThan(N * 0.05);

      const letters = deadLetters(root, 'es');
      expect(letters.length).toBe(R);
      const lettered = letters.map((l) => parseNumbered((l.event as { message: string }).message)!.n).sort((a, b) => a - b);
      expect(lettered).toEqual(report.missing);
      for (const l of letters) {
        expect(l).toMatchObject({ index, status: 400, error: { type: 'document_parsing_exception', reason: expect.stringContaining('failed to parse') } });
        expect(l._id).toBe((l.event as { event: { id: string } }).event.id);
      }

      // Counted, and logged as one line per distinct reason with its count, not one per document.
      const stats = finalOutputStats(proc)!;
      expect(stats.events).toMatchObject({ indexed: N - R, dead_lettered: R, retried: injected });
      const retriedLines = logLines(proc, 'elasticsearch items rejected; retrying them');
      expect(retriedLines.reduce((n, r) => n + (r.count as number), 0)).toBe(injected);
      expect(new Set(retriedLines.map((r) => r.status))).toEqual(new Set([429, 503]));
      expect(retriedLines.length).toBeLessThan(20);
      const deadLines = logLines(proc, 'elasticsearch items dead-lettered');
      expect(deadLines.reduce((n, r) => n + (r.count as number), 0)).toBe(R);
      expect(deadLines.length).toBeLessThan(10);
    } finally {
      server.itemFaults(undefined);
    }
  });

  it.skipIf(!fake)('request-level failures (503, 429, 500, connection resets after indexing) are retried whole; the 409s of what was indexed count as done', async () => {
    const N = 6_000;
    const index = 'ls-requests';
    const root = await h.tmp('es-requests');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
    const own = await esTarget();
    try {
      const s = own.server!;
      s.requestFaults({ status: 503, count: 3 });
      s.requestFaults({ status: 429, count: 2 });
      s.requestFaults({ status: 500, count: 1 });
      s.resetConnections(3, { afterProcessing: true });
      const proc = h.start(await esConfig(root, own, { index, batch: { max_bytes: '256KiB', timeout: '1s' } }));
      await waitForDocs(own, index, N, { proc });
      await sleep(500);
      expect((await proc.stop()).code).toBe(0);
      const report = checkNumbered(await shippedDocs(own, index), { last: N });
      expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0 });
      expect(s.stats.requestFailures).toBe(6);
      expect(s.stats.connectionResets).toBe(3);
      // The resets lost the answers to requests that were indexed: sent again, they met 409s, counted as done.
      expect(s.stats.duplicates409).toBeGreaterThan(0);
      const stats = finalOutputStats(proc)!;
      expect(stats.requests!.failed).toBe(9);
      // Every item counted once, as indexed or as already there (a reset can also lose the answer holding the 409s).
      expect(stats.events!.duplicate).toBeGreaterThan(0);
      expect(stats.events!.duplicate).toBeLessThanOrEqual(s.stats.duplicates409);
      expect(stats.events!.indexed + stats.events!.duplicate).toBe(N);
      expect(deadLetters(root, 'es')).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it.skipIf(!fake)('413 splits the request until it fits; a document too large alone is dead-lettered', async () => {
    const N = 6_000;
    const index = 'ls-413';
    const root = await h.tmp('es-413');
    // 100-byte lines; one line of 300 KiB that no request under the limit can hold.
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 3000) + formatLines(3001, 3001, '', 300 * 1024) + formatLines(3002, N));
    const limited = await esTarget({ maxContentLength: 256 * 1024 });
    try {
      const s = limited.server!;
      const proc = h.start(await esConfig(root, limited, { index, compression: 'none', batch: { max_bytes: '2MiB', timeout: '1s' } }));
      await waitForDocs(limited, index, N - 1, { proc });
      await until('the oversized document in the dead-letter file', proc, () => deadLetters(root, 'es').length >= 1);
      await sleep(500);
      expect((await proc.stop()).code).toBe(0);
      const report = checkNumbered(await shippedDocs(limited, index), { last: N });
      expect(report.duplicates, summarize(report)).toBe(0);
      expect(report.missing).toEqual([3001]);
      expect(s.requests.some((r) => r.status === 413)).toBe(true);
      expect(logLines(proc, 'elasticsearch requests too large (413); splitting them').length).toBeGreaterThan(0);
      expect(s.stats.duplicates409).toBe(0);
      const letters = deadLetters(root, 'es');
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ status: 413, error: { type: 'request_entity_too_large' } });
      expect(parseNumbered((letters[0]!.event as { message: string }).message)?.n).toBe(3001);
      const stats = finalOutputStats(proc)!;
      expect(stats.requests!.split).toBeGreaterThan(0);
      expect(stats.events!.indexed).toBe(N - 1);
    } finally {
      await limited.close();
    }
  });

  it('data stream mode: create into logs-<dataset>-<namespace> with the data_stream fields; gzip bodies by default', async () => {
    const ds = 'logs-checkout-prod';
    await target.deleteIndices(ds);
    const root = await h.tmp('es-ds');
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ time: new Date(Date.UTC(2024, 4, 1, 12, 0, i % 60)).toISOString(), level: 'info', msg: `line-${String(i + 1).padStart(6, '0')} paid` }));
    writeFileSync(path.join(root, 'logs', 'app.log'), lines.join('\n') + '\n');
    const proc = h.start(await esConfig(root, target, { index: undefined, data_stream: { dataset: 'checkout', namespace: 'prod' } }, { input: { parser: 'json' } }));
    await waitForDocs(target, ds, 500, { proc });
    const docs = await target.docs(ds);
    expect(docs).toHaveLength(500);
    for (const d of docs) expect(d.source).toMatchObject({ data_stream: { type: 'logs', dataset: 'checkout', namespace: 'prod' }, log: { level: 'info' } });
    if (target.server) {
      expect(target.server.dataStreams()).toContain(ds);
      const bulks = target.server.requests.filter((r) => r.path.endsWith('/_bulk'));
      expect(bulks.length).toBeGreaterThan(0);
      for (const r of bulks) {
        expect(r.gzip).toBe(true);
        expect(r.headers['content-encoding']).toBe('gzip');
        const actions = r.decoded.toString('utf8').split('\n').filter((_, i) => i % 2 === 0 && _ !== '');
        for (const a of actions) expect(Object.keys(JSON.parse(a) as object)).toEqual(['create']);
        expect(gunzipSync(r.body).equals(r.decoded)).toBe(true);
      }
    }
    expect((await proc.stop()).code).toBe(0);
  });

  it('index names from each event\'s @timestamp (logs-%Y.%m.%d), uncompressed with compression: none', async () => {
    await target.deleteIndices('ls-days-*');
    const root = await h.tmp('es-days');
    const day = (d: number, i: number) => JSON.stringify({ time: new Date(Date.UTC(2024, 1, 28 + d, 23, 59, i % 60)).toISOString(), msg: `event ${d}/${i}` });
    const lines = [...Array.from({ length: 30 }, (_, i) => day(0, i)), ...Array.from({ length: 20 }, (_, i) => day(1, i)), ...Array.from({ length: 10 }, (_, i) => day(2, i))];
    writeFileSync(path.join(root, 'logs', 'app.log'), lines.join('\n') + '\n');
    const proc = h.start(await esConfig(root, target, { index: 'ls-days-%Y.%m.%d', compression: 'none' }, { input: { parser: 'json' } }));
    await waitForDocs(target, 'ls-days-*', 60, { proc });
    // 2024 is a leap year: Feb 28, Feb 29, Mar 1.
    expect(await target.count('ls-days-2024.02.28')).toBe(30);
    expect(await target.count('ls-days-2024.02.29')).toBe(20);
    expect(await target.count('ls-days-2024.03.01')).toBe(10);
    for (const d of await target.docs('ls-days-2024.02.29')) expect((d.source as { '@timestamp': string })['@timestamp'].slice(0, 10)).toBe('2024-02-29');
    if (target.server) {
      const bulks = target.server.requests.filter((r) => r.path.endsWith('/_bulk') && r.decoded.includes('ls-days-'));
      expect(bulks.length).toBeGreaterThan(0);
      for (const r of bulks) expect(r.gzip).toBe(false);
    }
    expect((await proc.stop()).code).toBe(0);
  });

  describe.skipIf(!fake).each([
    { version: '8.15.3', major: 8 },
    { version: '9.1.0', major: 9 },
  ])('against a $version server', ({ version, major }) => {
    it(`asks GET / with plain JSON, then sends compatible-with=${major} media types it accepts`, async () => {
      const server = await esTarget({ version });
      try {
        const root = await h.tmp(`es-v${major}`);
        writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 1000));
        const proc = h.start(await esConfig(root, server, { index: `ls-v${major}` }));
        await waitForDocs(server, `ls-v${major}`, 1000, { proc });
        const s = server.server!;
        const root0 = s.requests.find((r) => r.path === '/');
        expect(root0?.headers.accept).toBe('application/json');
        const bulks = s.requests.filter((r) => r.path === '/_bulk');
        expect(bulks.length).toBeGreaterThan(0);
        for (const r of bulks) {
          expect(r.status).toBe(200);
          expect(r.headers['content-type']).toBe(`application/vnd.elasticsearch+x-ndjson; compatible-with=${major}`);
          expect(r.headers.accept).toBe(`application/vnd.elasticsearch+json; compatible-with=${major}`);
        }
        expect(proc.logRecords().find((r) => r.msg === 'elasticsearch output ready')).toMatchObject({ version });
        expect((await proc.stop()).code).toBe(0);
      } finally {
        await server.close();
      }
    });
  });

  describe.skipIf(!fake)('credentials', () => {
    const PASSWORD = 's3cr3t-Pa55word-never-logged';
    const API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
    const TOKEN = 'bearer-token-never-logged-0123456789';

    it.each([
      { scheme: 'basic auth with password_file', auth: { username: 'shipper', password: PASSWORD }, header: `Basic ${Buffer.from(`shipper:${PASSWORD}`).toString('base64')}`, secret: PASSWORD },
      { scheme: 'an API key from the environment', auth: { apiKey: API_KEY }, header: `ApiKey ${API_KEY}`, secret: API_KEY },
      { scheme: 'a bearer token', auth: { bearer: TOKEN }, header: `Bearer ${TOKEN}`, secret: TOKEN },
    ])('sends $scheme as the server expects, and never logs it', async ({ auth, header, secret }) => {
      const server = await esTarget({ auth });
      try {
        const root = await h.tmp('es-auth');
        writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 200));
        writeFileSync(path.join(root, 'password'), `${PASSWORD}\n`);
        const authConfig =
          'username' in auth ? { username: 'shipper', password_file: path.join(root, 'password') } : 'apiKey' in auth ? { api_key: '${ES_API_KEY}' } : { bearer_token: TOKEN };
        // Some requests fail first, so error paths log too: none of them may carry the secret.
        server.server!.requestFaults({ status: 503, count: 2 });
        const proc = h.start(await esConfig(root, server, { index: 'ls-auth', auth: authConfig, retry: { initial_backoff: '10ms', max_backoff: '50ms' } }), { ES_API_KEY: API_KEY });
        await waitForDocs(server, 'ls-auth', 200, { proc });
        const bulks = server.server!.requests.filter((r) => r.path === '/_bulk');
        expect(bulks.length).toBeGreaterThan(2);
        for (const r of bulks) expect(r.headers.authorization).toBe(header);
        expect((await proc.stop()).code).toBe(0);
        expect(proc.stderr).not.toContain(secret);
        expect(proc.stderr).not.toContain(header);
      } finally {
        await server.close();
      }
    });

    it('a refused password is a loud failure naming no secret; the output is rebuilt and a rotated password_file is read again', async () => {
      const server = await esTarget({ auth: { username: 'shipper', password: PASSWORD } });
      try {
        const root = await h.tmp('es-auth-wrong');
        writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 50));
        const file = path.join(root, 'password');
        writeFileSync(file, 'wrong-password-xyz\n');
        // api_version given: start() asks nothing, so the 401s come from _bulk requests in flight.
        const proc = h.start(await esConfig(root, server, { index: 'ls-wrong', api_version: 9, auth: { username: 'shipper', password_file: file } }));
        const rebuilds = () => logLines(proc, 'output failed; rebuilding it and delivering again from the oldest unacknowledged record');
        await until('three rebuilds after 401s', proc, () => rebuilds().length >= 3, 30_000);
        expect(proc.stderr).toContain('HTTP 401');
        // Writes that return before their requests fail must not reset the backoff: it keeps growing.
        const waits = rebuilds().map((r) => r.retryInMs as number);
        expect(waits[2]!).toBeGreaterThan(waits[0]!);
        expect(server.server!.count('ls-wrong')).toBe(0);
        writeFileSync(file, `${PASSWORD}\n`);
        await waitForDocs(server, 'ls-wrong', 50, { proc, timeoutMs: 60_000 });
        expect((await proc.stop()).code).toBe(0);
        for (const secret of ['wrong-password-xyz', PASSWORD, Buffer.from('shipper:wrong-password-xyz').toString('base64')]) expect(proc.stderr).not.toContain(secret);
        expect(deadLetters(root, 'es')).toEqual([]);
      } finally {
        await server.close();
      }
    });
  });

  describe.skipIf(!fake)('TLS', () => {
    const tlsFile = (name: string) => path.join(REPO_ROOT, 'fixtures', 'tls', name);
    const serverTls = { key: readFileSync(tlsFile('server.key')), cert: readFileSync(tlsFile('server.crt')) };

    async function shipOver(name: string, serverOpts: Parameters<typeof esTarget>[0], tls: Record<string, unknown>, expectDelivered: boolean) {
      const server = await esTarget(serverOpts);
      try {
        expect(server.url.startsWith('https://')).toBe(true);
        const root = await h.tmp(`es-tls-${name}`);
        writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 100));
        const proc = h.start(await esConfig(root, server, { index: 'ls-tls', tls }, { top: { shutdown: { timeout: '1s' } } }));
        if (expectDelivered) await waitForDocs(server, 'ls-tls', 100, { proc });
        // A server that wants a client certificate just drops the connection (TLS 1.3): undici says "other side closed".
        else await until('a refused TLS connection logged', proc, () => /certificate|self.signed|unable to verify|other side closed/i.test(proc.stderr), 30_000);
        expect((await proc.stop()).code).toBe(0);
        if (!expectDelivered) expect(server.server!.count('ls-tls')).toBe(0);
        return proc;
      } finally {
        await server.close();
      }
    }

    it('verifies the server against ca_file and delivers', async () => {
      const proc = await shipOver('ca', { tls: serverTls }, { ca_file: tlsFile('ca.crt') }, true);
      expect(proc.stderr).not.toContain('TLS CERTIFICATE VERIFICATION IS OFF');
    });

    it('refuses a server its trust store does not vouch for: nothing delivered, the reason logged', async () => {
      await shipOver('untrusted', { tls: serverTls }, {}, false);
    });

    it('tls.verify: false delivers to that server, with a loud warning', async () => {
      const proc = await shipOver('noverify', { tls: serverTls }, { verify: false }, true);
      expect(proc.logRecords().find((r) => typeof r.msg === 'string' && r.msg.startsWith('TLS CERTIFICATE VERIFICATION IS OFF'))).toMatchObject({ level: 'warn' });
    });

    it('presents cert_file/key_file to a server that requires a client certificate', async () => {
      const mtls = { tls: { ...serverTls, ca: readFileSync(tlsFile('ca.crt')) } };
      await shipOver('mtls', mtls, { ca_file: tlsFile('ca.crt'), cert_file: tlsFile('client.crt'), key_file: tlsFile('client.key') }, true);
      await shipOver('mtls-nocert', mtls, { ca_file: tlsFile('ca.crt') }, false);
    });
  });

  it.skipIf(!fake)('index_template: installs the ECS component template and an index template for the index pattern at start', async () => {
    const server = await esTarget();
    try {
      const root = await h.tmp('es-template');
      writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 10));
      const proc = h.start(await esConfig(root, server, { index: 'app-logs-%Y.%m.%d', index_template: { enabled: true, name: 'app' } }));
      await waitForDocs(server, 'app-logs-*', 10, { proc });
      const s = server.server!;
      const component = s.componentTemplates.get('app-ecs-mappings') as { template: { mappings: { properties: Record<string, unknown> } } };
      expect(component.template.mappings.properties).toMatchObject({ '@timestamp': { type: 'date' }, event: { properties: { id: { type: 'keyword' } } } });
      expect(s.indexTemplates.get('app')).toMatchObject({ index_patterns: ['app-logs-*.*.*'], composed_of: ['app-ecs-mappings'], priority: 200 });
      expect((await proc.stop()).code).toBe(0);
    } finally {
      await server.close();
    }
  });

  it.skipIf(!fake)('retry.max_duration: items still refused after it are dead-lettered with the last reason; the rest are indexed', async () => {
    const server = target.server!;
    const index = 'ls-maxdur';
    server.itemFaults((item) => {
      const n = item.index === index ? parseNumbered((JSON.parse(item.source) as { message: string }).message)?.n : undefined;
      return n !== undefined && n % 10 === 3 ? 429 : undefined;
    });
    try {
      const root = await h.tmp('es-maxdur');
      writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 100));
      const proc = h.start(await esConfig(root, target, { index, retry: { initial_backoff: '20ms', max_backoff: '100ms', max_duration: '1s' } }));
      // line-000003, 13, 23, … 93: 10 of 100 are always refused.
      await waitForDocs(target, index, 90, { proc });
      await until('10 dead letters', proc, () => deadLetters(root, 'es').length >= 10);
      const letters = deadLetters(root, 'es');
      expect(letters.map((l) => parseNumbered((l.event as { message: string }).message)!.n).sort((a, b) => a - b)).toEqual([3, 13, 23, 33, 43, 53, 63, 73, 83, 93]);
      for (const l of letters) expect(l).toMatchObject({ status: 429, error: { reason: expect.stringContaining('retry.max_duration') } });
      await proc.stop();
      expect(logLines(proc, 'elasticsearch items dead-lettered').reduce((n, r) => n + (r.count as number), 0)).toBe(10);
      expect(finalOutputStats(proc)!.events).toMatchObject({ indexed: 90, dead_lettered: 10 });
      expect((await proc.stop()).code).toBe(0);
    } finally {
      server.itemFaults(undefined);
    }
  });

  it('exposes the outcome counters on /metrics', async () => {
    const index = 'ls-metrics';
    await target.deleteIndices(index);
    const root = await h.tmp('es-metrics');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 300));
    const proc = h.start(await esConfig(root, target, { index }, { top: { server: { listen: '127.0.0.1:0' } } }));
    await waitForDocs(target, index, 300, { proc });
    const port = await statusPortOf(proc);
    let text = '';
    await until(
      'indexed 300 on /metrics',
      proc,
      async () => {
        text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return text.includes('logship_output_events_total{output="es",outcome="indexed"} 300');
      },
      10_000,
    );
    expect(text).toMatch(/logship_output_requests_total\{output="es",outcome="sent"\} [1-9]/);
    expect((await proc.stop()).code).toBe(0);
  });
});
