// An S3 endpoint for tests: s3rver on 127.0.0.1 (a free port, a temp directory, one bucket), or, when
// LOGSHIP_S3_ENDPOINT is set, that endpoint and LOGSHIP_S3_BUCKET with the AWS credentials of the environment.
// Tests read back through the real SDK. Each test works under its own key prefix so runs against a real
// bucket never mix. Locally the output talks to s3rver through a recording proxy, so tests see each request
// as the server received it (s3rver's multipart ETag is a plain MD5 and shows no parts).
//
// s3rver has no AbortMultipartUpload, ListMultipartUploads or ListParts: the proxy keeps track of the
// multipart uploads it forwards and answers those requests itself, as S3 would. It also records a digest of
// every object content written per key (a PutObject body, or a completed multipart upload's parts joined), and
// can hold a request (before or after s3rver stored it) so a test can kill the client at that moment.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { requireEngine } from './logship-process.js';

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

/** s3rver's fixed credentials. */
export const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** Static keys (s3rver's unless given) as the files `<dir>/key-id` and `<dir>/secret`, the way the output takes them. */
export function s3KeyFiles(dir: string, keys: { accessKeyId: string; secretAccessKey: string } = S3RVER_KEYS): { access_key_id_file: string; secret_access_key_file: string } {
  writeFileSync(join(dir, 'key-id'), `${keys.accessKeyId}\n`);
  writeFileSync(join(dir, 'secret'), `${keys.secretAccessKey}\n`);
  return { access_key_id_file: join(dir, 'key-id'), secret_access_key_file: join(dir, 'secret') };
}

/**
 * The `s3` output named `archive` for `server`: its bucket, region and endpoint, path-style, with s3rver's keys
 * written under `dir` when local (a real endpoint: the SDK's default chain); `overrides` on top.
 */
export function s3OutputFor(server: S3TestServer, dir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'archive',
    type: 's3',
    bucket: server.bucket,
    region: server.region,
    endpoint: server.endpoint,
    force_path_style: true,
    ...(server.local && { credentials: s3KeyFiles(dir) }),
    ...overrides,
  };
}

/** One request as the server received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/bucket/key?partNumber=1&uploadId=…`. */
  readonly url: string;
  readonly bodyBytes: number;
  readonly headers: IncomingHttpHeaders;
  /** The code of the fault the proxy answered with instead of forwarding. */
  readonly fault?: string;
}

/** An error answer the proxy gives instead of forwarding, to the next `times` requests `match` accepts. */
export interface InjectedFault {
  match: (method: string, url: string) => boolean;
  status: number;
  code: string;
  times: number;
}

/**
 * A request the proxy holds once, never answering it: `before` without forwarding it (the server never sees
 * it), `after` once the server stored it and answered (the client never hears). `reached` resolves then.
 */
export interface HeldRequest {
  match: (method: string, url: string) => boolean;
  when: 'before' | 'after';
  reached: Promise<RecordedRequest>;
}

/** What the proxy knows beyond the requests: multipart uploads and contents written per key. */
export interface ProxyState {
  /** Open multipart uploads (created, neither completed nor aborted): upload id → key. */
  readonly openUploads: Map<string, string>;
  /** Aborted upload ids. */
  readonly abortedUploads: Set<string>;
  /** Per key (without the bucket), the sha256 of each distinct content stored under it, in the order first seen. */
  readonly contents: Map<string, string[]>;
  /** While true, ListMultipartUploads is refused with AccessDenied (a PutObject-only policy). */
  denyList: boolean;
  /** Holds a request as described; the first match is taken. */
  hold(match: HeldRequest['match'], when: HeldRequest['when']): HeldRequest;
}

