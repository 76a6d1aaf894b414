// The Elasticsearch a test ships to: the in-process EsServer by default, or a real cluster when
// LOGSHIP_ES_URL is set (credentials in the URL, or LOGSHIP_ES_API_KEY), so the same test
// checks what a real cluster ends up holding.
//
// Fault injection exists only on the fake. `it.skipIf(...)` is evaluated when the file is
// collected, before beforeAll runs, so decide it from something known at that point:
//
//   const target = await esTarget();               // top-level await: known at collection
//   afterAll(() => target.close());
//   it.skipIf(!target.server)('retries items answered 429', async () => {
//     target.server!.itemFaults(randomItemFaults({ seed: 1, rate429: 0.1 }));
//     ...
//   });
//
// or, with the target created in beforeAll: `it.skipIf(usingRealEs())(...)`, or `ctx.skip()`
// inside the test when `!target.server`.
import { Client, errors } from '@elastic/elasticsearch';
import { type EsAuth, EsServer, type EsServerOptions } from './es-server.js';

export interface EsTarget {
  /** The URL to configure the shipper with (with credentials when LOGSHIP_ES_URL has them). */
  url: string;
  kind: 'fake' | 'real';
  /** The credentials the shipper must send, if any (EsServer's `auth`, or LOGSHIP_ES_API_KEY). */
  auth: EsAuth | undefined;
  /** The in-process server (fault injection, stats, recorded requests); undefined for a real cluster. */
  server: EsServer | undefined;
  /** Every `_id` in the indices/data streams `index` names (a name, `*` pattern or comma list). */
  ids(index: string): Promise<string[]>;
  docs(index: string): Promise<Array<{ id: string; source: unknown }>>;
  count(index: string): Promise<number>;
  /** Deletes the matching data streams and indices (nothing matching is fine). */
  deleteIndices(pattern: string): Promise<void>;
  close(): Promise<void>;
}

/** Whether esTarget() will talk to a real cluster (LOGSHIP_ES_URL is set). */
export function usingRealEs(): boolean {
  return Boolean(process.env.LOGSHIP_ES_URL);
}

/** `opts` configure the fake only; a real cluster is used as it is. */
export async function esTarget(opts: EsServerOptions = {}): Promise<EsTarget> {
  const realUrl = process.env.LOGSHIP_ES_URL;
  if (realUrl) return realTarget(realUrl, process.env.LOGSHIP_ES_API_KEY || undefined);
  const server = await EsServer.start(opts);
  return {
    url: server.url,
    kind: 'fake',
    auth: opts.auth,
    server,
    ids: async (index) => server.ids(index),
    docs: async (index) => server.docs(index).map(({ id, source }) => ({ id, source })),
    count: async (index) => server.count(index),
    deleteIndices: async (pattern) => server.deleteIndices(pattern),
    close: () => server.close(),
  };
}

const PAGE = 10_000;

async function realTarget(url: string, apiKey: string | undefined): Promise<EsTarget> {
  // Credentials in the URL are picked up by the client itself.
  const client = new Client({
    node: url,
    ...(apiKey ? { auth: { apiKey } } : {}),
    maxRetries: 2,
    requestTimeout: 60_000,
  });
  const parsed = new URL(url);
  const auth: EsAuth | undefined = apiKey
    ? { apiKey }
    : parsed.username
      ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
      : undefined;

  const refresh = async (index: string) => {
    await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true, expand_wildcards: 'all' });
  };

  /** Every hit of `index`, through a point in time and search_after (no 10k from+size limit). */
  async function* hits(index: string, withSource: boolean): AsyncGenerator<{ id: string; source: unknown }> {
    await refresh(index);
    let pit: string;
    try {
      pit = (await client.openPointInTime({ index, keep_alive: '2m', ignore_unavailable: true, expand_wildcards: 'all' })).id;
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode === 404) return;
      throw err;
    }
    try {
      let after: Array<string | number | boolean | null> | undefined;
      for (;;) {
        const res = await client.search({
          pit: { id: pit, keep_alive: '2m' },
          size: PAGE,
          sort: [{ _shard_doc: 'asc' }],
          _source: withSource,
          track_total_hits: false,
          ...(after ? { search_after: after } : {}),
        });
        pit = res.pit_id ?? pit;
        const page = res.hits.hits;
        for (const hit of page) yield { id: hit._id!, source: hit._source };
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.sort as Array<string | number | boolean | null>;
      }
    } finally {
      await client.closePointInTime({ id: pit }).catch(() => {});
    }
  }

  return {
    url,
    kind: 'real',
    auth,
    server: undefined,
    async ids(index) {
      const out: string[] = [];
      for await (const hit of hits(index, false)) out.push(hit.id);
      return out;
    },
    async docs(index) {
      const out: Array<{ id: string; source: unknown }> = [];
      for await (const hit of hits(index, true)) out.push(hit);
      return out;
    },
    async count(index) {
      await refresh(index);
      const res = await client.count({ index, ignore_unavailable: true, allow_no_indices: true, expand_wildcards: 'all' });
      return res.count;
    },
    async deleteIndices(pattern) {
      // Resolve to names first: wildcard deletes are refused under action.destructive_requires_name.
      let resolved;
      try {
        resolved = await client.indices.resolveIndex({ name: pattern, expand_wildcards: 'all' });
      } catch (err) {
        if (err instanceof errors.ResponseError && err.statusCode === 404) return;
        throw err;
      }
      const streams = resolved.data_streams.map((d) => d.name);
      if (streams.length > 0) await client.indices.deleteDataStream({ name: streams, expand_wildcards: 'all' });
      const indices = resolved.indices.filter((i) => !i.data_stream).map((i) => i.name);
      if (indices.length > 0) await client.indices.delete({ index: indices, ignore_unavailable: true });
    },
    close: () => client.close(),
  };
}
