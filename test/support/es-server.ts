// An in-process Elasticsearch look-alike for tests (node:http on 127.0.0.1).
//
// It is faithful where a log shipper can get it wrong against a real cluster:
// the product header, the compatible-with media types (a 9.x client is refused
// by an 8.x server), authentication, the _bulk wire format and its per-item
// results (201 created, 409 on a duplicate `create`, data stream rules,
// filter_path on successful answers only: ES turns it off for errors), gzip
// bodies, http.max_content_length (answered from the headers, before the body
// is read; on the decompressed size for gzip bodies) and data stream rollover.
// Everything else answers the way ES answers an endpoint it has no handler for.
//
// Faults are injected through plain methods (itemFaults, requestFaults,
// slowResponses, delay, resetConnections, down/up, rollover) so a test drives
// them in-process.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { createGunzip, createInflate, gzipSync } from 'node:zlib';

// ---------------------------------------------------------------- public types

export type EsAuth = { username: string; password: string } | { apiKey: string } | { bearer: string };

export interface EsServerOptions {
  /** The version the root document reports; its major decides which compatible-with values are accepted. Default '9.1.0'. */
  version?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** When set, every request must carry these credentials (else 401 security_exception). */
  auth?: EsAuth;
  /**
   * http.max_content_length in bytes. Default 100 MiB. It limits the body ES
   * reads, after Content-Encoding is undone (Netty's decompressor sits before
   * the size check; elastic/elasticsearch#94408): a plain body whose
   * Content-Length is over it is refused from the headers, before a byte is
   * read; a gzip body has no usable Content-Length there, so it is refused
   * while being decompressed, and the connection is closed (the rest of the
   * body is still on the wire).
   */
  maxContentLength?: number;
  /**
   * What follows a 413 answered from the headers: `close` (the default, ES 8.18+/9.x:
   * Netty4HttpContentSizeHandler answers `Connection: close` and closes) or `keep-alive`
   * (older ES, Netty's HttpObjectAggregator: the body is read and dropped, the
   * connection kept; the js client broke when this changed, elastic/elasticsearch#121095).
   */
  tooLarge?: 'close' | 'keep-alive';
  /** Index names matching these (with `*`) are data streams, like ES's built-in `logs-*-*` template. Default ['logs-*-*']. */
  dataStreamPatterns?: string[];
  /** Serve HTTPS with this key and certificate; with `ca`, also require a client certificate signed by it. */
  tls?: { key: Buffer; cert: Buffer; ca?: Buffer };
}

/** What an item-fault rule is shown for every `create`/`index` item of a _bulk request. */
export interface BulkItem {
  index: string;
  /** The `_id` of the action line; undefined when ES would generate one. */
  id: string | undefined;
  /** The document line exactly as sent. */
  source: string;
  /** 1 the first time this `_id` reaches _bulk in this index, then 2, 3, … (always 1 without an `_id`). */
  attempt: number;
}
/**
 * 429/503: load; 400: a mapping error; 403: a missing index privilege
 * (security_exception); 404: a missing index with auto-create off (index_not_found_exception).
 */
export type ItemFaultStatus = 429 | 503 | 400 | 403 | 404;
export type ItemFaultRule = (item: BulkItem) => ItemFaultStatus | undefined;

export type RequestFaultStatus = 400 | 403 | 404 | 406 | 408 | 413 | 429 | 500 | 502 | 503 | 504;

export interface RequestFault {
  status: RequestFaultStatus;
  /** How many of the next matching requests get it. Default 1. */
  count?: number;
  /**
   * The answer's body: `es` (default) ES's own JSON error for that status (502/504 have none:
   * a proxy's JSON-less answer); `html` a proxy's HTML error page (text/html, no product header,
   * as nginx in front of ES would send it); `truncated` ES's JSON error cut in the middle, the
   * connection closed before Content-Length bytes were sent.
   */
  body?: 'es' | 'html' | 'truncated';
  /** Which requests it hits: `_bulk` (default), `GET /`, or the PUT of a component or an index template. */
  on?: 'bulk' | 'root' | 'component_template' | 'index_template';
  /** Only requests whose (decoded) body this accepts; others pass and leave the fault queued. */
  where?: (body: string) => boolean;
}

export type DownMode = 'refuse' | 'reset' | '503';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The body as received (gzip bytes when it was gzip). Empty when it exceeded maxContentLength. */
  body: Buffer;
  /** The body after Content-Encoding was undone (the same Buffer when there was none). */
  decoded: Buffer;
  gzip: boolean;
  /** _bulk items (action lines) in the body; 0 for other requests or an unparseable body. */
  items: number;
  /** The status answered; undefined while pending or when the connection was destroyed instead. */
  status: number | undefined;
}

export interface EsServerStats {
  /** Every HTTP request that reached the server. */
  requests: number;
  /** _bulk requests, whatever became of them. */
  bulkRequests: number;
  /** Items of _bulk requests that were processed item by item. */
  itemsReceived: number;
  created: number;
  /** `create` of an `_id` the index already holds. */
  duplicates409: number;
  updated: number;
  deleted: number;
  /** Per-item 4xx other than 409 and 429 (bad documents, data stream rules, injected 400s). */
  rejected: number;
  /** Injected per-item 429 and 503. */
  failedItems: number;
  /** 413s answered for http.max_content_length (not injected ones). */
  tooLarge: number;
  /** Injected whole-request faults: requestFaults() and answers given while down('503'). */
  requestFailures: number;
  /** Connections destroyed by resetConnections() or down('reset'). */
  connectionResets: number;
  gzipRequests: number;
}

// ------------------------------------------------------------- fault builders

/**
 * Per-item 429/503 at the given rates, decided by a hash of (seed, `_id`, attempt): a given
 * attempt of a given id always gets the same answer, whichever server or run sees it, and an
 * item may fail on several attempts. Items without an `_id` are hashed by their source.
 */
export function randomItemFaults(opts: { seed: number; rate429?: number; rate503?: number }): ItemFaultRule {
  const r429 = opts.rate429 ?? 0;
  const r503 = opts.rate503 ?? 0;
  return (item) => {
    const u = unitHash(opts.seed, `${item.id ?? item.source}\u0000${item.attempt}`);
    if (u < r429) return 429;
    if (u < r429 + r503) return 503;
    return undefined;
  };
}

/** A per-item 400 document_parsing_exception for every matching document, on every attempt. */
export function rejectWhere(pred: (source: string, id: string | undefined) => boolean): ItemFaultRule {
  return (item) => (pred(item.source, item.id) ? 400 : undefined);
}

/** The first rule (in order) that answers for an item wins. */
export function combineItemFaults(...rules: Array<ItemFaultRule | undefined>): ItemFaultRule {
  return (item) => {
    for (const rule of rules) {
      const status = rule?.(item);
      if (status !== undefined) return status;
    }
    return undefined;
  };
}

