// S3 request options as the server receives them (through the real AWS SDK to s3rver behind the harness's recording
// proxy): Content-MD5 for Object Lock buckets, checksums only when required, proxies from HTTP(S)_PROXY/NO_PROXY, a
// private CA over TLS, and the credential source named in the start-up log without a secret.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { s3OutputSchema } from '../../outputs/s3/config.js';
import { bypassesProxy, createS3Agents, parseNoProxy } from '../../outputs/s3/http-agents.js';
import { createS3Output } from '../../outputs/s3/index.js';
import { S3RequestError } from '../../outputs/s3/request-errors.js';
import { eventBatch } from '../support/records.js';
import { S3RVER_KEYS } from '../support/s3-server.js';
import { useS3Harness } from '../support/s3-unit.js';

const MiB = 1024 * 1024;
const T0 = Date.UTC(2026, 11, 6, 21, 0, 0);

const h = useS3Harness('s3-opts');
const servers: Server[] = [];
const savedEnv = { ...process.env };

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

/** An output with its log lines collected. */
function setup(raw: Record<string, unknown>, stateDir = h.tempDir()) {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) }));
  const config = h.config(raw);
  const durable: number[] = [];
  const out = createS3Output(config, { logger, counters: { events: {}, requests: {} }, stateDir, onDurable: (seq) => durable.push(seq) });
  h.track(out);
  return { out, durable, lines };
}

