// Issue 15: the opensearch output through `logship run` and the real
// @opensearch-project/opensearch client, against the OpenSearch personality of
// the test server (test/support/opensearch-server.ts), or a real cluster with
// LOGSHIP_OPENSEARCH_URL (https://admin:pw@host:9200; LOGSHIP_OPENSEARCH_INSECURE=1
// for a self-signed certificate; the fault-injection tests skip there).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combineItemFaults, EsServer, randomItemFaults } from '../support/es-server.js';
import { deadLetters, rejectNumbered, shippedDocs, waitForDocs } from '../support/es-shipping.js';
import { requireEngine, until, useHarness, type LogshipProcess } from '../support/logship-process.js';
import { openSearchTarget, usingRealOpenSearch, type OpenSearchTarget } from '../support/opensearch-target.js';
import { checkNumbered, summarize } from '../support/output.js';
import { formatLines } from '../support/writer.js';
import { osConfig } from '../support/opensearch-shipping.js';

const fake = !usingRealOpenSearch();
const SIGV4 = { accessKeyId: 'AKIDLOGSHIPTEST', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'eu-west-1', service: 'es' as const };
/** The AWS default chain reads the environment first; the files point nowhere so nothing else is found. */
const awsEnv = (secret: string) => ({
  AWS_ACCESS_KEY_ID: SIGV4.accessKeyId,
  AWS_SECRET_ACCESS_KEY: secret,
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
});

const finalStats = (proc: LogshipProcess) =>
  proc.logRecords().find((r) => r.msg === 'final stats' && r.output === 'os') as { events?: Record<string, number> } | undefined;

