// An OpenSearch personality in front of the in-process EsServer (which keeps the documents,
// the per-item faults, the outages and the stats): what an OpenSearch 2.x cluster (or Amazon
// OpenSearch Service) answers differently from Elasticsearch.
//   - GET / reports `version.distribution: opensearch`; no answer carries X-Elastic-Product
//     (the EsServer behind reports 7.10.2, from before that header existed);
//   - 406 to the versioned `compatible-with` media types of the Elasticsearch clients;
//   - 400 to a bulk action line with `_type` (OpenSearch 2.0 removed types), and to an `_id`
//     over 512 bytes (2.9+);
//   - with `sigv4`, every request must carry a valid AWS SigV4 signature, checked by an
//     independent implementation (sigv4-verify.ts); else 403 with AWS's message.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { EsServer, type EsServerOptions } from './es-server.js';
import { sigV4Problem, type SigV4Key } from './sigv4-verify.js';

export interface OpenSearchServerOptions {
  /** Default '2.19.1'. */
  version?: string;
  sigv4?: SigV4Key;
  /** The EsServer behind (auth: basic credentials are checked there). */
  es?: Omit<EsServerOptions, 'version'>;
}

export interface OpenSearchStats {
  /** Requests refused for their signature (403). */
  signatureRejected: number;
  /** Requests whose signature was checked and good. */
  signed: number;
  /** 406s to compatible-with media types. */
  compatibleWithRejected: number;
  /** 400s to `_type` in an action line. */
  typeRejected: number;
  /** 400s to an `_id` over 512 bytes. */
  longIdRejected: number;
  /** GET / answered (with a good signature, when one is needed). */
  rootRequests: number;
}

const MAX_ID_BYTES = 512;

export class OpenSearchServer {
  readonly stats: OpenSearchStats = { signatureRejected: 0, signed: 0, compatibleWithRejected: 0, typeRejected: 0, longIdRejected: 0, rootRequests: 0 };
  /** The last signature problems, newest last. */
  readonly signatureProblems: string[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly agent = new http.Agent({ keepAlive: true });
  /** Kept across down() and up(). */
  private port = 0;
  /** Requests passed to the server behind and not yet answered by it. */
  private readonly forwarding = new Set<Promise<void>>();

  private constructor(
    readonly es: EsServer,
    readonly version: string,
    private readonly sigv4: SigV4Key | undefined,
  ) {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(opts: OpenSearchServerOptions = {}): Promise<OpenSearchServer> {
    const es = await EsServer.start({ ...opts.es, version: '7.10.2' });
    const server = new OpenSearchServer(es, opts.version ?? '2.19.1', opts.sigv4);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    server.port = (server.server.address() as AddressInfo).port;
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * An outage: stops listening (connections are refused, ECONNREFUSED) and drops open connections, until up().
   * Requests already passed to the server behind are let finish first, so nothing is indexed after down() returns.
   */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.forwarding]);
    await closed;
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.es.close();
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.answer(req, res, Buffer.concat(chunks)));
    req.on('error', () => req.socket.destroy());
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const json = (status: number, value: unknown) => {
      const text = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (this.sigv4) {
      const problem = sigV4Problem({ method, url, headers: req.headers, body }, this.sigv4);
      if (problem !== undefined) {
        this.stats.signatureRejected++;
        this.signatureProblems.push(problem);
        json(403, { message: problem });
        return;
      }
      this.stats.signed++;
    }
    for (const name of ['accept', 'content-type'] as const) {
      const value = req.headers[name] ?? '';
      if (/compatible-with/i.test(value)) {
        this.stats.compatibleWithRejected++;
        json(406, { error: `Content-Type header [${value}] is not supported`, status: 406 });
        return;
      }
    }
    const path = url.split('?', 1)[0]!;
    if (method === 'GET' && path === '/') {
      this.stats.rootRequests++;
      json(200, {
        name: 'opensearch-node1',
        cluster_name: 'logship-test',
        cluster_uuid: 'Z0pBZTKvQpKtnlMR6BXS3w',
        version: { distribution: 'opensearch', number: this.version, build_type: 'tar', lucene_version: '9.12.1', minimum_wire_compatibility_version: '7.10.0', minimum_index_compatibility_version: '7.0.0' },
        tagline: 'The OpenSearch Project: https://opensearch.org/',
      });
      return;
    }
    if (path.endsWith('/_bulk')) {
      const refusal = this.bulkRefusal(req, body);
      if (refusal !== undefined) {
        json(400, { error: { root_cause: [refusal], ...refusal }, status: 400 });
        return;
      }
    }
    this.forward(req, res, body);
  }

  /** OpenSearch checks every action line before it indexes anything. */
  private bulkRefusal(req: http.IncomingMessage, body: Buffer): { type: string; reason: string } | undefined {
    const text = (/gzip/i.test(req.headers['content-encoding'] ?? '') ? gunzipSync(body) : body).toString('utf8');
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i += 2) {
      if (lines[i] === '') continue;
      const action = JSON.parse(lines[i]!) as Record<string, { _type?: unknown; _id?: unknown }>;
      const meta = Object.values(action)[0] ?? {};
      if ('_type' in meta) {
        this.stats.typeRejected++;
        return { type: 'illegal_argument_exception', reason: `Action/metadata line [${i + 1}] contains an unknown parameter [_type]` };
      }
      if (typeof meta._id === 'string' && Buffer.byteLength(meta._id) > MAX_ID_BYTES) {
        this.stats.longIdRejected++;
        return {
          type: 'action_request_validation_exception',
          reason: `Validation Failed: 1: id [${meta._id.slice(0, 20)}...] is too long, must be no longer than 512 bytes but was: ${Buffer.byteLength(meta._id)};`,
        };
      }
    }
    return undefined;
  }

  /** To the EsServer behind; when it is down (refusing or resetting), so is this connection. */
  private forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const headers = { ...req.headers, host: `127.0.0.1:${this.es.port}`, 'content-length': String(body.length) };
    // The signature was checked here; the EsServer behind knows only basic auth.
    if (this.sigv4) delete headers.authorization;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.forwarding.add(settled);
    void settled.then(() => this.forwarding.delete(settled));
    const upstream = http.request({ host: '127.0.0.1', port: this.es.port, method: req.method, path: req.url, headers, agent: this.agent }, (answer) => {
      // The server behind has done its work (indexed or refused) once it answers.
      settle();
      const out = { ...answer.headers };
      delete out['x-elastic-product'];
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      settle();
      req.socket.destroy();
    });
    upstream.end(body);
  }
}