function batch(seq: number, n: number, bytesEach = 60): ReturnType<typeof eventBatch> {
  const jsons = Array.from({ length: n }, (_, i) => JSON.stringify({ '@timestamp': new Date(T0 + i).toISOString(), event: { id: `o${seq}x${i}` }, message: randomBytes(bytesEach / 2).toString('hex') }));
  return eventBatch(seq, jsons, { times: jsons.map((_, i) => T0 + i), ids: jsons.map((_, i) => `o${seq}x${i}`) });
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const prefix = () => `logship-test-${randomBytes(6).toString('hex')}/`;

describe('s3 request options', () => {
  it('content_md5 sends the MD5 of every PutObject and UploadPart body, as the server receives it; no aws-chunked framing or SDK checksum otherwise', async ({ skip }) => {
    if (h.server.requests === undefined) return skip();
    const base = prefix();
    const { out, durable } = setup({ prefix: base, compression: 'none', content_md5: true, part_size: '5MiB', object: { max_bytes: '6MiB' } });
    await out.start();
    // One object above part_size (in parts), then one small one (PutObject).
    const big = batch(1, 60_000, 100);
    expect(big.data.length).toBeGreaterThan(6 * MiB);
    await out.write(big);
    await out.flush();
    await out.write(batch(2, 10));
    await out.close();
    expect(durable.at(-1)).toBe(2);

    const sent = h.server.requests.filter((r) => r.method === 'PUT' && r.url.startsWith(`/${h.server.bucket}/${base}`));
    const parts = sent.filter((r) => r.url.includes('partNumber='));
    const puts = sent.filter((r) => !r.url.includes('partNumber='));
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(puts).toHaveLength(1);
    const keys = await h.server.list(base);
    expect(keys).toHaveLength(2);
    const objects = await Promise.all(keys.map(async (k) => (await h.server.get(k)).body));
    const multipart = objects.find((o) => o.length > 5 * MiB)!;
    const single = objects.find((o) => o.length < 5 * MiB)!;
    // s3rver refuses a body whose MD5 differs (BadDigest), and the stored bytes hash to the header sent.
    const slices = Array.from({ length: Math.ceil(multipart.length / (5 * MiB)) }, (_, n) => md5(multipart.subarray(n * 5 * MiB, (n + 1) * 5 * MiB)));
    expect(parts.map((p) => p.headers['content-md5'])).toEqual(slices);
    expect(puts[0]!.headers['content-md5']).toBe(md5(single));
    for (const r of sent) {
      expect(Object.keys(r.headers).filter((h) => h.startsWith('x-amz-checksum') || h === 'x-amz-sdk-checksum-algorithm' || h === 'x-amz-trailer')).toEqual([]);
      expect(r.headers['content-encoding'] ?? '').not.toContain('aws-chunked');
    }
  }, 120_000);

  it('without content_md5 no Content-MD5 is sent', async ({ skip }) => {
    if (h.server.requests === undefined) return skip();
    const base = prefix();
    const { out } = setup({ prefix: base });
    await out.start();
    await out.write(batch(1, 10));
    await out.close();
    const put = h.server.requests.find((r) => r.method === 'PUT' && r.url.includes(base))!;
    expect(put.headers['content-md5']).toBeUndefined();
  }, 60_000);

  it('goes through the HTTP_PROXY of the environment (a CONNECT tunnel), and around it for hosts NO_PROXY lists', async ({ skip }) => {
    if (!h.server.local) return skip();
    const tunnels: string[] = [];
    const proxy = createHttpServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, client: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = netConnect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    servers.push(proxy);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const endpointHost = new URL(h.server.endpoint).host;

    process.env.HTTP_PROXY = proxyUrl;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    const base = prefix();
    const proxied = setup({ prefix: base });
    await proxied.out.start();
    await proxied.out.write(batch(1, 10));
    await proxied.out.close();
    expect(proxied.durable).toEqual([1]);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([endpointHost]));
    expect(proxied.lines.join('')).toContain(`"http":"${proxyUrl}"`);

    process.env.NO_PROXY = 'example.com, 127.0.0.1';
    const before = tunnels.length;
    const direct = setup({ prefix: base });
    await direct.out.start();
    await direct.out.write(batch(2, 10));
    await direct.out.close();
    expect(direct.durable).toEqual([2]);
    expect(tunnels.length).toBe(before);
    expect((await h.server.list(base)).length).toBe(2);
  }, 60_000);

  it('names a proxy without its credentials, and refuses a proxy variable that is not an http(s) URL, by name', async () => {
    const agents = await createS3Agents(undefined, { https_proxy: 'http://user:pa55word@proxy.internal:3128', HTTP_PROXY: 'proxy.internal:8080' });
    expect(agents.proxies).toEqual({ https: 'http://proxy.internal:3128', http: 'http://proxy.internal:8080' });
    await expect(createS3Agents(undefined, { HTTPS_PROXY: 'socks5://user:pa55word@proxy:1080' })).rejects.toThrow(/HTTPS_PROXY: only http:\/\/ and https:\/\/ proxies are supported, not socks5:/);
    await expect(createS3Agents(undefined, { HTTPS_PROXY: 'http://user:pa55word@[bad' })).rejects.toThrow(/^HTTPS_PROXY is not a URL: "http:\/\/\[bad"$/);
    await expect(createS3Agents({ ca_file: '/nonexistent/ca.pem', verify: true }, {})).rejects.toThrow(/cannot read tls.ca_file \/nonexistent\/ca.pem: ENOENT/);
  });

  it('reads NO_PROXY as curl does: hosts, domain suffixes, ports, *', () => {
    const entries = parseNoProxy('minio, .internal,example.com:9000 [::1]');
    expect(bypassesProxy(entries, 'minio', 9000)).toBe(true);
    expect(bypassesProxy(entries, 'minio.other', 9000)).toBe(false);
    expect(bypassesProxy(entries, 's3.eu.internal', 443)).toBe(true);
    expect(bypassesProxy(entries, 'internal', 443)).toBe(true);
    expect(bypassesProxy(entries, 'api.example.com', 9000)).toBe(true);
    expect(bypassesProxy(entries, 'api.example.com', 443)).toBe(false);
    expect(bypassesProxy(entries, 'notexample.com', 9000)).toBe(false);
    expect(bypassesProxy(entries, '::1', 80)).toBe(true);
    expect(bypassesProxy(parseNoProxy('*'), 'anything', 1)).toBe(true);
    expect(bypassesProxy(parseNoProxy(''), 'anything', 1)).toBe(false);
  });

  it('reaches an https endpoint signed by a private CA with tls.ca_file; without it the failure is reported, with tls.verify: false it goes with a warning', async ({ skip }) => {
    if (!h.server.local) return skip();
    const dir = h.tempDir();
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    try {
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=logship test CA');
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'h.server.key', '-out', 'h.server.csr', '-subj', '/CN=127.0.0.1');
      writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
      ssl('x509', '-req', '-in', 'h.server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'h.server.pem', '-days', '2', '-extfile', 'san.ext');
    } catch {
      return skip();
    }
    // TLS terminated here, the plain bytes on to the recording proxy: the server sees what the client signed.
    const upstream = new URL(h.server.endpoint);
    const { readFileSync } = await import('node:fs');
    const tls = createTlsServer({ key: readFileSync(join(dir, 'h.server.key')), cert: readFileSync(join(dir, 'h.server.pem')) }, (sock) => {
      const plain = netConnect(Number(upstream.port), upstream.hostname);
      sock.pipe(plain).pipe(sock);
      plain.on('error', () => sock.destroy());
      sock.on('error', () => plain.destroy());
    });
    servers.push(tls as unknown as Server);
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const endpoint = `https://127.0.0.1:${(tls.address() as { port: number }).port}`;
    const base = prefix();

    const trusted = setup({ endpoint, prefix: base, tls: { ca_file: join(dir, 'ca.pem') } });
    await trusted.out.start();
    await trusted.out.write(batch(1, 10));
    await trusted.out.close();
    expect(trusted.durable).toEqual([1]);

    const untrusted = setup({ endpoint, prefix: base });
    await untrusted.out.start();
    await untrusted.out.write(batch(2, 10));
    const err = await untrusted.out.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(S3RequestError);
    expect((err as S3RequestError).kind).toBe('transient');
    expect((err as Error).message).toMatch(/certificate/i);
    expect(untrusted.durable).toEqual([]);

    const unchecked = setup({ endpoint, prefix: base, tls: { verify: false } });
    await unchecked.out.start();
    await unchecked.out.write(batch(3, 10));
    await unchecked.out.close();
    expect(unchecked.durable).toEqual([3]);
    expect(unchecked.lines.join('')).toContain('TLS CERTIFICATE VERIFICATION IS OFF');
    expect((await h.server.list(base)).length).toBe(2);
  }, 60_000);

  it('names the credential source in the start-up log, never a secret; key files are read again by a rebuilt output', async ({ skip }) => {
    if (!h.server.local) return skip();
    const base = prefix();
    const stateDir = h.tempDir();
    const files = h.keyFiles({ accessKeyId: 'AKIAROTATEDAWAY00000', secretAccessKey: 'old-secret-value' });
    const stale = setup({ prefix: base, credentials: files }, stateDir);
    await stale.out.start();
    expect(stale.lines.join('')).toContain(`credentials from static keys from ${files.access_key_id_file}`);
    expect(stale.lines.join('')).not.toContain('old-secret-value');
    await stale.out.write(batch(1, 5));
    const err = await stale.out.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as S3RequestError).reason).toBe('InvalidAccessKeyId');
    // The operator fixes the files; the delivery loop's rebuild (a new output from the same config) reads them.
    writeFileSync(files.access_key_id_file, S3RVER_KEYS.accessKeyId);
    writeFileSync(files.secret_access_key_file, S3RVER_KEYS.secretAccessKey);
    const fixed = setup({ prefix: base, credentials: files }, stateDir);
    await fixed.out.start();
    await fixed.out.write(batch(1, 5));
    await fixed.out.close();
    expect(fixed.durable).toEqual([1]);
    expect(fixed.lines.join('')).not.toContain(S3RVER_KEYS.secretAccessKey + '"');

    // Without `credentials`: the link of the SDK's chain the environment selects (nothing is resolved at start).
    process.env.AWS_WEB_IDENTITY_TOKEN_FILE = join(stateDir, 'token');
    process.env.AWS_ROLE_ARN = 'arn:aws:iam::111122223333:role/logship';
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_PROFILE;
    const config = s3OutputSchema.parse({ type: 's3', bucket: h.server.bucket, endpoint: h.server.endpoint, region: h.server.region, force_path_style: true, prefix: base });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) }));
    const irsa = createS3Output({ ...config, name: 'archive' }, { logger, counters: { events: {}, requests: {} }, stateDir, onDurable: () => {} });
    h.track(irsa);
    await irsa.start();
    expect(lines.join('')).toContain('web identity (IRSA), role arn:aws:iam::111122223333:role/logship');
  }, 60_000);
});