describe('opensearch output', () => {
  const h = useHarness();
  let target: OpenSearchTarget;
  beforeAll(async () => {
    requireEngine();
    target = await openSearchTarget();
  });
  afterAll(() => target?.close());

  it('20,000 events: _id = event.id for each, never a _type or a compatible-with media type, ids far below 512 bytes', async () => {
    const N = 20_000;
    const index = 'ls-os-ids';
    await target.deleteIndices(index);
    const root = await h.tmp('os-ids');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
    const proc = h.start(await osConfig(root, target, { index }));
    await waitForDocs(target, index, N, { proc });
    expect((await proc.stop()).code).toBe(0);
    const docs = await shippedDocs(target, index);
    expect(docs.filter((d) => d.raw._id !== d.id).slice(0, 3), 'documents whose _id is not their event.id').toEqual([]);
    expect(Math.max(...docs.map((d) => Buffer.byteLength(d.id ?? '')))).toBeLessThan(512);
    const report = checkNumbered(docs, { last: N });
    expect(report, summarize(report)).toMatchObject({ missing: [], duplicates: 0, idCollisions: [], missingIds: 0, unexpected: 0 });
    expect(finalStats(proc)?.events?.indexed).toBe(N);
    expect(proc.logRecords().find((r) => r.msg === 'opensearch output ready')).toMatchObject({ ids: 'event.id', ...(fake && { version: '2.19.1' }) });
    if (target.os) {
      expect(target.os.stats).toMatchObject({ typeRejected: 0, compatibleWithRejected: 0, longIdRejected: 0 });
      expect(target.os.stats.rootRequests, 'GET / asked at start').toBeGreaterThan(0);
      const bulks = target.server!.requests.filter((r) => r.path === '/_bulk');
      expect(bulks.length).toBeGreaterThan(0);
      // gzip by default, plain NDJSON: the media types OpenSearch takes.
      for (const r of bulks) expect({ gzip: r.gzip, type: r.headers['content-type'] }).toEqual({ gzip: true, type: 'application/x-ndjson' });
    }
  });

  it('data stream by default (logs-generic-default), as OpenSearch has since 1.0', async () => {
    const N = 300;
    const stream = 'logs-generic-default';
    await target.deleteIndices(stream);
    const root = await h.tmp('os-ds');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
    const proc = h.start(await osConfig(root, target, { index: undefined }));
    await waitForDocs(target, stream, N, { proc });
    expect((await proc.stop()).code).toBe(0);
    const docs = await shippedDocs(target, stream);
    expect(checkNumbered(docs, { last: N })).toMatchObject({ missing: [], duplicates: 0 });
    expect(docs[0]!.raw.data_stream).toEqual({ type: 'logs', dataset: 'generic', namespace: 'default' });
    if (target.server) expect(target.server.dataStreams()).toContain(stream);
  });

  it.skipIf(!fake)('per-item 429s and 503s are retried alone until delivered exactly once; mapping errors go to the dead-letter file', async () => {
    const server = target.server!;
    const N = 10_000;
    const index = 'ls-os-faults';
    const rejected = (n: number) => n % 100 === 7;
    const R = Array.from({ length: N }, (_, i) => i + 1).filter(rejected).length;
    server.itemFaults(
      combineItemFaults(
        rejectNumbered(rejected),
        randomItemFaults({ seed: 15, rate429: 0.05, rate503: 0.02 }),
      ),
    );
    const before = { ...server.stats };
    try {
      const root = await h.tmp('os-faults');
      writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
      const proc = h.start(await osConfig(root, target, { index }));
      await waitForDocs(target, index, N - R, { proc });
      await until(`${R} dead letters`, proc, () => deadLetters(root, 'os').length >= R);
      expect((await proc.stop()).code).toBe(0);
      const report = checkNumbered(await shippedDocs(target, index), { last: N });
      expect(report.duplicates, summarize(report)).toBe(0);
      expect(report.missing).toEqual(Array.from({ length: N }, (_, i) => i + 1).filter(rejected));
      // Never a success sent again: a re-sent create would have been answered 409.
      expect(server.stats.duplicates409 - before.duplicates409).toBe(0);
      const injected = server.stats.failedItems - before.failedItems;
      expect(injected).toBeGreaterThan(N * 0.05);
      const letters = deadLetters(root, 'os');
      expect(letters.length).toBe(R);
      for (const l of letters) expect(l).toMatchObject({ index, status: 400, error: { type: 'document_parsing_exception' } });
      expect(finalStats(proc)!.events).toMatchObject({ indexed: N - R, dead_lettered: R, retried: injected });
      // Summarised per reason, under this output's own name.
      const retried = proc.logRecords().filter((r) => r.msg === 'opensearch items rejected; retrying them');
      expect(retried.reduce((n, r) => n + (r.count as number), 0)).toBe(injected);
      expect(new Set(retried.map((r) => r.status))).toEqual(new Set([429, 503]));
      const dead = proc.logRecords().filter((r) => r.msg === 'opensearch items dead-lettered');
      expect(dead.reduce((n, r) => n + (r.count as number), 0)).toBe(R);
    } finally {
      server.itemFaults(undefined);
    }
  });

  it.skipIf(!fake)('the test server is OpenSearch: 406 to compatible-with, 400 to _type and to an _id over 512 bytes, no X-Elastic-Product', async () => {
    const os = target.os!;
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${os.url}/_bulk`, { method: 'POST', headers, body }).then(async (r) => ({ status: r.status, product: r.headers.get('x-elastic-product'), body: await r.text() }));
    const ndjson = { 'content-type': 'application/x-ndjson' };
    expect((await post({ 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=9' }, '{"create":{"_index":"x","_id":"1"}}\n{}\n')).status).toBe(406);
    const typed = await post(ndjson, '{"create":{"_index":"x","_type":"_doc","_id":"1"}}\n{}\n');
    expect(typed).toMatchObject({ status: 400, body: expect.stringContaining('unknown parameter [_type]') });
    expect((await post(ndjson, `{"create":{"_index":"x","_id":"${'a'.repeat(513)}"}}\n{}\n`)).status).toBe(400);
    const ok = await post(ndjson, '{"create":{"_index":"x","_id":"1"}}\n{"message":"m"}\n');
    expect({ status: ok.status, product: ok.product }).toEqual({ status: 200, product: null });
    const root = (await (await fetch(os.url)).json()) as { version: { distribution: string } };
    expect(root.version.distribution).toBe('opensearch');
  });
});

describe.skipIf(!fake)('opensearch output: AWS SigV4', () => {
  const h = useHarness();
  let target: OpenSearchTarget;
  beforeAll(async () => {
    requireEngine();
    target = await openSearchTarget({ sigv4: SIGV4 });
  });
  afterAll(() => target?.close());

  it('signs every request with the credentials of the AWS default chain; the server checks each signature independently', async () => {
    const N = 2_000;
    const index = 'ls-os-sigv4';
    const root = await h.tmp('os-sigv4');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
    const proc = h.start(await osConfig(root, target, { index, aws: { region: SIGV4.region, service: 'es' } }), awsEnv(SIGV4.secretAccessKey));
    await waitForDocs(target, index, N, { proc });
    expect((await proc.stop()).code).toBe(0);
    expect(checkNumbered(await shippedDocs(target, index), { last: N })).toMatchObject({ missing: [], duplicates: 0 });
    expect(target.os!.signatureProblems).toEqual([]);
    // GET / and at least one _bulk, all signed.
    expect(target.os!.stats.signed).toBeGreaterThanOrEqual(2);
  });

  it('a wrong secret is refused (403): the failure is logged with AWS\'s reason, nothing is delivered, logship keeps running', async () => {
    const index = 'ls-os-badsig';
    const root = await h.tmp('os-badsig');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 100));
    const before = target.os!.stats.signatureRejected;
    const proc = h.start(
      await osConfig(root, target, { index, aws: { region: SIGV4.region, service: 'es' }, retry: { initial_backoff: '50ms', max_backoff: '200ms' } }),
      awsEnv('not-the-secret'),
    );
    const failure = () =>
      proc.logRecords().find((r) => JSON.stringify(r).includes('HTTP 403') && JSON.stringify(r).includes('The request signature we calculated does not match'));
    await until('a logged 403 with the signature reason', proc, () => failure() !== undefined);
    expect(target.os!.stats.signatureRejected).toBeGreaterThan(before);
    expect(target.server!.count(index)).toBe(0);
    expect(proc.running).toBe(true);
    expect(JSON.stringify(proc.logRecords())).not.toContain('not-the-secret');
    await proc.kill9();
  });
});

describe.skipIf(!fake)('opensearch output: Serverless (aoss)', () => {
  const h = useHarness();
  let target: OpenSearchTarget;
  beforeAll(async () => {
    requireEngine();
    target = await openSearchTarget({ sigv4: { ...SIGV4, service: 'aoss' } });
  });
  afterAll(() => target?.close());

  it('a time-series collection gets server ids (index without _id), said at start; GET / is not asked', async () => {
    const N = 500;
    const index = 'ls-os-aoss';
    const root = await h.tmp('os-aoss');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
    const proc = h.start(await osConfig(root, target, { index, aws: { region: SIGV4.region, service: 'aoss' } }), awsEnv(SIGV4.secretAccessKey));
    await waitForDocs(target, index, N, { proc });
    expect((await proc.stop()).code).toBe(0);
    const docs = await shippedDocs(target, index);
    expect(checkNumbered(docs, { last: N })).toMatchObject({ missing: [], duplicates: 0 });
    expect(docs.filter((d) => d.raw._id === d.id), 'no document keeps event.id as its _id').toEqual([]);
    expect(proc.logRecords().find((r) => typeof r.msg === 'string' && r.msg.startsWith('OpenSearch Serverless time-series collection: documents get server-generated ids'))).toMatchObject({ level: 'warn' });
    expect(proc.logRecords().find((r) => r.msg === 'opensearch output ready')).toMatchObject({ version: 'serverless', ids: 'server' });
    expect(target.os!.stats.rootRequests).toBe(0);
    expect(target.os!.signatureProblems).toEqual([]);
  });
});

describe.skipIf(!fake)('opensearch output: basic auth', () => {
  const h = useHarness();
  let target: OpenSearchTarget;
  beforeAll(async () => {
    requireEngine();
    target = await openSearchTarget({ es: { auth: { username: 'shipper', password: 'pass-from-file' } } });
  });
  afterAll(() => target?.close());

  it('sends the password read from password_file, and never logs it', async () => {
    const N = 200;
    const index = 'ls-os-basic';
    const root = await h.tmp('os-basic');
    const file = path.join(root, 'os-password');
    writeFileSync(file, 'pass-from-file\n');
    writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, N));
    const proc = h.start(await osConfig(root, target, { index, auth: { username: 'shipper', password_file: file } }));
    await waitForDocs(target, index, N, { proc });
    expect((await proc.stop()).code).toBe(0);
    expect(checkNumbered(await shippedDocs(target, index), { last: N })).toMatchObject({ missing: [], duplicates: 0 });
    expect(JSON.stringify(proc.logRecords())).not.toContain('pass-from-file');
  });
});

describe.skipIf(!fake)('opensearch output: pointed at Elasticsearch', () => {
  const h = useHarness();

  it('refuses a server whose GET / reports no opensearch distribution, and says which output type fits', async () => {
    requireEngine();
    const es = await EsServer.start();
    try {
      const root = await h.tmp('os-at-es');
      writeFileSync(path.join(root, 'logs', 'app.log'), formatLines(1, 10));
      const target = { url: es.url, auth: undefined } as unknown as OpenSearchTarget;
      const proc = h.start(await osConfig(root, target, { index: 'ls-os-at-es' }));
      const refusal = () => proc.logRecords().find((r) => String(r.err ?? '').includes('GET / did not report an OpenSearch distribution'));
      await until('the refusal to be logged', proc, () => refusal() !== undefined);
      expect(String(refusal()!.err)).toContain('for Elasticsearch use an output of type: elasticsearch');
      expect(es.count()).toBe(0);
      await proc.kill9();
    } finally {
      await es.close();
    }
  });
});
