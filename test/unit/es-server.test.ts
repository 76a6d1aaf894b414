// EsServer (test/support/es-server.ts) checked through the real @elastic/elasticsearch 9.x
// client, and through raw HTTP where the client would hide what is on the wire.
import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { Client, errors } from '@elastic/elasticsearch';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyFilterPath,
  combineItemFaults,
  EsServer,
  type BulkItem,
  type EsServerOptions,
  randomItemFaults,
  rejectWhere,
} from '../support/es-server.js';
import { esTarget, type EsTarget } from '../support/es-target.js';

type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>;

const servers: EsServer[] = [];
const clients: Client[] = [];
const targets: EsTarget[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await Promise.allSettled(targets.splice(0).map((t) => t.close()));
  await Promise.allSettled(servers.splice(0).map((s) => s.close()));
});

async function start(opts: EsServerOptions = {}): Promise<EsServer> {
  const server = await EsServer.start(opts);
  servers.push(server);
  return server;
}

function client(server: EsServer | string, opts: Partial<ClientOptions> = {}): Client {
  const c = new Client({ node: typeof server === 'string' ? server : server.url, maxRetries: 0, requestTimeout: 5000, ...opts });
  clients.push(c);
  return c;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => any;
}

/** One request on a fresh connection, no Accept-Encoding: exactly what the server wrote. */
function raw(
  server: EsServer,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method, path, headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const NDJSON = { 'content-type': 'application/x-ndjson' };
const ndjson = (...lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('root document and headers', () => {
  it('GET / answers ES root document, HEAD / the same headers without a body', async () => {
    const server = await start();
    const info = await client(server).info();
    expect(info.version.number).toBe('9.1.0');
    expect(info.version.build_flavor).toBe('default');
    expect(info.version.minimum_wire_compatibility_version).toBe('8.19.0');
    expect(info.tagline).toBe('You Know, for Search');
    expect(typeof info.cluster_uuid).toBe('string');

    const head = await raw(server, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['x-elastic-product']).toBe('Elasticsearch');
    expect(head.headers['content-type']).toBe('application/json');
  });

  it('every response of ES itself carries X-Elastic-Product, whatever its status (not Netty\'s 413: see http.max_content_length)', async () => {
    const server = await start({ auth: { username: 'u', password: 'p' }, maxContentLength: 100 });
    const basic = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };
    const cases: Array<[number, Promise<RawResponse>]> = [
      [200, raw(server, 'GET', '/', { headers: basic })],
      [200, raw(server, 'POST', '/_bulk', { headers: { ...basic, ...NDJSON }, body: ndjson({ create: { _index: 'a' } }, { x: 1 }) })],
      [401, raw(server, 'GET', '/')],
      [400, raw(server, 'GET', '/_nope/_nothing', { headers: basic })],
      [405, raw(server, 'GET', '/_bulk', { headers: basic })],
      [400, raw(server, 'GET', '/', { headers: { ...basic, accept: 'application/vnd.elasticsearch+json; compatible-with=7' } })],
      [406, raw(server, 'POST', '/_bulk', { headers: { ...basic, 'content-type': 'text/plain' }, body: 'x\n' })],
    ];
    for (const [status, pending] of cases) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect(res.headers['x-elastic-product']).toBe('Elasticsearch');
    }
  });

  it('unknown endpoints answer like ES: 400 no handler, 405 with the allowed methods', async () => {
    const server = await start();
    const none = await raw(server, 'GET', '/_nope/_nothing');
    expect(none.status).toBe(400);
    expect(none.json()).toEqual({ error: 'no handler found for uri [/_nope/_nothing] and method [GET]' });
    const wrong = await raw(server, 'DELETE', '/_bulk');
    expect(wrong.status).toBe(405);
    expect(wrong.json().error).toBe('Incorrect HTTP method for uri [/_bulk] and method [DELETE], allowed: [POST, PUT]');
  });
});

