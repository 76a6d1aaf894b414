import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gunzip, gzip, inflate } from 'node:zlib';
import { HostPool, parseHost, type Host } from './host-pool.js';
import { ConnectionError, DeserializationError, ProductNotSupportedError, RequestTimeoutError, ResponseError } from './http-errors.js';

const gzipAsync = promisify(gzip);
/**
 * Request bodies are compressed at level 3, not zlib's default 6: on event
 * JSON level 6 took 2.2× the CPU for a body 11 % smaller (191 against 86 MB/s
 * per core, ratio 0.160 against 0.144), and at 10,000 events/s gzip is the
 * largest single cost of a one-CPU sidecar. Filebeat's default is 1.
 */
const GZIP_LEVEL = 3;
const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** What TLS settings an `https://` host is reached with (node:tls names). */
export interface TlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized?: boolean;
  readonly servername?: string;
}

export interface HttpClientOptions {
  /** Node URLs; a `user:password@` in one is its basic auth when `authorization` is not given. */
  readonly hosts: readonly string[];
  /** The whole request, answer included: one trickled slowly is cut off too. */
  readonly timeoutMs: number;
  /** gzip request bodies (`Content-Encoding: gzip`). */
  readonly compression: boolean;
  /** The `Authorization` header of every request. */
  readonly authorization?: string;
  readonly tls?: TlsOptions;
  /** Connections per host at most (kept alive between requests). Default 8. */
  readonly maxSockets?: number;
  /** A 2xx answer must carry `X-Elastic-Product: <this>`; undefined: not checked (another product). */
  readonly productCheck?: string;
  /** Larger answers (decoded) fail the request. Default 64 MiB. */
  readonly maxResponseBytes?: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** From the host's root, e.g. `/_bulk`; the host's path prefix goes before it. */
  readonly path: string;
  readonly querystring?: Readonly<Record<string, string>>;
  /** A Buffer is sent as it is (no copy); anything else as JSON. */
  readonly body?: Buffer | object;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** false: the caller reads the product header itself (the version probe). */
  readonly productCheck?: boolean;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Parsed JSON when the answer says it is JSON, else its text. */
  readonly body: unknown;
}