export interface S3TestServer {
  readonly endpoint: string;
  /** Requests through the recording proxy, oldest first; undefined against a real endpoint. */
  readonly requests: RecordedRequest[] | undefined;
  /** Faults the proxy answers with; undefined against a real endpoint (no proxy there). */
  readonly faults: InjectedFault[] | undefined;
  /** While true the proxy drops every request's connection, as a server that went away would; undefined against a real endpoint. */
  readonly outage: { down: boolean } | undefined;
  /** Multipart tracking, content digests, holds; undefined against a real endpoint. */
  readonly proxy: ProxyState | undefined;
  readonly bucket: string;
  readonly region: string;
  /** True against s3rver (credentials are then S3RVER_KEYS, given as files to the output). */
  readonly local: boolean;
  readonly client: S3Client;
  /** Keys under `prefix` (in the test bucket, or `bucket`), sorted. */
  list(prefix: string, bucket?: string): Promise<string[]>;
  get(key: string, bucket?: string): Promise<{ body: Buffer; contentType: string | undefined; contentEncoding: string | undefined; etag: string | undefined }>;
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<S3TestServer> {
  const external = process.env.LOGSHIP_S3_ENDPOINT;
  if (external !== undefined && external !== '') {
    const bucket = process.env.LOGSHIP_S3_BUCKET;
    if (!bucket) throw new Error('LOGSHIP_S3_ENDPOINT is set: set LOGSHIP_S3_BUCKET too');
    const region = process.env.AWS_REGION ?? 'us-east-1';
    return around({ endpoint: external, requests: undefined, faults: undefined, outage: undefined, proxy: undefined, bucket, region, local: false, client: new S3Client({ endpoint: external, region, forcePathStyle: true }), stop: async () => {} });
  }
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const directory = mkdtempSync(join(tmpdir(), 'logship-s3rver-'));
  const bucket = 'logship-test';
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const requests: RecordedRequest[] = [];
  const faults: InjectedFault[] = [];
  const outage = { down: false };
  const state = proxyState();
  const proxy = await recordingProxy(port, requests, faults, outage, state);
  const endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const region = 'us-east-1';
  // The test's own reads go straight to s3rver: neither recorded nor faulted.
  const client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region, forcePathStyle: true, credentials: S3RVER_KEYS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return around({
    endpoint,
    requests,
    faults,
    outage,
    proxy: state,
    bucket,
    region,
    local: true,
    client,
    stop: async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  });
}

/**
 * Forwards every request to 127.0.0.1:`port` (the Host header unchanged: it is signed) and records it, or
 * answers it with the first matching fault (an S3 error document, as S3 sends one). A request is forwarded only
 * once its body arrived whole: S3 stores nothing of a PUT cut short (a client killed mid-upload), while s3rver
 * would keep the bytes it got as the object.
 */
function proxyState(): ProxyState & { holds: (HeldRequest & { settle: (r: RecordedRequest) => void })[]; parts: Map<string, Map<number, Buffer>> } {
  const holds: (HeldRequest & { settle: (r: RecordedRequest) => void })[] = [];
  return {
    openUploads: new Map(),
    abortedUploads: new Set(),
    contents: new Map(),
    denyList: false,
    holds,
    parts: new Map(),
    hold(match, when) {
      let settle!: (r: RecordedRequest) => void;
      const reached = new Promise<RecordedRequest>((resolve) => (settle = resolve));
      const h = { match, when, reached, settle };
      holds.push(h);
      return h;
    },
  };
}

const s3Error = (res: import('node:http').ServerResponse, status: number, code: string): void => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>answered by the test proxy</Message></Error>`);
};

const xmlEscape = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function recordingProxy(port: number, requests: RecordedRequest[], faults: InjectedFault[], outage: { down: boolean }, state: ReturnType<typeof proxyState>): Promise<Server> {
  const proxy = createServer((req, res) => {
    if (outage.down) {
      req.socket.destroy();
      return;
    }
    const method = req.method ?? '';
    const url = req.url ?? '';
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fault = faults.find((f) => f.times > 0 && f.match(method, url));
      if (fault !== undefined) {
        fault.times--;
        requests.push({ method, url, bodyBytes: body.length, headers: req.headers, fault: fault.code });
        res.writeHead(fault.status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>injected by the test</Message></Error>`);
        return;
      }
      const recorded: RecordedRequest = { method, url, bodyBytes: body.length, headers: req.headers };
      requests.push(recorded);
      const at = state.holds.findIndex((h) => h.match(method, url));
      const held = at >= 0 ? state.holds.splice(at, 1)[0] : undefined;
      if (held?.when === 'before') {
        // Never forwarded, never answered: the client is killed waiting.
        held.settle(recorded);
        return;
      }
      const { pathname, searchParams } = new URL(url, 'http://proxy');
      const [, bucket = '', ...keyParts] = pathname.split('/');
      const key = decodeURIComponent(keyParts.join('/'));
      const uploadId = searchParams.get('uploadId');
      // What s3rver lacks, answered here.
      if (method === 'DELETE' && uploadId !== null) {
        if (!state.openUploads.delete(uploadId)) return s3Error(res, 404, 'NoSuchUpload');
        state.abortedUploads.add(uploadId);
        state.parts.delete(uploadId);
        res.writeHead(204);
        res.end();
        return;
      }
      if (method === 'GET' && key === '' && searchParams.has('uploads')) {
        if (state.denyList) return s3Error(res, 403, 'AccessDenied');
        const prefix = searchParams.get('prefix') ?? '';
        const uploads = [...state.openUploads].filter(([, k]) => k.startsWith(prefix));
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><IsTruncated>false</IsTruncated>` +
            uploads.map(([id, k]) => `<Upload><Key>${xmlEscape(k)}</Key><UploadId>${id}</UploadId></Upload>`).join('') +
            '</ListMultipartUploadsResult>',
        );
        return;
      }
      if (uploadId !== null && !state.openUploads.has(uploadId)) return s3Error(res, 404, 'NoSuchUpload');
      const upstream = request({ host: '127.0.0.1', port, method, path: url, headers: req.headers }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => answerChunks.push(c));
        answer.on('end', () => {
          const answerBody = Buffer.concat(answerChunks);
          const ok = (answer.statusCode ?? 500) < 300;
          if (ok) note(state, method, key, searchParams, body, answerBody);
          if (held !== undefined) {
            // Stored, never answered: the client is killed waiting.
            held.settle(recorded);
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(answerBody);
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return proxy;
}

/** Keeps track of multipart uploads and of every content stored per key, from a request s3rver accepted. */
function note(state: ReturnType<typeof proxyState>, method: string, key: string, query: URLSearchParams, body: Buffer, answer: Buffer): void {
  const uploadId = query.get('uploadId');
  const stored = (content: Buffer): void => {
    const digest = createHash('sha256').update(content).digest('hex');
    const seen = state.contents.get(key) ?? [];
    if (!seen.includes(digest)) seen.push(digest);
    state.contents.set(key, seen);
  };
  if (method === 'POST' && query.has('uploads')) {
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(answer.toString('utf8'))?.[1];
    if (id !== undefined) {
      state.openUploads.set(id, key);
      state.parts.set(id, new Map());
    }
  } else if (method === 'PUT' && uploadId !== null) {
    state.parts.get(uploadId)?.set(Number(query.get('partNumber')), body);
  } else if (method === 'POST' && uploadId !== null) {
    const parts = state.parts.get(uploadId) ?? new Map<number, Buffer>();
    const numbers = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
    stored(Buffer.concat(numbers.map((n) => parts.get(n) ?? Buffer.alloc(0))));
    state.openUploads.delete(uploadId);
    state.parts.delete(uploadId);
  } else if (method === 'PUT' && key !== '') {
    stored(body);
  }
}

function around(s: { endpoint: string; requests: RecordedRequest[] | undefined; faults: InjectedFault[] | undefined; outage: { down: boolean } | undefined; proxy: ProxyState | undefined; bucket: string; region: string; local: boolean; client: S3Client; stop: () => Promise<void> }): S3TestServer {
  return {
    ...s,
    async list(prefix, bucket = s.bucket) {
      const keys: string[] = [];
      let token: string | undefined;
      // Bounded: a test writes far fewer than 100 pages of objects.
      for (let page = 0; page < 100; page++) {
        const res = await s.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of res.Contents ?? []) keys.push(o.Key!);
        token = res.NextContinuationToken;
        if (!res.IsTruncated || token === undefined) break;
      }
      return keys.sort();
    },
    async get(key, bucket = s.bucket) {
      const res = await s.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from(await res.Body!.transformToByteArray());
      return { body, contentType: res.ContentType, contentEncoding: res.ContentEncoding, etag: res.ETag };
    },
    async stop() {
      s.client.destroy();
      await s.stop();
    },
  };
}

/**
 * The S3 test server for one test file: started before its tests (with the
 * built CLI checked, for files that run logship), stopped after them.
 */
export function useS3Server(opts: { engine?: boolean } = {}): { readonly server: S3TestServer } {
  let server: S3TestServer | undefined;
  beforeAll(async () => {
    if (opts.engine) requireEngine();
    server = await startS3Server();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('the S3 test server is not started (use it inside tests)');
      return server;
    },
  };
}