describe('media types (compatible-with)', () => {
  const accept8 = 'application/vnd.elasticsearch+json; compatible-with=8';
  const ndjson8 = 'application/vnd.elasticsearch+x-ndjson; compatible-with=8';

  it('an 8.x server refuses the 9.x client bulk with media_type_header_exception and stores nothing', async () => {
    const server = await start({ version: '8.17.0' });
    const err = await rejection(client(server).bulk({ operations: [{ create: { _index: 'app' } }, { a: 1 }] }));
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect(err.statusCode).toBe(400);
    expect(err.body.error.type).toBe('media_type_header_exception');
    expect(err.body.error.reason).toBe('Invalid media-type value on headers [Accept, Content-Type]');
    expect(err.body.error.caused_by).toEqual({
      type: 'status_exception',
      reason: 'Accept version must be either version 8 or 7, but found 9. Accept=application/vnd.elasticsearch+json; compatible-with=9',
    });
    expect(server.count()).toBe(0);
  });

  it('GET / is checked too: a compatible-with=9 Accept is refused by 8.x', async () => {
    const server = await start({ version: '8.17.0' });
    const res = await raw(server, 'GET', '/', { headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=9' } });
    expect(res.status).toBe(400);
    expect(res.json().error.caused_by.reason).toBe(
      'Accept version must be either version 8 or 7, but found 9. Accept=application/vnd.elasticsearch+json; compatible-with=9',
    );
  });

  it('client.info() of a 9.x client passes an 8.x server: its Accept is a list, which ES ignores', async () => {
    // The client sends "…compatible-with=9,text/plain" on bodiless requests; ES's ParsedMediaType
    // treats any value with a comma as a media range (absent), and ignores Content-Type without a
    // body. So a version probe succeeds where the first _bulk fails.
    const server = await start({ version: '8.17.0' });
    const info = await client(server).info();
    expect(info.version.number).toBe('8.17.0');
    expect(server.requests.at(-1)!.headers.accept).toBe('application/vnd.elasticsearch+json; compatible-with=9,text/plain');
  });

  it('an 8.x server accepts compatible-with=8 headers, and answers in that media type', async () => {
    const server = await start({ version: '8.17.0' });
    const res = await client(server).transport.request(
      { method: 'POST', path: '/_bulk', bulkBody: [{ create: { _index: 'app', _id: '1' } }, { a: 1 }] },
      { headers: { accept: accept8, 'content-type': ndjson8 }, meta: true },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers!['content-type']).toBe('application/vnd.elasticsearch+json;compatible-with=8');
    expect((res.body as any).items[0].create.status).toBe(201);
    expect(server.ids('app')).toEqual(['1']);
  });

  it('an 8.x server accepts plain application/json and application/x-ndjson', async () => {
    const server = await start({ version: '8.17.0' });
    const res = await client(server).transport.request(
      { method: 'POST', path: '/_bulk', bulkBody: [{ create: { _index: 'app', _id: '1' } }, { a: 1 }] },
      { headers: { accept: 'application/json', 'content-type': 'application/x-ndjson' }, meta: true },
    );
    expect(res.headers!['content-type']).toBe('application/json');
    const info = await raw(server, 'GET', '/', { headers: { accept: 'application/json' } });
    expect(info.status).toBe(200);
    expect(info.json().version.number).toBe('8.17.0');
    expect(server.count('app')).toBe(1);
  });

  it('with a body, Accept and Content-Type must both carry the same compatible version', async () => {
    const server = await start({ version: '8.17.0' });
    const body = ndjson({ create: { _index: 'app' } }, { a: 1 });
    const one = await raw(server, 'POST', '/_bulk', { headers: { accept: accept8, 'content-type': 'application/x-ndjson' }, body });
    expect(one.status).toBe(400);
    expect(one.json().error.caused_by.reason).toBe(
      'A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version. ' +
        `Accept=${accept8}, Content-Type=application/x-ndjson`,
    );
    const differ = await raw(server, 'POST', '/_bulk', {
      headers: { accept: accept8, 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=7' },
      body,
    });
    expect(differ.status).toBe(400);
    expect(differ.json().error.caused_by.reason).toMatch(/^A compatible version is required on both .* and the compatible versions must match\./);
    expect(server.count()).toBe(0);
  });

  it('a 9.x server takes compatible-with 9 and 8 but not 7', async () => {
    const server = await start();
    const ok = await raw(server, 'GET', '/', { headers: { accept: accept8 } });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/vnd.elasticsearch+json;compatible-with=8');
    const old = await raw(server, 'GET', '/', { headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=7' } });
    expect(old.status).toBe(400);
    expect(old.json().error.caused_by.reason).toBe(
      'Accept version must be either version 9 or 8, but found 7. Accept=application/vnd.elasticsearch+json; compatible-with=7',
    );
  });

  it('a body needs a JSON or NDJSON Content-Type (406 otherwise), a malformed one is a 400', async () => {
    const server = await start();
    const body = ndjson({ create: { _index: 'app' } }, { a: 1 });
    const missing = await raw(server, 'POST', '/_bulk', { body });
    expect(missing.status).toBe(406);
    expect(missing.json()).toEqual({ error: 'Content-Type header is missing', status: 406 });
    const text = await raw(server, 'POST', '/_bulk', { headers: { 'content-type': 'text/plain' }, body });
    expect(text.json()).toEqual({ error: 'Content-Type header [text/plain] is not supported', status: 406 });
    const bad = await raw(server, 'POST', '/_bulk', { headers: { 'content-type': 'json' }, body });
    expect(bad.status).toBe(400);
    expect(bad.json().error.reason).toBe('Invalid media-type value on headers [Content-Type]');
    expect(server.count()).toBe(0);
  });
});

describe('_bulk', () => {
  it('create → 201, create of a held _id → 409, index of a held _id → 200 updated', async () => {
    const server = await start();
    const es = client(server);
    const first = await es.bulk({ operations: [{ create: { _index: 'app', _id: 'a' } }, { n: 1 }, { create: { _index: 'app', _id: 'b' } }, { n: 2 }] });
    expect(first.errors).toBe(false);
    expect(first.items[0]!.create).toMatchObject({
      _index: 'app', _id: 'a', _version: 1, result: 'created', status: 201, _seq_no: 0, _primary_term: 1,
      _shards: { total: 2, successful: 1, failed: 0 },
    });
    expect(first.items[1]!.create).toMatchObject({ _id: 'b', _seq_no: 1, status: 201 });

    const again = await es.bulk({ operations: [{ create: { _index: 'app', _id: 'a' } }, { n: 99 }, { index: { _index: 'app', _id: 'b' } }, { n: 3 }] });
    expect(again.errors).toBe(true);
    expect(again.items[0]!.create!.status).toBe(409);
    expect(again.items[0]!.create!.error).toMatchObject({
      type: 'version_conflict_engine_exception',
      reason: '[a]: version conflict, document already exists (current version [1])',
      index: 'app',
      shard: '0',
    });
    expect(again.items[1]!.index).toMatchObject({ _id: 'b', _version: 2, result: 'updated', status: 200 });

    expect(server.docs('app')).toEqual([
      { index: 'app', id: 'a', source: { n: 1 } },
      { index: 'app', id: 'b', source: { n: 3 } },
    ]);
    expect(server.stats).toMatchObject({ bulkRequests: 2, itemsReceived: 4, created: 2, duplicates409: 1, updated: 1, rejected: 0 });
  });

  it('generates a 20-character _id when none is given, and takes the index from the path', async () => {
    const server = await start();
    const res = await raw(server, 'POST', '/app/_bulk', { headers: NDJSON, body: ndjson({ create: {} }, { a: 1 }, { index: { _index: 'other' } }, { b: 2 }) });
    const items = res.json().items;
    expect(items[0].create._index).toBe('app');
    expect(items[0].create._id).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(items[1].index._index).toBe('other');
    expect(server.indices().sort()).toEqual(['app', 'other']);
    expect(server.ids('app')).toEqual([items[0].create._id]);
  });

  it('decodes gzip bodies (client compression: true) and records them as received', async () => {
    const server = await start();
    const res = await client(server, { compression: true }).bulk({
      operations: [{ create: { _index: 'app', _id: 'z' } }, { msg: 'hello' }],
    });
    expect(res.items[0]!.create!.status).toBe(201);
    const rec = server.requests.at(-1)!;
    expect(rec.gzip).toBe(true);
    expect(rec.headers['content-encoding']).toBe('gzip');
    expect(rec.body[0]).toBe(0x1f); // gzip magic, as received
    expect(rec.decoded.toString()).toBe('{"create":{"_index":"app","_id":"z"}}\n{"msg":"hello"}\n');
    expect(rec.items).toBe(1);
    expect(server.stats.gzipRequests).toBe(1);
    expect(server.docs('app')[0]!.source).toEqual({ msg: 'hello' });
  });

  it('filter_path keeps the requested paths, inside each array element', async () => {
    const server = await start();
    await client(server).bulk({ operations: [{ create: { _index: 'app', _id: 'a' } }, { n: 1 }] });
    const res = await raw(server, 'POST', '/_bulk?filter_path=errors,items.*.status,items.*.error', {
      headers: NDJSON,
      body: ndjson({ create: { _index: 'app', _id: 'a' } }, { n: 1 }, { create: { _index: 'app', _id: 'b' } }, { n: 2 }),
    });
    expect(res.json()).toEqual({
      errors: true,
      items: [
        {
          create: {
            status: 409,
            error: {
              type: 'version_conflict_engine_exception',
              reason: '[a]: version conflict, document already exists (current version [1])',
              index_uuid: expect.any(String),
              shard: '0',
              index: 'app',
            },
          },
        },
        { create: { status: 201 } },
      ],
    });
    const onlyErrors = await raw(server, 'POST', '/_bulk?filter_path=errors', {
      headers: NDJSON,
      body: ndjson({ create: { _index: 'app', _id: 'c' } }, { n: 3 }),
    });
    expect(onlyErrors.text).toBe('{"errors":false}');
  });

  it('filter_path: `*` within a segment, `**`, exclusions, nothing matching gives {}', () => {
    const body = { took: 3, errors: false, items: [{ index: { _id: 'a', status: 201 } }, { create: { _id: 'b', status: 409, error: { type: 't' } } }] };
    expect(applyFilterPath(body, 'items.*.st*')).toEqual({ items: [{ index: { status: 201 } }, { create: { status: 409 } }] });
    expect(applyFilterPath(body, 'items.**.type')).toEqual({ items: [{ create: { error: { type: 't' } } }] });
    expect(applyFilterPath(body, '-items,-took')).toEqual({ errors: false });
    expect(applyFilterPath(body, 'nothing')).toEqual({});
  });

  it('refuses a body without its final newline, like ES', async () => {
    const server = await start();
    const res = await raw(server, 'POST', '/_bulk', { headers: NDJSON, body: '{"create":{"_index":"app"}}\n{"a":1}' });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      error: {
        root_cause: [{ type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }],
        type: 'illegal_argument_exception',
        reason: 'The bulk request must be terminated by a newline [\\n]',
      },
      status: 400,
    });
    expect(server.count()).toBe(0);
  });

  it('a malformed or unknown action line fails the whole request and stores nothing', async () => {
    const server = await start();
    const send = (body: string) => raw(server, 'POST', '/_bulk', { headers: NDJSON, body });
    const good = { create: { _index: 'app' } };

    const broken = await send(ndjson(good, { a: 1 }, '{"create":', { a: 2 }));
    expect(broken.status).toBe(400);
    expect(broken.json().error.type).toBe('x_content_parse_exception');
    expect(broken.json().error.reason).toMatch(/^\[3:\d+\] /);

    const unknown = await send(ndjson(good, { a: 1 }, { upsert: { _index: 'app' } }, { a: 2 }));
    expect(unknown.status).toBe(400);
    expect(unknown.json().error).toMatchObject({
      type: 'illegal_argument_exception',
      reason: 'Malformed action/metadata line [3], expected field [create], [delete], [index] or [update] but found [upsert]',
    });

    const param = await send(ndjson({ create: { _index: 'app', _type: 'doc' } }, { a: 1 }));
    expect(param.json().error.reason).toBe('Action/metadata line [1] contains an unknown parameter [_type]');

    const notObject = await send(ndjson('"create"', { a: 1 }));
    expect(notObject.json().error.reason).toBe('Malformed action/metadata line [1], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]');

    const noIndex = await send(ndjson({ create: {} }, { a: 1 }));
    expect(noIndex.json().error).toMatchObject({ type: 'action_request_validation_exception', reason: 'Validation Failed: 1: index is missing;' });

    const empty = await send('\n');
    expect(empty.json().error.reason).toBe('Validation Failed: 1: no requests added;');

    const param2 = await raw(server, 'POST', '/_bulk?timeout=1m&flush=true', { headers: NDJSON, body: ndjson(good, { a: 1 }) });
    expect(param2.json().error.reason).toBe('request [/_bulk] contains unrecognized parameter: [flush]');

    expect(server.count()).toBe(0);
  });

  it('a document that is not a JSON object is a per-item 400; the other items go in', async () => {
    const server = await start();
    const res = await raw(server, 'POST', '/_bulk', {
      headers: NDJSON,
      body: ndjson({ create: { _index: 'app', _id: '1' } }, '[1,2]', { create: { _index: 'app', _id: '2' } }, '{"a":', { create: { _index: 'app', _id: '3' } }, { ok: true }),
    });
    const { errors: hasErrors, items } = res.json();
    expect(hasErrors).toBe(true);
    expect(items.map((i: any) => i.create.status)).toEqual([400, 400, 201]);
    expect(items[0].create.error).toMatchObject({ type: 'document_parsing_exception', reason: '[1:1] failed to parse: Malformed content, must start with an object' });
    expect(items[1].create.error.type).toBe('document_parsing_exception');
    expect(server.ids('app')).toEqual(['3']);
    expect(server.stats.rejected).toBe(2);
  });

  it('index names must be valid (per-item invalid_index_name_exception)', async () => {
    const server = await start();
    const res = await client(server).bulk({ operations: [{ create: { _index: 'App' } }, { a: 1 }, { create: { _index: '_x' } }, { a: 1 }] });
    expect(res.items[0]!.create!.error).toMatchObject({ type: 'invalid_index_name_exception', reason: 'Invalid index name [App], must be lowercase' });
    expect(res.items[1]!.create!.error!.reason).toBe("Invalid index name [_x], must not start with '_', '-', or '+'");
    expect(server.indices()).toEqual([]);
  });

  it('delete removes a document (404 not_found is not an error)', async () => {
    const server = await start();
    const es = client(server);
    await es.bulk({ operations: [{ create: { _index: 'app', _id: 'a' } }, { n: 1 }] });
    const res = await es.bulk({ operations: [{ delete: { _index: 'app', _id: 'a' } }, { delete: { _index: 'app', _id: 'zz' } }] });
    expect(res.errors).toBe(false);
    expect(res.items.map((i) => [i.delete!.result, i.delete!.status])).toEqual([['deleted', 200], ['not_found', 404]]);
    expect(server.count('app')).toBe(0);
  });

  it('answers 413 with an empty body when a plain body, or a gzip body once decoded, exceeds maxContentLength', async () => {
    const server = await start({ maxContentLength: 2000 });
    const big = ndjson(...Array.from({ length: 40 }, (_, i) => [{ create: { _index: 'app' } }, { i, pad: 'x'.repeat(40) }]).flat());
    expect(big.length).toBeGreaterThan(2000);
    const plain = await raw(server, 'POST', '/_bulk', { headers: NDJSON, body: big });
    expect(plain.status).toBe(413);
    expect(plain.text).toBe('');
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(2000);
    const gz = await raw(server, 'POST', '/_bulk', { headers: { ...NDJSON, 'content-encoding': 'gzip' }, body: zipped });
    expect(gz.status).toBe(413);
    expect(gz.text).toBe('');
    expect(server.count()).toBe(0);
    const err = await rejection(client(server).bulk({ operations: [{ create: { _index: 'app' } }, { pad: 'y'.repeat(3000) }] }));
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect(err.statusCode).toBe(413);
  });
});

describe('data streams', () => {
  it('logs-*-* is a data stream: create only, @timestamp required, backing index in _index', async () => {
    const server = await start();
    const res = await client(server).bulk({
      operations: [
        { index: { _index: 'logs-app-default' } }, { '@timestamp': '2024-05-01T00:00:00Z', a: 1 },
        { create: { _index: 'logs-app-default' } }, { a: 2 },
        { create: { _index: 'logs-app-default', _id: 'k' } }, { '@timestamp': '2024-05-01T00:00:00Z', a: 3 },
        { index: { _index: 'logs-app' } }, { a: 4 },
      ],
    });
    const [indexOp, noTs, ok, plain] = res.items;
    expect(indexOp!.index).toMatchObject({
      status: 400,
      error: { type: 'illegal_argument_exception', reason: 'only write ops with an op_type of create are allowed in data streams' },
    });
    expect(noTs!.create!.status).toBe(400);
    expect(noTs!.create!.error!.type).toBe('document_parsing_exception');
    expect(noTs!.create!.error!.reason).toMatch(/failed to parse: data stream timestamp field \[@timestamp\] is missing$/);
    expect(ok!.create).toMatchObject({ _id: 'k', status: 201, result: 'created' });
    expect(ok!.create!._index).toMatch(/^\.ds-logs-app-default-\d{4}\.\d{2}\.\d{2}-000001$/);
    expect(plain!.index).toMatchObject({ _index: 'logs-app', status: 201 }); // only two dashes match logs-*-*
    expect(server.dataStreams()).toEqual(['logs-app-default']);
    expect(server.ids('logs-app-default')).toEqual(['k']);
    expect(server.count('logs-*')).toBe(2);
  });

  it('an index template with data_stream makes its pattern a data stream; a higher priority plain one wins', async () => {
    const server = await start();
    const es = client(server);
    await es.indices.putIndexTemplate({ name: 'events', index_patterns: ['events-*'], data_stream: {}, priority: 200 });
    await es.indices.putIndexTemplate({ name: 'plain-logs', index_patterns: ['logs-plain-*'], priority: 500 });
    const res = await es.bulk({
      operations: [{ index: { _index: 'events-a' } }, { '@timestamp': 1 }, { index: { _index: 'logs-plain-x' } }, { a: 1 }],
    });
    expect(res.items[0]!.index!.status).toBe(400);
    expect(res.items[1]!.index!.status).toBe(201);
    expect(server.dataStreams()).toEqual([]);
  });
});

describe('per-item faults', () => {
  it('a rule sees each item with its attempt number; 429 items can be retried', async () => {
    const server = await start();
    const seen: BulkItem[] = [];
    server.itemFaults((item) => {
      seen.push(item);
      return item.id === 'b' && item.attempt === 1 ? 429 : undefined;
    });
    const es = client(server);
    const ops = [{ create: { _index: 'app', _id: 'a' } }, { n: 1 }, { create: { _index: 'app', _id: 'b' } }, { n: 2 }];
    const first = await es.bulk({ operations: ops });
    expect(first.items[1]!.create).toMatchObject({ _id: 'b', status: 429, error: { type: 'es_rejected_execution_exception' } });
    expect(first.items[1]!.create!.error!.reason).toMatch(/^rejected execution of coordinating operation \[/);
    const second = await es.bulk({ operations: ops.slice(2) });
    expect(second.items[0]!.create!.status).toBe(201);
    expect(seen.map((s) => [s.id, s.attempt])).toEqual([['a', 1], ['b', 1], ['b', 2]]);
    expect(seen[1]).toEqual({ index: 'app', id: 'b', source: '{"n":2}', attempt: 1 });
    expect(server.ids('app').sort()).toEqual(['a', 'b']);
    expect(server.stats).toMatchObject({ failedItems: 1, created: 2 });
  });

  it('503 and 400 items carry ES error bodies', async () => {
    const server = await start();
    server.itemFaults((item) => (item.id === 'x' ? 503 : item.id === 'y' ? 400 : undefined));
    const res = await client(server).bulk({
      operations: [{ create: { _index: 'app', _id: 'x' } }, { n: 1 }, { create: { _index: 'app', _id: 'y' } }, { status: 'x' }],
    });
    expect(res.items[0]!.create!.error).toMatchObject({ type: 'unavailable_shards_exception' });
    expect(res.items[0]!.create!.error!.reason).toMatch(/^\[app\]\[0\] primary shard is not active Timeout: \[1m\]/);
    expect(res.items[1]!.create!.error).toMatchObject({
      type: 'document_parsing_exception',
      reason: "[1:27] failed to parse field [status] of type [long] in document with id 'y'. Preview of field's value: 'x'",
    });
    expect(server.count()).toBe(0);
    expect(server.stats).toMatchObject({ failedItems: 1, rejected: 1 });
  });

  it('randomItemFaults answers the same for the same (id, attempt), on any server', async () => {
    const rule = () => randomItemFaults({ seed: 42, rate429: 0.3, rate503: 0.1 });
    const a = await start();
    const b = await start();
    a.itemFaults(rule());
    b.itemFaults(rule());
    const ids = Array.from({ length: 400 }, (_, i) => `id-${i}`);
    const statusesOf = async (server: EsServer, batch: string[]) => {
      const res = await client(server).bulk({ operations: batch.flatMap((id) => [{ create: { _index: 'app', _id: id } }, { id }]) });
      return res.items.map((i) => i.create!.status);
    };
    // Three rounds, each retrying what failed.
    let pendingA = ids;
    let pendingB = ids;
    const failuresPerRound: number[] = [];
    let failedTwice = 0;
    const failedOnce = new Set<string>();
    for (let round = 1; round <= 3; round++) {
      const sa = await statusesOf(a, pendingA);
      const sb = await statusesOf(b, pendingB);
      expect(sb).toEqual(sa);
      // The server's answers are the rule's answers for this attempt.
      const expected = pendingA.map((id) => rule()({ index: 'app', id, source: '', attempt: round }) ?? 201);
      expect(sa).toEqual(expected);
      const failed = pendingA.filter((_, i) => sa[i] !== 201);
      for (const id of failed) {
        if (failedOnce.has(id)) failedTwice++;
        failedOnce.add(id);
      }
      failuresPerRound.push(failed.length);
      pendingA = failed;
      pendingB = failed;
    }
    expect(failuresPerRound[0]).toBeGreaterThan(400 * 0.3);
    expect(failuresPerRound[0]).toBeLessThan(400 * 0.5);
    expect(failuresPerRound[1]).toBeLessThan(failuresPerRound[0]!);
    expect(failedTwice).toBeGreaterThan(0); // some ids fail on several attempts
    expect(a.count('app')).toBe(400 - failuresPerRound[2]!);
    expect(a.stats.failedItems).toBe(failuresPerRound.reduce((x, y) => x + y, 0));
  });

  it('rejectWhere rejects matching documents on every attempt; combineItemFaults takes the first answer', async () => {
    const server = await start();
    server.itemFaults(combineItemFaults(
      rejectWhere((source) => source.includes('poison')),
      (item) => (item.attempt === 1 ? 429 : undefined),
    ));
    const es = client(server);
    const ops = [{ create: { _index: 'app', _id: 'p' } }, { m: 'poison' }, { create: { _index: 'app', _id: 'q' } }, { m: 'fine' }];
    const statuses: number[][] = [];
    for (let i = 0; i < 3; i++) statuses.push((await es.bulk({ operations: ops })).items.map((it) => it.create!.status));
    expect(statuses).toEqual([[400, 429], [400, 201], [400, 409]]);
    expect(server.ids('app')).toEqual(['q']);
    expect(server.stats).toMatchObject({ rejected: 3, failedItems: 1, duplicates409: 1 });
  });
});

describe('whole-request faults', () => {
  it('503 for the next N bulk requests, nothing indexed; the 9.x client retries 503 by itself', async () => {
    const server = await start();
    const ops = [{ create: { _index: 'app', _id: '1' } }, { n: 1 }];
    server.requestFaults({ status: 503, count: 2 });
    const es = client(server);
    for (let i = 0; i < 2; i++) {
      const err = await rejection(es.bulk({ operations: ops }));
      expect(err).toBeInstanceOf(errors.ResponseError);
      expect(err.statusCode).toBe(503);
      expect(err.body.error.type).toBe('cluster_block_exception');
    }
    expect(server.count()).toBe(0);
    expect((await es.bulk({ operations: ops })).items[0]!.create!.status).toBe(201);

    server.requestFaults({ status: 503, count: 2 });
    const retrying = client(server, { maxRetries: 3 });
    const res = await retrying.bulk({ operations: [{ create: { _index: 'app', _id: '2' } }, { n: 2 }] });
    expect(res.items[0]!.create!.status).toBe(201);
    expect(server.stats).toMatchObject({ bulkRequests: 6, requestFailures: 4 });
    expect(server.requests.filter((r) => r.path === '/_bulk').map((r) => [r.status, r.items])).toEqual([
      [503, 1], [503, 1], [200, 1], [503, 1], [503, 1], [200, 1],
    ]);
  });

  it('429 (circuit_breaking_exception), 413 (empty body) and 500 as whole-request answers', async () => {
    const server = await start();
    server.requestFaults({ status: 429 });
    server.requestFaults({ status: 413 });
    server.requestFaults({ status: 500 });
    const es = client(server, { maxRetries: 3 });
    const ops = [{ create: { _index: 'app' } }, { n: 1 }];
    const e429 = await rejection(es.bulk({ operations: ops }));
    expect([e429.statusCode, e429.body.error.type]).toEqual([429, 'circuit_breaking_exception']);
    const e413 = await rejection(es.bulk({ operations: ops }));
    expect([e413.statusCode, e413.body]).toEqual([413, '']);
    const e500 = await rejection(es.bulk({ operations: ops }));
    expect(e500.statusCode).toBe(500);
    expect(server.stats.requestFailures).toBe(3);
    expect(server.stats.bulkRequests).toBe(3); // none of these is retried by the client
    expect(server.count()).toBe(0);
  });
});

describe('connection faults', () => {
  it('resetConnections: the client gets a ConnectionError and nothing is indexed', async () => {
    const server = await start();
    const es = client(server);
    await es.info(); // a kept-alive connection exists
    server.resetConnections(1);
    const err = await rejection(es.bulk({ operations: [{ create: { _index: 'app', _id: '1' } }, { n: 1 }] }));
    expect(err).toBeInstanceOf(errors.ConnectionError);
    expect(server.count()).toBe(0);
    expect(server.stats.connectionResets).toBe(1);
    expect((await es.bulk({ operations: [{ create: { _index: 'app', _id: '1' } }, { n: 1 }] })).items[0]!.create!.status).toBe(201);
  });

  it('resetConnections afterProcessing: documents are indexed but the answer is lost', async () => {
    const server = await start();
    const es = client(server);
    server.resetConnections(1, { afterProcessing: true });
    const err = await rejection(es.bulk({ operations: [{ create: { _index: 'app', _id: '1' } }, { n: 1 }] }));
    expect(err).toBeInstanceOf(errors.ConnectionError);
    expect(server.ids('app')).toEqual(['1']);
    const retry = await es.bulk({ operations: [{ create: { _index: 'app', _id: '1' } }, { n: 1 }] });
    expect(retry.items[0]!.create!.status).toBe(409);
  });

  it("down('refuse') really stops listening; up() listens again on the same port", async () => {
    const server = await start();
    const port = server.port;
    const es = client(server);
    await es.info();
    await server.down('refuse');
    const rawErr = await rejection(raw(server, 'GET', '/'));
    expect(rawErr.code).toBe('ECONNREFUSED');
    const err = await rejection(es.info());
    expect(err).toBeInstanceOf(errors.ConnectionError);
    expect(String(err.message)).toMatch(/ECONNREFUSED/);
    await server.up();
    expect(server.port).toBe(port);
    expect((await es.info()).tagline).toBe('You Know, for Search');
  });

  it("down('refuse', ms) comes back by itself", async () => {
    const server = await start();
    await server.down('refuse', 30);
    const es = client(server);
    let info: Awaited<ReturnType<Client['info']>> | undefined;
    for (let i = 0; i < 200 && !info; i++) {
      info = await es.info().catch(() => undefined);
      if (!info) await new Promise((r) => setTimeout(r, 20));
    }
    expect(info?.version.number).toBe('9.1.0');
  });

  it("down('503') answers every request 503, GET / included, until up()", async () => {
    const server = await start();
    await server.down('503');
    const es = client(server);
    const info = await rejection(es.info());
    expect(info.statusCode).toBe(503);
    expect(info.body.error.type).toBe('cluster_block_exception');
    const bulk = await rejection(es.bulk({ operations: [{ create: { _index: 'app' } }, { n: 1 }] }));
    expect(bulk.statusCode).toBe(503);
    expect(server.stats.requestFailures).toBe(2);
    await server.up();
    expect((await es.info()).version.number).toBe('9.1.0');
  });

  it("down('reset') destroys the connection of every request until up()", async () => {
    const server = await start();
    await server.down('reset');
    const es = client(server);
    expect(await rejection(es.info())).toBeInstanceOf(errors.ConnectionError);
    expect(await rejection(es.info())).toBeInstanceOf(errors.ConnectionError);
    await server.up();
    expect((await es.info()).version.number).toBe('9.1.0');
    expect(server.stats.connectionResets).toBe(2);
  });

  it('delay() holds every response back (a short requestTimeout gives TimeoutError)', async () => {
    const server = await start();
    server.delay(2000);
    const err = await rejection(client(server, { requestTimeout: 50 }).info());
    expect(err).toBeInstanceOf(errors.TimeoutError);
    server.delay(0);
    expect((await client(server).info()).version.number).toBe('9.1.0');
  });
});

describe('authentication', () => {
  const schemes = [
    { name: 'basic', auth: { username: 'elastic', password: 's3cret' }, wrong: { username: 'elastic', password: 'nope' } },
    { name: 'api key', auth: { apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' }, wrong: { apiKey: 'bm9wZQ==' } },
    { name: 'bearer', auth: { bearer: 'dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu' }, wrong: { bearer: 'nope' } },
  ] as const;

  for (const scheme of schemes) {
    it(`${scheme.name}: 401 security_exception without or with wrong credentials, 200 with them`, async () => {
      const server = await start({ auth: scheme.auth });
      const anonymous = await raw(server, 'GET', '/');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toContain('Basic realm="security", charset="UTF-8"');
      expect(anonymous.json().error).toMatchObject({ type: 'security_exception', reason: 'missing authentication credentials for REST request [/]' });

      const noCreds = await rejection(client(server).info());
      expect(noCreds.statusCode).toBe(401);
      const wrong = await rejection(client(server, { auth: scheme.wrong }).info());
      expect(wrong.statusCode).toBe(401);
      expect(wrong.body.error.type).toBe('security_exception');

      const es = client(server, { auth: scheme.auth });
      expect((await es.info()).version.number).toBe('9.1.0');
      expect((await es.bulk({ operations: [{ create: { _index: 'app' } }, { a: 1 }] })).errors).toBe(false);
      expect(server.count()).toBe(1);
    });
  }

  it('basic credentials in the URL work', async () => {
    const server = await start({ auth: { username: 'u', password: 'p@ss' } });
    const es = client(`http://u:${encodeURIComponent('p@ss')}@127.0.0.1:${server.port}`);
    expect((await es.info()).version.number).toBe('9.1.0');
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('u:p@ss').toString('base64')}`);
  });
});

describe('templates', () => {
  it('PUT and GET component and index templates in ES shapes; 404 when missing', async () => {
    const server = await start();
    const es = client(server);
    expect(await es.cluster.putComponentTemplate({ name: 'logship-mappings', template: { mappings: { properties: { message: { type: 'text' } } } } }))
      .toEqual({ acknowledged: true });
    expect(await es.indices.putIndexTemplate({ name: 'logship', index_patterns: ['logship-*'], composed_of: ['logship-mappings'], priority: 200 }))
      .toEqual({ acknowledged: true });
    expect(server.componentTemplates.get('logship-mappings')).toEqual({ template: { mappings: { properties: { message: { type: 'text' } } } } });

    const comp = await es.cluster.getComponentTemplate({ name: 'logship-mappings' });
    expect(comp.component_templates).toEqual([
      { name: 'logship-mappings', component_template: { template: { mappings: { properties: { message: { type: 'text' } } } } } },
    ]);
    const idx = await es.indices.getIndexTemplate({ name: 'logship' });
    expect(idx.index_templates).toEqual([
      { name: 'logship', index_template: { index_patterns: ['logship-*'], composed_of: ['logship-mappings'], priority: 200 } },
    ]);
    expect((await es.indices.getIndexTemplate({ name: 'nomatch-*' })).index_templates).toEqual([]);

    const missing = await rejection(es.indices.getIndexTemplate({ name: 'absent' }));
    expect(missing.statusCode).toBe(404);
    expect(missing.body.error.type).toBe('resource_not_found_exception');
    const missingComp = await rejection(es.cluster.getComponentTemplate({ name: 'absent' }));
    expect(missingComp.statusCode).toBe(404);
  });

  it('an index template naming a component template that does not exist is refused', async () => {
    const server = await start();
    const err = await rejection(client(server).indices.putIndexTemplate({ name: 't', index_patterns: ['t-*'], composed_of: ['nope'] }));
    expect(err.statusCode).toBe(400);
    expect(err.body.error.type).toBe('invalid_index_template_exception');
    expect(server.indexTemplates.size).toBe(0);
  });

  it('refresh answers a shards body, 404 for an index that does not exist', async () => {
    const server = await start();
    const es = client(server);
    await es.bulk({ operations: [{ create: { _index: 'app' } }, { a: 1 }] });
    expect((await es.indices.refresh({ index: 'app' }))._shards).toEqual({ total: 2, successful: 1, failed: 0 });
    expect((await es.indices.refresh())._shards!.successful).toBe(1);
    expect((await rejection(es.indices.refresh({ index: 'absent' }))).statusCode).toBe(404);
    expect((await es.count({ index: 'app' })).count).toBe(1);
  });
});

describe('recording, scale and lifecycle', () => {
  it('records method, path, query, lower-case headers and body; keeps the last 1000', async () => {
    const server = await start();
    const body = ndjson({ create: { _index: 'app' } }, { a: 1 });
    await raw(server, 'POST', '/_bulk?refresh=false', { headers: { ...NDJSON, 'X-Custom': 'v' }, body });
    const rec = server.requests[0]!;
    expect(rec).toMatchObject({ method: 'POST', path: '/_bulk', query: { refresh: 'false' }, gzip: false, items: 1, status: 200 });
    expect(rec.headers['x-custom']).toBe('v');
    expect(rec.body.toString()).toBe(body);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      await Promise.all(Array.from({ length: 1010 }, () => new Promise<void>((resolve, reject) => {
        http.request({ host: '127.0.0.1', port: server.port, method: 'HEAD', path: '/', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject).end();
      })));
    } finally {
      agent.destroy();
    }
    expect(server.requests.length).toBe(1000);
    expect(server.requests.every((r) => r.method === 'HEAD')).toBe(true);
    expect(server.stats.requests).toBe(1011);
  });

  it('holds 100,000 documents of ~400 bytes', async () => {
    const server = await start();
    const pad = 'x'.repeat(330);
    let sent = 0;
    for (let batch = 0; batch < 10; batch++) {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++) {
        const n = batch * 10_000 + i;
        lines.push(`{"create":{"_index":"logs-bulk-default","_id":"doc-${n}"}}`, `{"@timestamp":"2024-05-01T00:00:00Z","n":${n},"message":"${pad}"}`);
      }
      const res = await raw(server, 'POST', '/_bulk?filter_path=errors', { headers: NDJSON, body: lines.join('\n') + '\n' });
      expect(res.json()).toEqual({ errors: false });
      sent += 10_000;
    }
    expect(server.count('logs-bulk-default')).toBe(sent);
    const ids = server.ids('logs-*');
    expect(ids.length).toBe(100_000);
    expect(new Set(ids).size).toBe(100_000);
    expect(ids[99_999]).toBe('doc-99999');
    expect(server.stats).toMatchObject({ itemsReceived: 100_000, created: 100_000 });
  });

  it('close() ends open keep-alive connections and is idempotent; a given port is used', async () => {
    const first = await start();
    const port = first.port;
    const es = client(first);
    await es.info();
    await first.close();
    await first.close();
    expect(await rejection(raw(first, 'GET', '/'))).toMatchObject({ code: 'ECONNREFUSED' });
    const second = await start({ port });
    expect(second.port).toBe(port);
    expect(second.url).toBe(`http://127.0.0.1:${port}`);
    expect((await es.info()).version.number).toBe('9.1.0');
  });
});

describe('esTarget', () => {
  it('reads ids, docs and counts by name or pattern and deletes indices', async () => {
    const target = await esTarget();
    targets.push(target);
    expect(target.kind).toBe(process.env.LOGSHIP_ES_URL ? 'real' : 'fake');
    const es = client(target.url, target.auth ? { auth: target.auth } : {});
    await target.deleteIndices('logship-estarget-*');
    await es.bulk({
      operations: [
        { create: { _index: 'logship-estarget-a', _id: '1' } }, { n: 1 },
        { create: { _index: 'logship-estarget-a', _id: '2' } }, { n: 2 },
        { create: { _index: 'logship-estarget-b', _id: '3' } }, { n: 3 },
      ],
    });
    expect((await target.ids('logship-estarget-*')).sort()).toEqual(['1', '2', '3']);
    expect(await target.count('logship-estarget-a')).toBe(2);
    expect((await target.docs('logship-estarget-b'))).toEqual([{ id: '3', source: { n: 3 } }]);
    await target.deleteIndices('logship-estarget-*');
    expect(await target.count('logship-estarget-*')).toBe(0);
    expect(await target.ids('logship-estarget-*')).toEqual([]);
  });

  it.skipIf(Boolean(process.env.LOGSHIP_ES_URL))('the fake target exposes its server for fault injection', async () => {
    const target = await esTarget({ version: '8.17.0' });
    targets.push(target);
    expect(target.server).toBeInstanceOf(EsServer);
    expect(target.server!.version).toBe('8.17.0');
  });
});

/** Writes `request` on a fresh socket; resolves with everything received once the server closes it, or once `until` matches. */
function rawSocket(server: EsServer, request: string | Buffer, until?: RegExp): Promise<{ text: string; closed: boolean; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => resolve({ text, closed, socket });
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (until?.test(text)) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? done(true) : reject(err)));
    socket.write(request);
  });
}

const bulkHead = (length: number, extra = '') =>
  `POST /_bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${length}\r\n${extra}\r\n`;

describe('what real Elasticsearch does that a shipper meets', () => {
  it('filter_path shapes successful answers only: an error keeps its whole body (ES builds errors with filtering off)', async () => {
    const server = await start();
    server.requestFaults({ status: 503 });
    const path = '/_bulk?filter_path=errors,items.*.status,items.*.error';
    const res = await raw(server, 'POST', path, { headers: NDJSON, body: ndjson({ create: { _index: 'app', _id: 'a' } }, { n: 1 }) });
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({
      error: { root_cause: [{ type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/2/no master];' }], type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/2/no master];' },
      status: 503,
    });
    const denied = await start({ auth: { username: 'u', password: 'p' } });
    const unauthorized = await raw(denied, 'POST', path, { headers: NDJSON, body: ndjson({ create: { _index: 'app' } }, { n: 1 }) });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.json().error.type).toBe('security_exception');
    // A success is still filtered.
    const ok = await raw(server, 'POST', path, { headers: NDJSON, body: ndjson({ create: { _index: 'app', _id: 'a' } }, { n: 1 }) });
    expect(ok.json()).toEqual({ errors: false, items: [{ create: { status: 201 } }] });
  });

  it('413 from the headers, before the body is sent; by default with Connection: close and no product header (ES 9.x)', async () => {
    const server = await start({ maxContentLength: 1000 });
    // Only the headers are written: the answer must not wait for the 5000 bytes announced.
    const { text, closed } = await rawSocket(server, bulkHead(5000));
    expect(closed).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text.toLowerCase()).not.toContain('x-elastic-product');
    expect(server.stats.tooLarge).toBe(1);
    expect(server.requests.at(-1)).toMatchObject({ path: '/_bulk', status: 413, body: Buffer.alloc(0) });
  });

  it("tooLarge: 'keep-alive' (older ES, Netty's aggregator) drops the body and keeps the connection for the next request", async () => {
    const server = await start({ maxContentLength: 1000, tooLarge: 'keep-alive' });
    const first = await rawSocket(server, bulkHead(5000), /\r\n\r\n/);
    expect(first.closed).toBe(false);
    expect(first.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(first.text.toLowerCase()).not.toContain('connection: close');
    const second = new Promise<string>((resolve) => {
      let text = '';
      first.socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        if (text.includes('You Know, for Search')) resolve(text);
      });
    });
    first.socket.write('x'.repeat(5000));
    first.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await second).toMatch(/^HTTP\/1\.1 200 /);
    first.socket.destroy();
  });

  it('a gzip body is measured decompressed: small on the wire, too large once decoded is a 413 that closes the connection in either mode', async () => {
    for (const tooLarge of ['close', 'keep-alive'] as const) {
      const server = await start({ maxContentLength: 2000, tooLarge });
      const zipped = gzipSync(ndjson(...Array.from({ length: 100 }, () => [{ create: { _index: 'app' } }, { pad: 'x'.repeat(40) }]).flat()));
      expect(zipped.length).toBeLessThan(1000);
      const { text, closed } = await rawSocket(server, Buffer.concat([Buffer.from(bulkHead(zipped.length, 'Content-Encoding: gzip\r\n')), zipped]));
      expect(closed).toBe(true);
      expect(text).toMatch(/^HTTP\/1\.1 413 /);
      expect(server.count()).toBe(0);
      // Under the limit decoded, the same size on the wire goes in.
      const fits = await client(server, { compression: true }).bulk({ operations: [{ create: { _index: 'app' } }, { pad: 'x'.repeat(40) }] });
      expect(fits.errors).toBe(false);
    }
  });

  it('rollover: a new backing index; the same _id created again is a new document, not a 409 (a real duplicate window)', async () => {
    const server = await start();
    const es = client(server);
    const op = [{ create: { _index: 'logs-app-default', _id: 'k' } }, { '@timestamp': '2024-05-01T00:00:00Z', a: 1 }];
    expect((await es.bulk({ operations: op })).items[0]!.create!.status).toBe(201);
    expect((await es.bulk({ operations: op })).items[0]!.create!.status).toBe(409);
    const next = server.rollover('logs-app-default');
    expect(next).toMatch(/^\.ds-logs-app-default-\d{4}\.\d{2}\.\d{2}-000002$/);
    const again = (await es.bulk({ operations: op })).items[0]!.create!;
    expect(again).toMatchObject({ status: 201, _index: next });
    expect(server.ids('logs-app-default')).toEqual(['k', 'k']);
    expect(server.count('logs-app-default')).toBe(2);
    expect(() => server.rollover('plain')).toThrow(/not a data stream/);
  });

  it('a data stream\'s @timestamp must be there and be a date (a date string or epoch millis)', async () => {
    const server = await start();
    const ops = (ts: unknown) => [{ create: { _index: 'logs-ts-default' } }, ts === undefined ? { a: 1 } : { '@timestamp': ts }];
    const res = await client(server).bulk({ operations: [...ops(undefined), ...ops('yesterday'), ...ops({ at: 1 }), ...ops('2024-05-01T00:00:00Z'), ...ops(1714521600000)] });
    expect(res.items.map((i) => i.create!.status)).toEqual([400, 400, 400, 201, 201]);
    expect(res.items[0]!.create!.error!.caused_by).toMatchObject({ reason: 'data stream timestamp field [@timestamp] is missing' });
    expect(res.items[1]!.create!.error).toMatchObject({ type: 'document_parsing_exception', reason: expect.stringContaining('failed to parse field [@timestamp] of type [date]') });
    expect(server.count('logs-ts-default')).toBe(2);
  });

  it('per-item 403 (a missing privilege) and 404 (a missing index, auto-create off) with ES error bodies', async () => {
    const server = await start();
    server.itemFaults((item) => (item.id === 'a' ? 403 : item.id === 'b' ? 404 : undefined));
    const res = await client(server).bulk({ operations: [{ create: { _index: 'app', _id: 'a' } }, { n: 1 }, { create: { _index: 'app', _id: 'b' } }, { n: 2 }, { create: { _index: 'app', _id: 'c' } }, { n: 3 }] });
    expect(res.items.map((i) => i.create!.status)).toEqual([403, 404, 201]);
    expect(res.items[0]!.create!.error).toMatchObject({ type: 'security_exception', reason: expect.stringContaining('is unauthorized for user [shipper]') });
    expect(res.items[1]!.create!.error).toMatchObject({ type: 'index_not_found_exception', reason: 'no such index [app]' });
    expect(server.ids('app')).toEqual(['c']);
  });

  it.each([400, 403, 404, 406])('a whole-request %d carries ES\'s JSON error through the client', async (status) => {
    const server = await start();
    server.requestFaults({ status: status as 400 });
    const err = await rejection(client(server).bulk({ operations: [{ create: { _index: 'app' } }, { n: 1 }] }));
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect(err.statusCode).toBe(status);
    expect(err.body.error).toBeTruthy();
    expect(server.count()).toBe(0);
  });

  it.each([408, 502, 504])('a whole-request %d is a proxy\'s HTML page (text/html, no product header)', async (status) => {
    const server = await start();
    server.requestFaults({ status: status as 502 });
    const res = await raw(server, 'POST', '/_bulk', { headers: NDJSON, body: ndjson({ create: { _index: 'app' } }, { n: 1 }) });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('text/html');
    expect(res.headers['x-elastic-product']).toBeUndefined();
    expect(res.text).toContain(`<title>${status} ${http.STATUS_CODES[status]}</title>`);
    expect(server.count()).toBe(0);
  });

  it('body: html on an ES status and body: truncated (the connection closes mid-body); faults on GET / and on template PUTs', async () => {
    const server = await start();
    server.requestFaults({ status: 503, body: 'html' });
    const html = await raw(server, 'POST', '/_bulk', { headers: NDJSON, body: ndjson({ create: { _index: 'app' } }, { n: 1 }) });
    expect([html.status, html.headers['content-type']]).toEqual([503, 'text/html']);
    server.requestFaults({ status: 500, body: 'truncated' });
    const cut = await rejection(client(server).bulk({ operations: [{ create: { _index: 'app' } }, { n: 1 }] }));
    expect(cut).toBeInstanceOf(errors.ConnectionError);
    server.requestFaults({ status: 500, on: 'root' });
    server.requestFaults({ status: 503, on: 'component_template' });
    const es = client(server);
    // A _bulk does not use up the root's fault.
    expect((await es.bulk({ operations: [{ create: { _index: 'app' } }, { n: 1 }] })).errors).toBe(false);
    expect((await rejection(es.info())).statusCode).toBe(500);
    expect((await es.info()).version.number).toBe('9.1.0');
    expect((await rejection(es.cluster.putComponentTemplate({ name: 't', template: {} }))).statusCode).toBe(503);
    expect(server.stats.requestFailures).toBe(4);
  });

  it('slowResponses: headers at once, the body trickled; the client\'s idle timeout never fires, the whole answer takes its time', async () => {
    const server = await start();
    server.slowResponses(1, 20);
    const started = Date.now();
    const res = await client(server, { requestTimeout: 1000 }).bulk({ operations: [{ create: { _index: 'app', _id: 'a' } }, { n: 1 }] });
    expect(res.items[0]!.create!.status).toBe(201);
    // ~200 bytes at 8 bytes per 20 ms: far past the 1 s timeout the client was given.
    expect(Date.now() - started).toBeGreaterThan(400);
  });

  it('before 7.14, ES sent no X-Elastic-Product: the 9.x client refuses its successful answers', async () => {
    const old = await start({ version: '7.10.2' });
    const res = await raw(old, 'GET', '/');
    expect(res.headers['x-elastic-product']).toBeUndefined();
    expect(await rejection(client(old).info())).toBeInstanceOf(errors.ProductNotSupportedError);
    const newer = await start({ version: '7.17.0' });
    expect((await raw(newer, 'GET', '/')).headers['x-elastic-product']).toBe('Elasticsearch');
  });
});