interface RawResponse {
  readonly statusCode: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

const IDLE_SOCKET_MS = 30_000;

/**
 * A small HTTP client for the Elasticsearch REST API over node:http(s):
 * kept-alive, bounded connections per host, failover across hosts, gzip
 * bodies, one overall deadline per request. It replaces the official client,
 * whose loaded modules cost about 30 MiB of RSS in a sidecar aiming at 64
 * (bench/idle-rss.mjs). No retries of its own (the output retries with
 * backoff), only failover: a request that got no answer goes to the next
 * live host at once. Knows nothing of ES's API beyond the product header, so an
 * OpenSearch output can use it with `productCheck` unset.
 */
export class EsHttpClient {
  private readonly pool: HostPool;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: HttpClientOptions) {
    this.pool = new HostPool(options.hosts.map(parseHost));
    const maxSockets = options.maxSockets ?? 8;
    // lifo: the most recently used socket is the least likely to have been closed by the server or a proxy.
    // `timeout` closes a socket idle in the pool before a load balancer's idle cut (often 60 s) does: a
    // request on a socket closed under it would fail. (On a socket in use it only emits an ignored event.)
    const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const, timeout: IDLE_SOCKET_MS };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent({ ...agentOptions, ...options.tls });
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  }

  /** Throws ResponseError (status ≥ 400), ConnectionError, ProductNotSupportedError, DeserializationError or a timeout. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const signal = req.signal ? AbortSignal.any([deadline, req.signal]) : deadline;
    try {
      return await this.attempt(req, signal);
    } catch (err) {
      if (deadline.aborted) throw new RequestTimeoutError(`no complete answer within request_timeout (${this.options.timeoutMs} ms)`, { cause: err });
      if (req.signal?.aborted) throw req.signal.reason;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async attempt(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    const headers: http.OutgoingHttpHeaders = { 'user-agent': 'logship', 'accept-encoding': 'gzip, deflate' };
    let body: Buffer | undefined;
    if (req.body !== undefined) {
      body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(JSON.stringify(req.body));
      headers['content-type'] = 'application/json';
      if (this.options.compression) {
        body = await gzipAsync(body, { level: GZIP_LEVEL });
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = body.length;
    }
    Object.assign(headers, req.headers);
    const query = req.querystring ? `?${new URLSearchParams(req.querystring).toString()}` : '';
    const tried = new Set<Host>();
    let raw: RawResponse;
    for (;;) {
      const host = this.pool.pick();
      tried.add(host);
      const authorization = this.options.authorization ?? host.urlAuthorization;
      if (authorization !== undefined) headers.authorization = authorization;
      else delete headers.authorization;
      try {
        raw = await this.send(host, req.method, host.pathPrefix + req.path + query, headers, body, signal);
        this.pool.alive(host);
        break;
      } catch (err) {
        if (signal.aborted || !(err instanceof ConnectionError)) throw err;
        this.pool.dead(host);
        // Failover: every request we send may be sent twice (a bulk of creates with fixed ids
        // answers 409 for what got in), so the next live host gets it at once.
        if (tried.has(this.pool.peek())) throw err;
      }
    }
    const parsed = await this.decode(raw);
    const status = raw.statusCode;
    if (status >= 400) throw new ResponseError({ statusCode: status, body: parsed, headers: raw.headers });
    if (this.options.productCheck !== undefined && req.productCheck !== false && status >= 200 && status < 300 && raw.headers['x-elastic-product'] !== this.options.productCheck) {
      throw new ProductNotSupportedError({ statusCode: status, body: parsed });
    }
    return { statusCode: status, headers: raw.headers, body: parsed };
  }

  private send(host: Host, method: string, path: string, headers: http.OutgoingHttpHeaders, body: Buffer | undefined, signal: AbortSignal): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      const transport = host.protocol === 'https:' ? https : http;
      const agent = host.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
      // An answer can come before the body is all sent (an early 413, a proxy): the request still reads the
      // body then, and the caller reuses it once this settles (batch-delivery.ts), so wait until it is done.
      let answer: RawResponse | undefined;
      const settle = () => {
        if (answer !== undefined && (req.writableFinished || req.destroyed)) resolve(answer);
      };
      const req = transport.request({ host: host.hostname, port: host.port, method, path, headers, agent, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxResponseBytes) req.destroy(new DeserializationError(`the answer from ${host.origin} is larger than ${this.maxResponseBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          answer = { statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, size) };
          settle();
        });
        // A body cut short (the connection closed before Content-Length bytes).
        res.on('error', (err) => reject(connectionError(err, host)));
        res.on('close', () => res.complete || reject(connectionError(new Error('the connection closed before the answer was complete'), host)));
      });
      req.on('error', (err) => {
        // A complete answer stands even if sending the rest of the body then failed (the server closed after answering).
        if (answer !== undefined) resolve(answer);
        else reject(err instanceof DeserializationError ? err : connectionError(err, host));
      });
      req.on('finish', settle);
      req.on('close', settle);
      req.end(body);
    });
  }

  private async decode(raw: RawResponse): Promise<unknown> {
    let bytes = raw.body;
    const encoding = raw.headers['content-encoding'];
    try {
      if (encoding === 'gzip') bytes = await gunzipAsync(bytes, { maxOutputLength: this.maxResponseBytes });
      else if (encoding === 'deflate') bytes = await inflateAsync(bytes, { maxOutputLength: this.maxResponseBytes });
    } catch (err) {
      throw new DeserializationError(`cannot decode the ${encoding} answer: ${(err as Error).message}`, { cause: err });
    }
    const text = bytes.toString('utf8');
    if (!/json/i.test(raw.headers['content-type'] ?? '') || text === '') return text;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      // An error page that only says it is JSON is still worth showing as text.
      if (raw.statusCode >= 400) return text;
      throw new DeserializationError(`the answer is not the JSON it says it is: ${(err as Error).message}`, { cause: err });
    }
  }
}

function connectionError(err: Error, host: Host): Error {
  if (err.name === 'AbortError') return err;
  return new ConnectionError(`${err.message} (${host.origin})`, { cause: err });
}