/** A uniform number in [0, 1) from a seed and a string (FNV-1a, then murmur3's finaliser). */
function unitHash(seed: number, s: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

// -------------------------------------------------------------------- errors

interface EsCause {
  type: string;
  reason: string;
  [extra: string]: unknown;
}

/** ES's error envelope: `{ error: { root_cause: [...], type, reason, caused_by? }, status }`. */
function errorBody(status: number, cause: EsCause, causedBy?: EsCause): unknown {
  return { error: { root_cause: [cause], ...cause, ...(causedBy ? { caused_by: causedBy } : {}) }, status };
}

/** Thrown inside request handling; becomes an ES error response. */
class EsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string | string[]> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

function httpError(status: number, cause: EsCause, causedBy?: EsCause): EsHttpError {
  return new EsHttpError(status, errorBody(status, cause, causedBy));
}

// --------------------------------------------------------------- media types

interface MediaType {
  raw: string;
  type: string;
  subtype: string;
  params: Map<string, string>;
}

const TCHAR = /^[a-zA-Z0-9!#$%&'*+\-.^_`|~]+$/;

/**
 * ES's ParsedMediaType.parseMediaType: a value with a comma (a list / media range) or `*\/*`
 * counts as absent; anything else must be one `type/subtype` with `k=v` parameters.
 */
function parseMediaType(raw: string | undefined): MediaType | null {
  if (raw === undefined || raw.includes(',') || raw === '*/*') return null;
  const elements = raw.toLowerCase().split(';');
  const typeParts = elements[0]!.split('/');
  if (typeParts.length !== 2 || !TCHAR.test(typeParts[0]!.trim()) || !TCHAR.test(typeParts[1]!.trim())) {
    throw new Error(`invalid media-type [${raw}]`);
  }
  const params = new Map<string, string>();
  for (const element of elements.slice(1)) {
    const p = element.trim();
    if (p === '') continue;
    const kv = p.split('=');
    if (kv.length !== 2 || /\s$/.test(kv[0]!) || kv[0] === '' || /^\s/.test(kv[1]!) || kv[1] === '') {
      throw new Error(`invalid parameters for header [${raw}]`);
    }
    params.set(kv[0]!.trim(), kv[1]!.trim());
  }
  return { raw, type: typeParts[0]!.trim(), subtype: typeParts[1]!.trim(), params };
}

/** The body formats this server reads (ES also reads smile, cbor and yaml; no shipper sends those). */
function isJsonLike(mt: MediaType): boolean {
  if (mt.type !== 'application') return false;
  if (mt.subtype === 'json' || mt.subtype === 'x-ndjson') return true;
  if (mt.subtype === 'vnd.elasticsearch+json' || mt.subtype === 'vnd.elasticsearch+x-ndjson') {
    const v = mt.params.get('compatible-with');
    return v === undefined || /^\d+$/.test(v);
  }
  return false;
}

// ------------------------------------------------------------------- helpers

const BULK_PARAMS = new Set([
  'filter_path', 'pretty', 'human', 'error_trace', 'format',
  'refresh', 'routing', 'timeout', 'wait_for_active_shards', 'pipeline', 'require_alias', 'require_data_stream',
  '_source', '_source_includes', '_source_excludes', 'list_executed_pipelines', 'include_source_on_error',
]);
const ACTION_META = new Set([
  '_index', '_id', 'routing', 'pipeline', 'require_alias', 'require_data_stream', 'if_seq_no', 'if_primary_term',
  'version', 'version_type', 'dynamic_templates', 'list_executed_pipelines', 'retry_on_conflict', '_source',
]);
const BULK_OPS = ['create', 'index', 'update', 'delete'] as const;
type BulkOp = (typeof BULK_OPS)[number];

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
const globCache = new Map<string, RegExp>();
function globMatch(pattern: string, s: string): boolean {
  if (!pattern.includes('*')) return pattern === s;
  let re = globCache.get(pattern);
  if (!re) globCache.set(pattern, (re = globToRegExp(pattern)));
  return re.test(s);
}

/** ES's generated ids are 20 url-safe base64 characters. */
function autoId(): string {
  return randomBytes(15).toString('base64url');
}

function uuid22(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

/** `[line:col]` as a JSON parser error position, from V8's "at position N". */
function jsonErrorPosition(err: unknown, line: number): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  return `[${line}:${m ? Number(m[1]) + 1 : 1}]`;
}

function tokenName(v: unknown): string {
  if (Array.isArray(v)) return 'START_ARRAY';
  if (v === null) return 'VALUE_NULL';
  if (typeof v === 'string') return 'VALUE_STRING';
  if (typeof v === 'number') return 'VALUE_NUMBER';
  if (typeof v === 'boolean') return 'VALUE_BOOLEAN';
  return 'START_OBJECT';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** ES's index name rules (MetadataCreateIndexService.validateIndexOrAliasName + lowercase). */
function invalidIndexNameReason(name: string): string | undefined {
  if (name !== name.toLowerCase()) return 'must be lowercase';
  if (/[\\/*?"<>| ,#:]/.test(name)) return 'must not contain the following characters [\'\\\\\', \'/\', \'*\', \'?\', \'"\', \'<\', \'>\', \'|\', \' \', \',\', \'#\', \':\']';
  if (/^[_\-+]/.test(name)) return "must not start with '_', '-', or '+'";
  if (name === '.' || name === '..') return "must not be '.' or '..'";
  if (Buffer.byteLength(name) > 255) return 'index name is too long';
  return undefined;
}

// --------------------------------------------------------------- filter_path

type FilterPattern = string[];
const NONE = Symbol('none');

function compileFilterPath(param: string): { include: FilterPattern[]; exclude: FilterPattern[] } {
  const include: FilterPattern[] = [];
  const exclude: FilterPattern[] = [];
  for (const raw of param.split(',')) {
    const p = raw.trim();
    if (p === '') continue;
    if (p.startsWith('-')) exclude.push(p.slice(1).split('.'));
    else include.push(p.split('.'));
  }
  return { include, exclude };
}

/** Continuations of `paths` after the object key `key` (`*` globs within a segment, `**` any depth). */
function advance(paths: FilterPattern[], key: string): FilterPattern[] {
  const next: FilterPattern[] = [];
  for (const p of paths) {
    const seg = p[0]!;
    if (seg === '**') {
      if (p.length === 1) next.push([]);
      else {
        next.push(p);
        if (globMatch(p[1]!, key)) next.push(p.slice(2));
      }
    } else if (globMatch(seg, key)) next.push(p.slice(1));
  }
  return next;
}

function filterInclude(node: unknown, paths: FilterPattern[]): unknown {
  if (paths.some((p) => p.length === 0)) return node;
  if (Array.isArray(node)) {
    const out = node.map((el) => filterInclude(el, paths)).filter((el) => el !== NONE);
    return out.length > 0 ? out : NONE;
  }
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [k, v] of Object.entries(node)) {
      const next = advance(paths, k);
      if (next.length === 0) continue;
      const f = filterInclude(v, next);
      if (f !== NONE) {
        out[k] = f;
        any = true;
      }
    }
    return any ? out : NONE;
  }
  return NONE;
}

function filterExclude(node: unknown, paths: FilterPattern[]): unknown {
  if (paths.some((p) => p.length === 0)) return NONE;
  if (Array.isArray(node)) return node.map((el) => filterExclude(el, paths)).filter((el) => el !== NONE);
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const next = advance(paths, k);
      if (next.length === 0) out[k] = v;
      else {
        const f = filterExclude(v, next);
        if (f !== NONE) out[k] = f;
      }
    }
    return out;
  }
  return node;
}

/** ES's `filter_path`: keeps the matching paths (arrays are transparent), `{}` when none match. */
export function applyFilterPath(body: unknown, filterPath: string): unknown {
  const { include, exclude } = compileFilterPath(filterPath);
  let out: unknown = include.length > 0 ? filterInclude(body, include) : body;
  if (out !== NONE && exclude.length > 0) out = filterExclude(out, exclude);
  return out === NONE ? {} : out;
}

// ------------------------------------------------------------------- storage

interface StoredDoc {
  /** The document as sent (raw JSON text). */
  source: string;
  version: number;
}

interface IndexState {
  name: string;
  uuid: string;
  dataStream: boolean;
  /** `.ds-<name>-<yyyy.MM.dd>-00000N` for a data stream (N = generation), else the name. */
  writeIndex: string;
  generation: number;
  /** The write index's documents: the only ones a `create` is checked against. */
  docs: Map<string, StoredDoc>;
  /** A data stream's earlier backing indices, oldest first (rollover). */
  retired: Array<{ index: string; docs: Map<string, StoredDoc> }>;
  seqNo: number;
}

interface QueuedFault {
  status: RequestFaultStatus;
  left: number;
  body: NonNullable<RequestFault['body']>;
  on: NonNullable<RequestFault['on']>;
  where: RequestFault['where'];
}

interface ParsedOp {
  op: BulkOp;
  line: number;
  index: string | undefined;
  id: string | undefined;
  source: string | undefined;
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  record: RecordedRequest;
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
  /** The response content type (application/json or the compat type the request asked for). */
  contentType: string;
  resetAfter: boolean;
}

interface BodyRead {
  raw: Buffer;
  decoded: Buffer;
  /** The connection failed while the body was read. */
  aborted: boolean;
  /** The decoded body passed maxContentLength (reading stopped there). */
  tooLarge: boolean;
  /** The gzip/deflate body could not be decoded. */
  decodeError?: string;
}

type Handler = (ctx: Ctx, params: string[]) => Promise<void> | void;
interface Route {
  re: RegExp;
  methods: Record<string, Handler>;
}

const RECORD_LIMIT = 1000;
const EMPTY = Buffer.alloc(0);
const SHARDS = { total: 2, successful: 1, failed: 0 };

function freshStats(): EsServerStats {
  return {
    requests: 0, bulkRequests: 0, itemsReceived: 0, created: 0, duplicates409: 0, updated: 0, deleted: 0,
    rejected: 0, failedItems: 0, tooLarge: 0, requestFailures: 0, connectionResets: 0, gzipRequests: 0,
  };
}

// -------------------------------------------------------------------- server

export class EsServer {
  /** Component templates by name, as PUT (parsed JSON). */
  readonly componentTemplates = new Map<string, Record<string, unknown>>();
  /** Index templates by name, as PUT (parsed JSON). */
  readonly indexTemplates = new Map<string, Record<string, unknown>>();
  readonly stats: EsServerStats = freshStats();
  readonly version: string;

  private readonly server: http.Server | https.Server;
  private readonly scheme: 'http' | 'https';
  private readonly sockets = new Set<Socket>();
  private readonly major: number;
  private readonly auth: EsAuth | undefined;
  private readonly maxContentLength: number;
  private readonly tooLargeMode: 'close' | 'keep-alive';
  /** Before 7.14, ES sent no X-Elastic-Product header (the 8.x+ clients refuse its 2xx answers). */
  private readonly productHeader: boolean;
  private readonly dataStreamPatterns: string[];
  private readonly routes: Route[];
  private readonly indexStates = new Map<string, IndexState>();
  /** index -> _id -> how many times that `_id` reached _bulk there as create/index (BulkItem.attempt). */
  private readonly attempts = new Map<string, Map<string, number>>();
  private readonly recorded: RecordedRequest[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private boundPort: number;

  private itemRule: ItemFaultRule | undefined;
  private readonly requestFaultQueue: QueuedFault[] = [];
  private slow = { left: 0, chunkEveryMs: 0 };
  private delayMs = 0;
  private resetsLeft = 0;
  private resetAfterProcessing = false;
  private downMode: DownMode | undefined;
  private upTimer: NodeJS.Timeout | undefined;
  private relisten: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(opts: EsServerOptions) {
    this.version = opts.version ?? '9.1.0';
    const m = /^(\d+)\.\d+\.\d+/.exec(this.version);
    if (!m) throw new Error(`EsServer: version must look like 9.1.0, got ${this.version}`);
    this.major = Number(m[1]);
    this.productHeader = this.major > 7 || (this.major === 7 && Number(this.version.split('.')[1]) >= 14);
    this.tooLargeMode = opts.tooLarge ?? 'close';
    this.auth = opts.auth;
    this.maxContentLength = opts.maxContentLength ?? 100 * 1024 * 1024;
    this.dataStreamPatterns = opts.dataStreamPatterns ?? ['logs-*-*'];
    this.boundPort = opts.port ?? 0;
    this.routes = this.buildRoutes();
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res);
    this.scheme = opts.tls ? 'https' : 'http';
    this.server = opts.tls
      ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert, ...(opts.tls.ca && { ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true }) }, handler)
      : http.createServer(handler);
    // A TLS server's 'connection' is the raw socket: destroying it ends the TLS session too.
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.keepAliveTimeout = 60_000;
  }

  static async start(opts: EsServerOptions = {}): Promise<EsServer> {
    const server = new EsServer(opts);
    await server.listen();
    return server;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.boundPort}`;
  }

  /** The last 1000 requests, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  /** Destroys every open connection and stops listening. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.upTimer);
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      await this.relisten?.catch(() => {});
      await this.stopListening();
    })();
    return this.closing;
  }

  // ------------------------------------------------------------ fault injection

  /** The rule every later `create`/`index` item is shown; undefined removes it. */
  itemFaults(rule: ItemFaultRule | undefined): void {
    this.itemRule = rule;
  }

  /**
   * The next `count` (default 1) matching requests are answered `status` as a whole, without
   * doing anything. Queued after earlier calls (per kind of request).
   */
  requestFaults(next: RequestFault): void {
    const left = next.count ?? 1;
    if (left > 0) this.requestFaultQueue.push({ status: next.status, left, body: next.body ?? 'es', on: next.on ?? 'bulk', where: next.where });
  }

  /**
   * The next `count` processed _bulk requests (documents indexed) send their headers at once and
   * then the body a few bytes every `chunkEveryMs`: a response that never stalls long enough for
   * an idle timeout but takes as long as its length says.
   */
  slowResponses(count: number, chunkEveryMs: number): void {
    this.slow = { left: count, chunkEveryMs };
  }

  /**
   * Rolls the data stream `name` over: a new write index `.ds-<name>-<date>-00000N`. Its
   * documents stay readable (ids, docs, count), but a `create` only checks the write index,
   * as in ES: the same `_id` sent again after a rollover is a new document, not a 409.
   */
  rollover(name: string): string {
    const state = this.indexStates.get(name);
    if (!state?.dataStream) throw new Error(`EsServer.rollover: ${name} is not a data stream`);
    state.retired.push({ index: state.writeIndex, docs: state.docs });
    state.generation++;
    state.writeIndex = backingIndexName(name, state.generation);
    state.docs = new Map();
    return state.writeIndex;
  }

  /** Every response is sent `ms` later (0 turns it off). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /**
   * The next `count` requests get their connection destroyed without a response. By default
   * before anything is done; with `afterProcessing` the request takes effect first (documents
   * are indexed) and only the response is lost, the ambiguous case a shipper must retry; those
   * resets hit processed `_bulk` requests only (answered 200; not ones failed by requestFaults).
   */
  resetConnections(count: number, opts: { afterProcessing?: boolean } = {}): void {
    this.resetsLeft = count;
    this.resetAfterProcessing = opts.afterProcessing ?? false;
  }

  /**
   * An outage until up() or for `ms`: `refuse` stops listening (ECONNREFUSED) and listens again
   * on the same port; `reset` destroys the connection of every request; `503` answers every
   * request (GET / too) with 503.
   */
  async down(mode: DownMode, ms?: number): Promise<void> {
    clearTimeout(this.upTimer);
    if (this.closing) return;
    if (this.downMode === 'refuse' && mode !== 'refuse') await this.up();
    this.downMode = mode;
    if (mode === 'refuse') await this.stopListening();
    if (ms !== undefined) {
      this.upTimer = setTimeout(() => {
        this.up().catch((err: unknown) => {
          process.stderr.write(`EsServer: could not listen again on port ${this.boundPort}: ${String(err)}\n`);
        });
      }, ms);
    }
  }

  /** Ends an outage; after `refuse`, resolves once it listens again on the same port. */
  async up(): Promise<void> {
    clearTimeout(this.upTimer);
    const wasRefusing = this.downMode === 'refuse';
    this.downMode = undefined;
    if (wasRefusing && !this.closing && !this.server.listening) {
      this.relisten ??= this.listen().finally(() => {
        this.relisten = undefined;
      });
    }
    await this.relisten;
  }

  /** Removes every injected fault (item rule, request faults, delay, resets, outage). */
  async clearFaults(): Promise<void> {
    this.itemRule = undefined;
    this.requestFaultQueue.length = 0;
    this.slow = { left: 0, chunkEveryMs: 0 };
    this.delayMs = 0;
    this.resetsLeft = 0;
    await this.up();
  }

  // ------------------------------------------------------------------ read API

  /** The ids of the indices/data streams matching `index` (a name, `*` pattern or comma list), or of all. */
  ids(index?: string): string[] {
    const out: string[] = [];
    for (const state of this.resolve(index)) for (const docs of allDocs(state)) for (const id of docs.keys()) out.push(id);
    return out;
  }

  /** Every index and data stream that exists (received a write or was created). */
  indices(): string[] {
    return [...this.indexStates.keys()];
  }

  /** The documents (parsed) of the matching indices, in insertion order. */
  docs(index: string): Array<{ index: string; id: string; source: unknown }> {
    const out: Array<{ index: string; id: string; source: unknown }> = [];
    for (const state of this.resolve(index)) {
      for (const docs of allDocs(state)) for (const [id, doc] of docs) out.push({ index: state.name, id, source: JSON.parse(doc.source) });
    }
    return out;
  }

  count(index?: string): number {
    let n = 0;
    for (const state of this.resolve(index)) for (const docs of allDocs(state)) n += docs.size;
    return n;
  }

  /** The data streams that were created by writes. */
  dataStreams(): string[] {
    return [...this.indexStates.values()].filter((s) => s.dataStream).map((s) => s.name);
  }

  /** Deletes the matching indices and data streams (documents, ids and attempt counts). */
  deleteIndices(pattern: string): void {
    for (const state of this.resolve(pattern)) this.indexStates.delete(state.name);
    const parts = pattern.split(',').map((p) => p.trim());
    for (const name of this.attempts.keys()) if (parts.some((p) => globMatch(p, name))) this.attempts.delete(name);
  }

  // ------------------------------------------------------------------- plumbing

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.boundPort, '127.0.0.1', () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async stopListening(): Promise<void> {
    const closed = this.server.listening
      ? new Promise<void>((resolve) => this.server.close(() => resolve()))
      : Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private resolve(expr: string | undefined): IndexState[] {
    if (expr === undefined || expr === '' || expr === '_all' || expr === '*') return [...this.indexStates.values()];
    const parts = expr.split(',').map((p) => p.trim()).filter(Boolean);
    const names = new Set<string>();
    for (const part of parts) {
      if (part.startsWith('-')) {
        for (const name of names) if (globMatch(part.slice(1), name)) names.delete(name);
        continue;
      }
      for (const name of this.indexStates.keys()) if (globMatch(part, name)) names.add(name);
    }
    return [...names].map((n) => this.indexStates.get(n)!);
  }

  /** Whether a new index of this name would be a data stream: the highest-priority matching template decides. */
  private wouldBeDataStream(name: string): boolean {
    let best: { priority: number; dataStream: boolean } | undefined;
    const consider = (priority: number, dataStream: boolean) => {
      if (!best || priority >= best.priority) best = { priority, dataStream };
    };
    if (this.dataStreamPatterns.some((p) => globMatch(p, name))) consider(100, true);
    for (const t of this.indexTemplates.values()) {
      const patterns = Array.isArray(t.index_patterns) ? t.index_patterns : [t.index_patterns];
      if (patterns.some((p) => typeof p === 'string' && globMatch(p, name))) {
        consider(typeof t.priority === 'number' ? t.priority : 0, t.data_stream != null);
      }
    }
    return best?.dataStream ?? false;
  }

  private indexState(name: string, dataStream = this.wouldBeDataStream(name)): IndexState {
    let state = this.indexStates.get(name);
    if (!state) {
      state = {
        name, uuid: uuid22(), dataStream, writeIndex: dataStream ? backingIndexName(name, 1) : name, generation: 1,
        docs: new Map(), retired: [], seqNo: 0,
      };
      this.indexStates.set(name, state);
    }
    return state;
  }

  private record(r: RecordedRequest): void {
    this.recorded.push(r);
    if (this.recorded.length > RECORD_LIMIT) this.recorded.shift();
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.stats.requests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headersDistinct)) if (v) headers[k] = v.join(', ');
    const record: RecordedRequest = {
      method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers,
      body: EMPTY, decoded: EMPTY, gzip: false, items: 0, status: undefined,
    };
    this.record(record);

    let resetAfter = false;
    if (this.downMode === 'reset' || (this.resetsLeft > 0 && !this.resetAfterProcessing)) {
      if (this.downMode !== 'reset') this.resetsLeft--;
      this.stats.connectionResets++;
      req.socket.destroy();
      return;
    }
    // Decided when the answer is ready: only a processed _bulk (status 200) loses its answer.
    if (this.resetsLeft > 0 && url.pathname.endsWith('/_bulk')) resetAfter = true;
    this.handle(req, res, record, url, resetAfter).catch((err: unknown) => {
      if (err instanceof EsHttpError) return;
      process.stderr.write(`EsServer: ${req.method} ${req.url} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'X-Elastic-Product': 'Elasticsearch', 'Content-Type': 'application/json' });
        res.end(JSON.stringify(errorBody(500, { type: 'exception', reason: String(err) })));
      }
    });
  }

  private async handle(
    req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest, url: URL, resetAfter: boolean,
  ): Promise<void> {
    const ctx: Ctx = {
      req, res, record, method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body: EMPTY,
      contentType: 'application/json', resetAfter,
    };
    const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : undefined;
    // Netty answers from the headers, before authentication and before a byte of the body is read.
    // A decompressed body's Content-Length is dropped by the decompressor in front of that check.
    if (!decoder && Number(req.headers['content-length'] ?? 0) > this.maxContentLength) {
      this.refuseTooLarge(ctx, this.tooLargeMode === 'close');
      return;
    }
    if (decoder && encoding !== 'deflate') {
      record.gzip = true;
      this.stats.gzipRequests++;
    }
    const read = await this.readBody(req, decoder);
    if (read.aborted) return;
    if (read.tooLarge) {
      // Found while reading: the rest of the body is still coming, so the connection cannot be reused.
      this.refuseTooLarge(ctx, true);
      return;
    }
    record.body = read.raw;
    record.decoded = read.decoded;
    ctx.body = read.decoded;
    try {
      if (this.downMode === '503') {
        this.stats.requestFailures++;
        throw httpError(503, {
          type: 'cluster_block_exception',
          reason: 'blocked by: [SERVICE_UNAVAILABLE/2/no master];',
        });
      }
      this.authenticate(ctx);
      if (read.decodeError) throw httpError(400, { type: 'illegal_argument_exception', reason: `invalid ${encoding} body: ${read.decodeError}` });
      this.negotiate(ctx);
      const fault = this.takeRequestFault(ctx, faultKind(ctx));
      if (fault) {
        this.answerFault(ctx, fault, 0);
        return;
      }
      await this.route(ctx);
    } catch (err) {
      if (!(err instanceof EsHttpError)) throw err;
      this.send(ctx, err.status, err.body, err.headers, { error: true });
    }
  }

  /** The body as received and decoded, stopping (tooLarge) once the decoded bytes pass maxContentLength. */
  private readBody(req: http.IncomingMessage, decoder: Transform | undefined): Promise<BodyRead> {
    return new Promise((resolve) => {
      const raw: Buffer[] = [];
      const decoded: Buffer[] = [];
      let rawSize = 0;
      let size = 0;
      let settled = false;
      const done = (r: Omit<BodyRead, 'raw' | 'decoded'>) => {
        if (settled) return;
        settled = true;
        const rawBody = Buffer.concat(raw, rawSize);
        resolve({ ...r, raw: rawBody, decoded: decoder ? Buffer.concat(decoded, size) : rawBody });
      };
      const count = (chunk: Buffer, into: Buffer[]) => {
        if (settled) return;
        size += chunk.length;
        if (size > this.maxContentLength) {
          req.unpipe();
          decoder?.destroy();
          done({ aborted: false, tooLarge: true });
        } else into.push(chunk);
      };
      req.on('data', (chunk: Buffer) => {
        rawSize += chunk.length;
        if (decoder) raw.push(chunk);
        else count(chunk, raw);
      });
      req.on('error', () => done({ aborted: true, tooLarge: false }));
      if (decoder) {
        decoder.on('data', (chunk: Buffer) => count(chunk, decoded));
        decoder.on('error', (err) => done({ aborted: false, tooLarge: false, decodeError: String(err) }));
        decoder.on('end', () => done({ aborted: false, tooLarge: false }));
        req.pipe(decoder);
      } else {
        req.on('end', () => done({ aborted: false, tooLarge: false }));
      }
    });
  }

  /** Netty's own 413: no body and no product header (it never reaches ES's REST layer). */
  private refuseTooLarge(ctx: Ctx, close: boolean): void {
    const { req, res, record } = ctx;
    this.stats.tooLarge++;
    record.status = 413;
    res.writeHead(413, { 'Content-Length': '0', ...(close && { Connection: 'close' }) });
    if (close) {
      res.end(() => req.socket.destroy());
    } else {
      res.end();
      req.resume(); // read and dropped, so the connection can carry the next request
    }
  }

  private authenticate(ctx: Ctx): void {
    const auth = this.auth;
    if (!auth) return;
    const uri = ctx.req.url ?? '/';
    const header = ctx.req.headers.authorization;
    const challenge = {
      'WWW-Authenticate': ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', 'ApiKey'],
    };
    const fail = (reason: string): never => {
      const cause = { type: 'security_exception', reason, header: { 'WWW-Authenticate': challenge['WWW-Authenticate'] } };
      throw new EsHttpError(401, errorBody(401, cause), challenge);
    };
    if (!header) fail(`missing authentication credentials for REST request [${uri}]`);
    const space = header!.indexOf(' ');
    const scheme = (space === -1 ? header! : header!.slice(0, space)).toLowerCase();
    const value = space === -1 ? '' : header!.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon === -1 ? decoded : decoded.slice(0, colon);
      const pass = colon === -1 ? '' : decoded.slice(colon + 1);
      if ('username' in auth && auth.username === user && auth.password === pass) return;
      fail(`unable to authenticate user [${user}] for REST request [${uri}]`);
    }
    if (scheme === 'apikey' && 'apiKey' in auth && auth.apiKey === value) return;
    if (scheme === 'bearer' && 'bearer' in auth && auth.bearer === value) return;
    fail('unable to authenticate with provided credentials and anonymous access is not allowed for this request');
  }

  /** ES's RestRequest + RestCompatibleVersionHelper checks, and the response content type. */
  private negotiate(ctx: Ctx): void {
    const acceptRaw = ctx.req.headers.accept;
    const ctRaw = ctx.req.headers['content-type'];
    let accept: MediaType | null;
    let contentType: MediaType | null;
    const headerError = (headers: string, cause: EsCause): EsHttpError =>
      httpError(400, { type: 'media_type_header_exception', reason: `Invalid media-type value on headers [${headers}]` }, cause);
    try {
      accept = parseMediaType(acceptRaw);
    } catch (err) {
      throw headerError('Accept', { type: 'illegal_argument_exception', reason: (err as Error).message });
    }
    try {
      contentType = parseMediaType(ctRaw);
    } catch (err) {
      throw headerError('Content-Type', { type: 'illegal_argument_exception', reason: (err as Error).message });
    }
    const hasContent = ctx.body.length > 0;
    const versionOf = (mt: MediaType | null): number | undefined => {
      const v = mt?.params.get('compatible-with');
      if (v === undefined) return undefined;
      if (!/^-?\d+$/.test(v) || Number(v) > 127 || Number(v) < -128) {
        throw headerError('Accept, Content-Type', { type: 'number_format_exception', reason: `For input string: "${v}"` });
      }
      return Number(v);
    };
    const a = versionOf(accept);
    const c = versionOf(contentType);
    const current = this.major;
    const minimum = this.major - 1;
    const av = a ?? current;
    const cv = c ?? current;
    const status = (reason: string) => headerError('Accept, Content-Type', { type: 'status_exception', reason });
    const show = (mt: MediaType | null) => (mt ? mt.raw : 'null');
    if (av > current || av < minimum) {
      throw status(`Accept version must be either version ${current} or ${minimum}, but found ${av}. Accept=${show(accept)}`);
    }
    if (hasContent) {
      if (cv > current || cv < minimum) {
        throw status(`Content-Type version must be either version ${current} or ${minimum}, but found ${cv}. Content-Type=${show(contentType)}`);
      }
      if (cv !== av) {
        throw status(
          'A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version ' +
            `and the compatible versions must match. Accept=${show(accept)}, Content-Type=${show(contentType)}`,
        );
      }
      if ((c === undefined) !== (a === undefined)) {
        throw status(
          'A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version. ' +
            `Accept=${show(accept)}, Content-Type=${show(contentType)}`,
        );
      }
      if (!contentType || !isJsonLike(contentType)) {
        const error = ctRaw === undefined ? 'Content-Type header is missing' : `Content-Type header [${ctRaw}] is not supported`;
        throw new EsHttpError(406, { error, status: 406 });
      }
    }
    const compat = a ?? (hasContent ? c : undefined);
    ctx.contentType = compat === undefined ? 'application/json' : `application/vnd.elasticsearch+json;compatible-with=${compat}`;
  }

  /** `error`: an exception's answer, which ES builds with filtering off (AbstractRestChannel.newErrorBuilder). */
  private send(ctx: Ctx, status: number, body: unknown, extraHeaders: Record<string, string | string[]> = {}, opts: { error?: boolean } = {}): void {
    const { req, res, record } = ctx;
    let payload: Buffer = EMPTY;
    const headers: Record<string, string | string[]> = { ...(this.productHeader && { 'X-Elastic-Product': 'Elasticsearch' }), ...extraHeaders };
    if (body !== undefined) {
      const filterPath = opts.error ? null : ctx.query.get('filter_path');
      const filtered = filterPath ? applyFilterPath(body, filterPath) : body;
      const pretty = ctx.query.has('pretty') && ctx.query.get('pretty') !== 'false';
      payload = Buffer.from(pretty ? `${JSON.stringify(filtered, null, 2)}\n` : JSON.stringify(filtered));
      headers['Content-Type'] = ctx.contentType;
      if (req.method !== 'HEAD' && /\bgzip\b/i.test(req.headers['accept-encoding'] ?? '')) {
        payload = gzipSync(payload);
        headers['Content-Encoding'] = 'gzip';
      }
    }
    headers['Content-Length'] = String(payload.length);
    const finish = () => {
      if (res.destroyed) return;
      if (ctx.resetAfter && status === 200 && this.resetAfterProcessing && this.resetsLeft > 0) {
        this.resetsLeft--;
        this.stats.connectionResets++;
        req.socket.destroy();
        return;
      }
      record.status = status;
      res.writeHead(status, headers);
      if (req.method === 'HEAD') res.end();
      else if (status === 200 && this.slow.left > 0 && ctx.path.endsWith('/_bulk')) {
        this.slow.left--;
        this.trickle(res, payload, this.slow.chunkEveryMs);
      } else res.end(payload);
    };
    if (this.delayMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        finish();
      }, this.delayMs);
      this.timers.add(t);
    } else {
      finish();
    }
  }

  /** Writes `payload` 8 bytes at a time, one write every `everyMs`, until done or the client leaves. */
  private trickle(res: http.ServerResponse, payload: Buffer, everyMs: number): void {
    let at = 0;
    const next = () => {
      if (res.destroyed || this.closing) return;
      if (at >= payload.length) {
        res.end();
        return;
      }
      res.write(payload.subarray(at, at + 8));
      at += 8;
      const t = setTimeout(() => {
        this.timers.delete(t);
        next();
      }, everyMs);
      this.timers.add(t);
    };
    next();
  }

  /** An injected whole-request answer (see RequestFault). */
  private answerFault(ctx: Ctx, fault: QueuedFault, bytes: number): void {
    const { req, res, record } = ctx;
    // A proxy answers these (ES has no 408/502/504 of its own), with its HTML page.
    if (fault.body === 'html' || fault.status === 408 || fault.status === 502 || fault.status === 504) {
      const title = `${fault.status} ${http.STATUS_CODES[fault.status]}`;
      record.status = fault.status;
      res.writeHead(fault.status, { 'Content-Type': 'text/html' });
      res.end(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`);
      return;
    }
    const err = this.requestFault(fault.status, bytes);
    if (fault.body === 'truncated') {
      const text = Buffer.from(JSON.stringify(err.body));
      record.status = fault.status;
      res.writeHead(fault.status, { 'X-Elastic-Product': 'Elasticsearch', 'Content-Type': ctx.contentType, 'Content-Length': String(text.length) });
      res.write(text.subarray(0, text.length >> 1), () => req.socket.destroy());
      return;
    }
    this.send(ctx, err.status, err.body, err.headers, { error: true });
  }

  // -------------------------------------------------------------------- routes

  private buildRoutes(): Route[] {
    const seg = '([^/]+)';
    const idx = '([^/_][^/]*)';
    return [
      { re: /^\/$/, methods: { GET: (c) => this.root(c), HEAD: (c) => this.root(c) } },
      { re: /^\/_bulk$/, methods: { POST: (c) => this.bulk(c, undefined), PUT: (c) => this.bulk(c, undefined) } },
      { re: new RegExp(`^/${idx}/_bulk$`), methods: { POST: (c, p) => this.bulk(c, p[0]), PUT: (c, p) => this.bulk(c, p[0]) } },
      { re: /^\/_refresh$/, methods: { POST: (c) => this.refresh(c, undefined), GET: (c) => this.refresh(c, undefined) } },
      { re: new RegExp(`^/${idx}/_refresh$`), methods: { POST: (c, p) => this.refresh(c, p[0]), GET: (c, p) => this.refresh(c, p[0]) } },
      { re: new RegExp(`^/${idx}/_count$`), methods: { GET: (c, p) => this.countApi(c, p[0]!), POST: (c, p) => this.countApi(c, p[0]!) } },
      {
        re: new RegExp(`^/${idx}/_doc/${seg}$`),
        methods: { GET: (c, p) => this.getDoc(c, p[0]!, p[1]!), HEAD: (c, p) => this.getDoc(c, p[0]!, p[1]!) },
      },
      {
        re: /^\/_component_template$/,
        methods: { GET: (c) => this.getTemplates(c, 'component', undefined) },
      },
      {
        re: new RegExp(`^/_component_template/${seg}$`),
        methods: {
          PUT: (c, p) => this.putTemplate(c, 'component', p[0]!),
          POST: (c, p) => this.putTemplate(c, 'component', p[0]!),
          GET: (c, p) => this.getTemplates(c, 'component', p[0]),
          HEAD: (c, p) => this.getTemplates(c, 'component', p[0]),
          DELETE: (c, p) => this.deleteTemplate(c, 'component', p[0]!),
        },
      },
      { re: /^\/_index_template$/, methods: { GET: (c) => this.getTemplates(c, 'index', undefined) } },
      {
        re: new RegExp(`^/_index_template/${seg}$`),
        methods: {
          PUT: (c, p) => this.putTemplate(c, 'index', p[0]!),
          POST: (c, p) => this.putTemplate(c, 'index', p[0]!),
          GET: (c, p) => this.getTemplates(c, 'index', p[0]),
          HEAD: (c, p) => this.getTemplates(c, 'index', p[0]),
          DELETE: (c, p) => this.deleteTemplate(c, 'index', p[0]!),
        },
      },
      { re: new RegExp(`^/_data_stream/${seg}$`), methods: { DELETE: (c, p) => this.deleteDataStream(c, p[0]!) } },
      {
        re: new RegExp(`^/${idx}$`),
        methods: {
          GET: (c, p) => this.getIndex(c, p[0]!),
          HEAD: (c, p) => this.getIndex(c, p[0]!),
          PUT: (c, p) => this.createIndex(c, p[0]!),
          DELETE: (c, p) => this.deleteIndex(c, p[0]!),
        },
      },
    ];
  }

  private async route(ctx: Ctx): Promise<void> {
    const path = ctx.path.length > 1 ? ctx.path.replace(/\/+$/, '') : ctx.path;
    for (const route of this.routes) {
      const m = route.re.exec(path);
      if (!m) continue;
      const handler = route.methods[ctx.method];
      if (!handler) {
        const allowed = Object.keys(route.methods).join(', ');
        throw new EsHttpError(
          405,
          { error: `Incorrect HTTP method for uri [${ctx.req.url}] and method [${ctx.method}], allowed: [${allowed}]`, status: 405 },
          { Allow: allowed },
        );
      }
      const params = m.slice(1).map((p) => decodeURIComponent(p));
      await handler(ctx, params);
      return;
    }
    // ES answers an unknown endpoint 400 with a bare string error.
    throw new EsHttpError(400, { error: `no handler found for uri [${ctx.req.url}] and method [${ctx.method}]` });
  }

  private root(ctx: Ctx): void {
    const major = this.major;
    this.send(ctx, 200, {
      name: 'es-fake-node-1',
      cluster_name: 'logship-test',
      cluster_uuid: 'dGVzdC1jbHVzdGVyLXV1aQ',
      version: {
        number: this.version,
        build_flavor: 'default',
        build_type: 'docker',
        build_hash: '6b1e7b5e0a8d3f2c4b9a1d7e8f0c2a4b6d8e0f1a',
        build_date: '2025-07-01T12:00:00.000000000Z',
        build_snapshot: false,
        lucene_version: major >= 9 ? '10.2.2' : major === 8 ? '9.12.0' : '8.11.3',
        minimum_wire_compatibility_version: major >= 9 ? `${major - 1}.19.0` : major === 8 ? '7.17.0' : '6.8.0',
        minimum_index_compatibility_version: `${major - 1}.0.0`,
      },
      tagline: 'You Know, for Search',
    });
  }

  // ---------------------------------------------------------------------- bulk

  private bulk(ctx: Ctx, pathIndex: string | undefined): void {
    const started = performance.now();
    this.stats.bulkRequests++;
    for (const name of ctx.query.keys()) {
      if (!BULK_PARAMS.has(name)) {
        throw httpError(400, {
          type: 'illegal_argument_exception',
          reason: `request [${ctx.path}] contains unrecognized parameter: [${name}]`,
        });
      }
    }
    const text = ctx.body.toString('utf8');
    let ops: ParsedOp[] | undefined;
    let parseError: EsHttpError | undefined;
    try {
      ops = this.parseBulk(text, pathIndex);
      ctx.record.items = ops.length;
    } catch (err) {
      if (!(err instanceof EsHttpError)) throw err;
      parseError = err;
    }

    const fault = this.takeRequestFault(ctx, 'bulk');
    if (fault) {
      this.answerFault(ctx, fault, ctx.body.length);
      return;
    }
    if (parseError) throw parseError;
    ops = ops!;
    if (ops.length === 0) {
      throw httpError(400, { type: 'action_request_validation_exception', reason: 'Validation Failed: 1: no requests added;' });
    }
    const problems: string[] = [];
    for (const op of ops) {
      if (op.index === undefined) problems.push('index is missing');
      if ((op.op === 'index' || op.op === 'create' || op.op === 'update') && (op.source === undefined || op.source.trim() === '')) {
        problems.push(op.op === 'update' ? 'script or doc is missing' : 'source is missing');
      }
      if (op.id !== undefined && Buffer.byteLength(op.id) > 512) {
        problems.push(`id [${op.id}] is too long, must be no longer than 512 bytes but was: ${Buffer.byteLength(op.id)}`);
      }
      if (op.op !== 'index' && op.op !== 'create' && op.id === undefined) problems.push('id is missing');
    }
    if (problems.length > 0) {
      throw httpError(400, {
        type: 'action_request_validation_exception',
        reason: `Validation Failed: ${problems.map((p, i) => `${i + 1}: ${p};`).join('')}`,
      });
    }

    this.stats.itemsReceived += ops.length;
    let errors = false;
    const items = ops.map((op) => {
      const item = this.applyOp(op);
      if ('error' in item) errors = true;
      return { [op.op]: item };
    });
    this.send(ctx, 200, { took: Math.max(0, Math.round(performance.now() - started)), errors, items });
  }

  /** The first queued fault for this kind of request, counted and used up; none for other paths. */
  private takeRequestFault(ctx: Ctx, on: QueuedFault['on'] | undefined): QueuedFault | undefined {
    let text: string | undefined;
    const i = on === undefined ? -1 : this.requestFaultQueue.findIndex((f) => f.on === on && (!f.where || f.where((text ??= ctx.body.toString('utf8')))));
    if (i === -1) return undefined;
    const fault = this.requestFaultQueue[i]!;
    if (--fault.left === 0) this.requestFaultQueue.splice(i, 1);
    this.stats.requestFailures++;
    return fault;
  }

  /** ES's own answer for an injected status (408/502/504 come from a proxy: see answerFault). */
  private requestFault(status: RequestFaultStatus, bytes: number): EsHttpError {
    switch (status) {
      case 400:
        return httpError(400, { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' });
      case 403:
        return httpError(403, {
          type: 'security_exception',
          reason: 'action [indices:data/write/bulk] is unauthorized for user [shipper] with effective roles [viewer], this action is granted by the cluster privileges [all]',
        });
      case 404:
        return httpError(404, {
          type: 'index_not_found_exception', reason: 'no such index [logs]', 'resource.type': 'index_or_alias', 'resource.id': 'logs', index_uuid: '_na_', index: 'logs',
        });
      case 406:
        return new EsHttpError(406, { error: 'Content-Type header [text/plain] is not supported', status: 406 });
      case 413:
        return new EsHttpError(413, undefined);
      case 429:
        return httpError(429, {
          type: 'circuit_breaking_exception',
          reason: `[parent] Data too large, data for [<http_request>] would be [${bytes + 1_020_000_000}/${Math.round((bytes + 1_020_000_000) / 1048576)}mb], which is larger than the limit of [1020054732/972.7mb]`,
          bytes_wanted: bytes + 1_020_000_000,
          bytes_limit: 1_020_054_732,
          durability: 'TRANSIENT',
        });
      case 503:
        return httpError(503, { type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/2/no master];' });
      case 500:
        return httpError(500, { type: 'illegal_state_exception', reason: 'injected internal server error' });
      case 408:
      case 502:
      case 504:
        return httpError(status, { type: 'exception', reason: http.STATUS_CODES[status]! });
    }
  }

  /** Splits an NDJSON _bulk body into operations the way BulkRequestParser does (whole-request errors thrown). */
  private parseBulk(text: string, pathIndex: string | undefined): ParsedOp[] {
    const ops: ParsedOp[] = [];
    const len = text.length;
    let pos = 0;
    let line = 0;
    const nextLine = (): string | undefined => {
      if (pos >= len) return undefined;
      const nl = text.indexOf('\n', pos);
      if (nl === -1) {
        throw httpError(400, { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' });
      }
      const s = text.slice(pos, nl);
      pos = nl + 1;
      line++;
      return s;
    };
    let lastActionText: string | undefined;
    let lastAction: { op: BulkOp; index: string | undefined; id: string | undefined } | undefined;
    for (;;) {
      const actionText = nextLine();
      if (actionText === undefined) break;
      if (actionText.trim() === '') continue;
      const actionLine = line;
      let action: { op: BulkOp; index: string | undefined; id: string | undefined };
      if (actionText === lastActionText && lastAction) {
        action = lastAction; // the common case: the same action line repeated (no _id)
      } else {
        action = this.parseAction(actionText, actionLine, pathIndex);
        lastActionText = actionText;
        lastAction = action;
      }
      let source: string | undefined;
      if (action.op !== 'delete') {
        source = nextLine();
        if (source === undefined) break; // ES ignores an action line without its document at the very end
      }
      ops.push({ op: action.op, line: actionLine, index: action.index, id: action.id, source });
    }
    return ops;
  }

  private parseAction(
    text: string, line: number, pathIndex: string | undefined,
  ): { op: BulkOp; index: string | undefined; id: string | undefined } {
    const malformed = (reason: string) => httpError(400, { type: 'illegal_argument_exception', reason });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw httpError(400, {
        type: 'x_content_parse_exception',
        reason: `${jsonErrorPosition(err, line)} ${(err as Error).message}`,
      });
    }
    if (!isPlainObject(parsed)) {
      throw malformed(`Malformed action/metadata line [${line}], expected START_OBJECT or END_OBJECT but found [${tokenName(parsed)}]`);
    }
    const keys = Object.keys(parsed);
    if (keys.length === 0) throw malformed(`Malformed action/metadata line [${line}], expected FIELD_NAME but found [END_OBJECT]`);
    const op = keys[0]!;
    if (!(BULK_OPS as readonly string[]).includes(op)) {
      throw malformed(`Malformed action/metadata line [${line}], expected field [create], [delete], [index] or [update] but found [${op}]`);
    }
    const meta = parsed[op];
    if (!isPlainObject(meta)) {
      throw malformed(`Malformed action/metadata line [${line}], expected START_OBJECT but found [${tokenName(meta)}]`);
    }
    if (keys.length > 1) throw malformed(`Malformed action/metadata line [${line}], expected END_OBJECT but found [FIELD_NAME]`);
    for (const k of Object.keys(meta)) {
      if (!ACTION_META.has(k)) throw malformed(`Action/metadata line [${line}] contains an unknown parameter [${k}]`);
    }
    const scalar = (k: string): string | undefined => {
      const v = meta[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw malformed(`Malformed action/metadata line [${line}], expected a simple value for field [${k}] but found [${tokenName(v)}]`);
    };
    return { op: op as BulkOp, index: scalar('_index') ?? pathIndex, id: scalar('_id') };
  }

  /** One item: the response object ES puts under `{ <op>: … }`. */
  private applyOp(op: ParsedOp): Record<string, unknown> {
    const indexName = op.index!;
    const failure = (status: number, cause: EsCause, index = indexName, id: string | null | undefined = op.id) => {
      if (status === 409) this.stats.duplicates409++;
      else if (status === 429 || status >= 500) this.stats.failedItems++;
      else if (status >= 400) this.stats.rejected++;
      return { _index: index, _id: id ?? null, status, error: cause };
    };

    const badName = invalidIndexNameReason(indexName);
    if (badName) {
      return failure(400, {
        type: 'invalid_index_name_exception', reason: `Invalid index name [${indexName}], ${badName}`, index_uuid: '_na_', index: indexName,
      });
    }
    const existing = this.indexStates.get(indexName);
    const isDataStream = existing ? existing.dataStream : this.wouldBeDataStream(indexName);
    const writes = op.op === 'index' || op.op === 'create';

    if (writes) {
      let attempt = 1;
      if (op.id !== undefined) {
        let seen = this.attempts.get(indexName);
        if (!seen) this.attempts.set(indexName, (seen = new Map()));
        attempt = (seen.get(op.id) ?? 0) + 1;
        seen.set(op.id, attempt);
      }
      const status = this.itemRule?.({ index: indexName, id: op.id, source: op.source!, attempt });
      if (status !== undefined) return this.injectedFailure(status, op, existing?.writeIndex ?? indexName, failure);
    }

    if (isDataStream && op.op !== 'create') {
      return failure(400, {
        type: 'illegal_argument_exception',
        reason: 'only write ops with an op_type of create are allowed in data streams',
      });
    }
    const state = existing ?? this.indexState(indexName, isDataStream);
    const id = op.id ?? autoId();
    const shardError = (type: string, reason: string, extra: Record<string, unknown> = {}): EsCause => ({
      type, reason, ...extra, index_uuid: state.uuid, shard: '0', index: state.writeIndex,
    });

    if (op.op === 'delete') {
      const doc = state.docs.get(id);
      const seqNo = state.seqNo++;
      if (!doc) return { _index: state.writeIndex, _id: id, _version: 1, result: 'not_found', _shards: SHARDS, _seq_no: seqNo, _primary_term: 1, status: 404 };
      state.docs.delete(id);
      this.stats.deleted++;
      return { _index: state.writeIndex, _id: id, _version: doc.version + 1, result: 'deleted', _shards: SHARDS, _seq_no: seqNo, _primary_term: 1, status: 200 };
    }

    const source = op.source!;
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (err) {
      return failure(400, shardError('document_parsing_exception', `${jsonErrorPosition(err, 1)} failed to parse: ${(err as Error).message}`), state.writeIndex, id);
    }
    if (!isPlainObject(parsed)) {
      return failure(400, shardError('document_parsing_exception', '[1:1] failed to parse: Malformed content, must start with an object'), state.writeIndex, id);
    }

    if (op.op === 'update') return this.applyUpdate(state, id, parsed, failure, shardError);

    if (state.dataStream && (parsed['@timestamp'] === undefined || parsed['@timestamp'] === null)) {
      const reason = 'data stream timestamp field [@timestamp] is missing';
      return failure(
        400,
        { ...shardError('document_parsing_exception', `[1:${source.length}] failed to parse: ${reason}`), caused_by: { type: 'illegal_argument_exception', reason } },
        state.writeIndex,
        id,
      );
    }
    const ts = state.dataStream ? parsed['@timestamp'] : undefined;
    if (ts !== undefined && !(typeof ts === 'number' || (typeof ts === 'string' && !Number.isNaN(Date.parse(ts))))) {
      // A data stream maps @timestamp as date: anything else fails like a mapping error.
      const shown = typeof ts === 'string' ? ts : JSON.stringify(ts);
      return failure(
        400,
        {
          ...shardError('document_parsing_exception', `[1:15] failed to parse field [@timestamp] of type [date] in document with id '${id}'. Preview of field's value: '${shown}'`),
          caused_by: { type: 'illegal_argument_exception', reason: `failed to parse date field [${shown}] with format [strict_date_optional_time||epoch_millis]` },
        },
        state.writeIndex,
        id,
      );
    }
    const held = state.docs.get(id);
    if (held && op.op === 'create') {
      return failure(
        409,
        shardError('version_conflict_engine_exception', `[${id}]: version conflict, document already exists (current version [${held.version}])`),
        state.writeIndex,
        id,
      );
    }
    const version = held ? held.version + 1 : 1;
    state.docs.set(id, { source, version });
    if (held) this.stats.updated++;
    else this.stats.created++;
    return {
      _index: state.writeIndex, _id: id, _version: version, result: held ? 'updated' : 'created', _shards: SHARDS,
      _seq_no: state.seqNo++, _primary_term: 1, status: held ? 200 : 201,
    };
  }

  private injectedFailure(
    status: ItemFaultStatus,
    op: ParsedOp,
    indexName: string,
    failure: (status: number, cause: EsCause, index?: string, id?: string | null) => Record<string, unknown>,
  ): Record<string, unknown> {
    const bytes = Buffer.byteLength(op.source ?? '');
    switch (status) {
      case 429:
        return failure(429, {
          type: 'es_rejected_execution_exception',
          reason: `rejected execution of coordinating operation [coordinating_and_primary_bytes=${bytes}, replica_bytes=0, all_bytes=${bytes}, coordinating_operation_bytes=${bytes}, max_coordinating_and_primary_bytes=0]`,
        }, indexName);
      case 503:
        return failure(503, {
          type: 'unavailable_shards_exception',
          reason: `[${indexName}][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[${indexName}][0]] containing [1] requests]`,
        }, indexName);
      case 403:
        return failure(403, {
          type: 'security_exception',
          reason: `action [indices:data/write/bulk[s]] is unauthorized for user [shipper] with effective roles [logs_reader] on indices [${indexName}], this action is granted by the index privileges [create_doc,create,index,write,all]`,
        }, indexName);
      case 404:
        return failure(404, {
          type: 'index_not_found_exception', reason: `no such index [${op.index}]`, 'resource.type': 'index_expression', 'resource.id': op.index, index_uuid: '_na_', index: op.index,
        }, op.index);
      case 400: {
        const id = op.id ?? autoId();
        return failure(
          400,
          {
            type: 'document_parsing_exception',
            reason: `[1:27] failed to parse field [status] of type [long] in document with id '${id}'. Preview of field's value: 'x'`,
            caused_by: { type: 'illegal_argument_exception', reason: 'For input string: "x"' },
          },
          indexName,
          id,
        );
      }
    }
  }

  private applyUpdate(
    state: IndexState,
    id: string,
    body: Record<string, unknown>,
    failure: (status: number, cause: EsCause, index?: string, id?: string | null) => Record<string, unknown>,
    shardError: (type: string, reason: string) => EsCause,
  ): Record<string, unknown> {
    const held = state.docs.get(id);
    const doc = isPlainObject(body.doc) ? body.doc : undefined;
    let next: Record<string, unknown>;
    if (held) {
      if (!doc) return failure(400, shardError('action_request_validation_exception', 'Validation Failed: 1: script or doc is missing;'), state.writeIndex, id);
      const current = JSON.parse(held.source) as Record<string, unknown>;
      next = deepMerge(current, doc);
      if (JSON.stringify(next) === JSON.stringify(current)) {
        return { _index: state.writeIndex, _id: id, _version: held.version, result: 'noop', _shards: { total: 0, successful: 0, failed: 0 }, _seq_no: state.seqNo - 1, _primary_term: 1, status: 200 };
      }
    } else if (doc && body.doc_as_upsert === true) {
      next = doc;
    } else if (isPlainObject(body.upsert)) {
      next = body.upsert;
    } else {
      return failure(404, shardError('document_missing_exception', `[${id}]: document missing`), state.writeIndex, id);
    }
    const version = held ? held.version + 1 : 1;
    state.docs.set(id, { source: JSON.stringify(next), version });
    if (held) this.stats.updated++;
    else this.stats.created++;
    return {
      _index: state.writeIndex, _id: id, _version: version, result: held ? 'updated' : 'created', _shards: SHARDS,
      _seq_no: state.seqNo++, _primary_term: 1, status: held ? 200 : 201,
    };
  }

  // ------------------------------------------------------- templates, indices

  private parseJsonBody(ctx: Ctx): Record<string, unknown> {
    if (ctx.body.length === 0) throw httpError(400, { type: 'parse_exception', reason: 'request body is required' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(ctx.body.toString('utf8'));
    } catch (err) {
      throw httpError(400, { type: 'x_content_parse_exception', reason: `${jsonErrorPosition(err, 1)} ${(err as Error).message}` });
    }
    if (!isPlainObject(parsed)) {
      throw httpError(400, { type: 'parse_exception', reason: `request body must be an object, found [${tokenName(parsed)}]` });
    }
    return parsed;
  }

  private putTemplate(ctx: Ctx, kind: 'component' | 'index', name: string): void {
    const body = this.parseJsonBody(ctx);
    const store = kind === 'component' ? this.componentTemplates : this.indexTemplates;
    if (ctx.query.get('create') === 'true' && store.has(name)) {
      throw httpError(400, { type: 'illegal_argument_exception', reason: `${kind === 'component' ? 'component' : 'index'} template [${name}] already exists` });
    }
    if (kind === 'component') {
      if (!isPlainObject(body.template)) throw httpError(400, { type: 'x_content_parse_exception', reason: '[1:2] Required [template]' });
    } else {
      const patterns = body.index_patterns;
      if (patterns === undefined || (Array.isArray(patterns) && patterns.length === 0)) {
        throw httpError(400, { type: 'action_request_validation_exception', reason: 'Validation Failed: 1: index patterns are missing;' });
      }
      const composedOf = Array.isArray(body.composed_of) ? body.composed_of.map(String) : [];
      const missing = composedOf.filter((c) => !this.componentTemplates.has(c));
      const ignored = Array.isArray(body.ignore_missing_component_templates) ? body.ignore_missing_component_templates.map(String) : [];
      const reallyMissing = missing.filter((c) => !ignored.includes(c));
      if (reallyMissing.length > 0) {
        throw httpError(400, {
          type: 'invalid_index_template_exception',
          reason: `index_template [${name}] invalid, cause [index template [${name}] specifies component templates [${reallyMissing.join(', ')}] that do not exist]`,
          index: name,
        });
      }
    }
    store.set(name, body);
    this.send(ctx, 200, { acknowledged: true });
  }

  private getTemplates(ctx: Ctx, kind: 'component' | 'index', expr: string | undefined): void {
    const store = kind === 'component' ? this.componentTemplates : this.indexTemplates;
    const patterns = expr === undefined ? ['*'] : expr.split(',');
    const names = [...store.keys()].filter((n) => patterns.some((p) => globMatch(p, n)));
    const wildcard = patterns.some((p) => p.includes('*'));
    if (names.length === 0 && !wildcard) {
      throw httpError(404, { type: 'resource_not_found_exception', reason: `${kind} template matching [${expr}] not found` });
    }
    if (kind === 'component') {
      this.send(ctx, 200, { component_templates: names.map((name) => ({ name, component_template: store.get(name) })) });
    } else {
      this.send(ctx, 200, {
        index_templates: names.map((name) => ({ name, index_template: { composed_of: [], ...store.get(name) } })),
      });
    }
  }

  private deleteTemplate(ctx: Ctx, kind: 'component' | 'index', name: string): void {
    const store = kind === 'component' ? this.componentTemplates : this.indexTemplates;
    const names = [...store.keys()].filter((n) => name.split(',').some((p) => globMatch(p, n)));
    if (names.length === 0) {
      throw httpError(404, { type: 'resource_not_found_exception', reason: `${kind} template matching [${name}] not found` });
    }
    if (kind === 'component') {
      for (const n of names) {
        const users = [...this.indexTemplates].filter(([, t]) => Array.isArray(t.composed_of) && t.composed_of.includes(n)).map(([u]) => u);
        if (users.length > 0) {
          throw httpError(400, {
            type: 'illegal_argument_exception',
            reason: `component templates [${n}] cannot be removed as they are still in use by index templates [${users.join(', ')}]`,
          });
        }
      }
    }
    for (const n of names) store.delete(n);
    this.send(ctx, 200, { acknowledged: true });
  }

  private indexNotFound(name: string): EsHttpError {
    return httpError(404, {
      type: 'index_not_found_exception', reason: `no such index [${name}]`,
      'resource.type': 'index_or_alias', 'resource.id': name, index_uuid: '_na_', index: name,
    });
  }

  /** Concrete names must exist; patterns may match nothing. */
  private resolveOrThrow(expr: string): IndexState[] {
    for (const part of expr.split(',')) {
      if (!part.includes('*') && part !== '_all' && !part.startsWith('-') && !this.indexStates.has(part)) throw this.indexNotFound(part);
    }
    return this.resolve(expr);
  }

  private refresh(ctx: Ctx, expr: string | undefined): void {
    const n = expr === undefined ? this.indexStates.size : this.resolveOrThrow(expr).length;
    this.send(ctx, 200, { _shards: { total: n * 2, successful: n, failed: 0 } });
  }

  private countApi(ctx: Ctx, expr: string): void {
    const states = this.resolveOrThrow(expr);
    const count = states.reduce((n, s) => n + allDocs(s).reduce((k, d) => k + d.size, 0), 0);
    this.send(ctx, 200, { count, _shards: { total: states.length, successful: states.length, skipped: 0, failed: 0 } });
  }

  private getDoc(ctx: Ctx, index: string, id: string): void {
    const state = this.indexStates.get(index);
    if (!state) throw this.indexNotFound(index);
    const doc = allDocs(state).reverse().find((d) => d.has(id))?.get(id);
    if (!doc) {
      this.send(ctx, 404, { _index: state.writeIndex, _id: id, found: false });
      return;
    }
    this.send(ctx, 200, {
      _index: state.writeIndex, _id: id, _version: doc.version, _seq_no: 0, _primary_term: 1, found: true, _source: JSON.parse(doc.source),
    });
  }

  private getIndex(ctx: Ctx, expr: string): void {
    const states = this.resolveOrThrow(expr);
    const out: Record<string, unknown> = {};
    for (const s of states) {
      out[s.writeIndex] = {
        aliases: {},
        mappings: {},
        settings: { index: { number_of_shards: '1', number_of_replicas: '1', uuid: s.uuid, provided_name: s.writeIndex } },
        ...(s.dataStream ? { data_stream: s.name } : {}),
      };
    }
    this.send(ctx, 200, out);
  }

  private createIndex(ctx: Ctx, name: string): void {
    const bad = invalidIndexNameReason(name);
    if (bad) throw httpError(400, { type: 'invalid_index_name_exception', reason: `Invalid index name [${name}], ${bad}`, index_uuid: '_na_', index: name });
    const existing = this.indexStates.get(name);
    if (existing) {
      throw httpError(400, {
        type: 'resource_already_exists_exception', reason: `index [${name}/${existing.uuid}] already exists`, index_uuid: existing.uuid, index: name,
      });
    }
    if (this.wouldBeDataStream(name)) {
      throw httpError(400, {
        type: 'illegal_argument_exception',
        reason: `cannot create index with name [${name}], because it matches with template that creates data streams only, use create data stream api instead`,
      });
    }
    this.indexState(name, false);
    this.send(ctx, 200, { acknowledged: true, shards_acknowledged: true, index: name });
  }

  private deleteIndex(ctx: Ctx, expr: string): void {
    const states = this.resolveOrThrow(expr);
    const ds = states.find((s) => s.dataStream);
    if (ds) {
      throw httpError(400, {
        type: 'illegal_argument_exception',
        reason: `index [${ds.name}] is the write index for data stream [${ds.name}] and cannot be deleted`,
      });
    }
    for (const s of states) this.indexStates.delete(s.name);
    this.send(ctx, 200, { acknowledged: true });
  }

  private deleteDataStream(ctx: Ctx, expr: string): void {
    const states = this.resolve(expr).filter((s) => s.dataStream);
    if (states.length === 0 && !expr.includes('*')) {
      throw httpError(404, {
        type: 'index_not_found_exception', reason: `no such index [${expr}]`, 'resource.type': 'index_or_alias', 'resource.id': expr, index_uuid: '_na_', index: expr,
      });
    }
    for (const s of states) this.indexStates.delete(s.name);
    this.send(ctx, 200, { acknowledged: true });
  }
}

/** Which injected faults a request other than _bulk can get. */
function faultKind(ctx: Ctx): QueuedFault['on'] | undefined {
  if (ctx.path === '/') return 'root';
  if (ctx.method !== 'PUT' && ctx.method !== 'POST') return undefined;
  if (ctx.path.startsWith('/_component_template/')) return 'component_template';
  if (ctx.path.startsWith('/_index_template/')) return 'index_template';
  return undefined;
}

/** A data stream's backing index: `.ds-<stream>-<yyyy.MM.dd>-<generation, 6 digits>`. */
function backingIndexName(stream: string, generation: number): string {
  const d = new Date();
  const day = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
  return `.ds-${stream}-${day}-${String(generation).padStart(6, '0')}`;
}

function allDocs(state: IndexState): Array<Map<string, StoredDoc>> {
  return [...state.retired.map((r) => r.docs), state.docs];
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    out[k] = isPlainObject(cur) && isPlainObject(v) ? deepMerge(cur, v) : v;
  }
  return out;
}
