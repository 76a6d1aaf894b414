// The OpenSearch a test ships to: the in-process OpenSearchServer by default, or a real cluster
// when LOGSHIP_OPENSEARCH_URL is set (basic credentials in the URL: https://admin:pw@host:9200),
// so the same tests check what a real OpenSearch ends up holding. Shaped as an EsTarget, so the
// Elasticsearch tests' helpers (waitForDocs, shippedDocs) serve both; `server` is the EsServer
// behind the personality (faults, stats), `os` the personality (signatures, refusals).
import { Client } from '@opensearch-project/opensearch';
import type { EsTarget } from './es-target.js';
import { OpenSearchServer, type OpenSearchServerOptions } from './opensearch-server.js';

export interface OpenSearchTarget extends EsTarget {
  os: OpenSearchServer | undefined;
}

export function usingRealOpenSearch(): boolean {
  return Boolean(process.env.LOGSHIP_OPENSEARCH_URL);
}

/** `opts` configure the fake only. */
export async function openSearchTarget(opts: OpenSearchServerOptions = {}): Promise<OpenSearchTarget> {
  const realUrl = process.env.LOGSHIP_OPENSEARCH_URL;
  if (realUrl) return realTarget(realUrl);
  const os = await OpenSearchServer.start(opts);
  const server = os.es;
  return {
    url: os.url,
    kind: 'fake',
    auth: opts.es?.auth,
    server,
    os,
    ids: async (index) => server.ids(index),
    docs: async (index) => server.docs(index).map(({ id, source }) => ({ id, source })),
    count: async (index) => server.count(index),
    deleteIndices: async (pattern) => server.deleteIndices(pattern),
    close: () => os.close(),
  };
}

interface Hit {
  _id: string;
  _source?: unknown;
}

function realTarget(url: string): OpenSearchTarget {
  const parsed = new URL(url);
  const client = new Client({ node: url, maxRetries: 2, requestTimeout: 60_000, ssl: { rejectUnauthorized: process.env.LOGSHIP_OPENSEARCH_INSECURE !== '1' } });
  const opts = { ignore_unavailable: true, allow_no_indices: true, expand_wildcards: 'all' } as const;
  async function hits(index: string, source: boolean): Promise<Hit[]> {
    await client.indices.refresh({ index, ...opts });
    const out: Hit[] = [];
    let res = await client.search({ index, scroll: '2m', size: 10_000, _source: source, ...opts, body: { sort: ['_doc'] } });
    for (;;) {
      const page = res.body.hits.hits as Hit[];
      out.push(...page);
      if (page.length === 0 || !res.body._scroll_id) break;
      res = await client.scroll({ scroll_id: res.body._scroll_id, scroll: '2m' });
    }
    if (res.body._scroll_id) await client.clearScroll({ scroll_id: res.body._scroll_id }).catch(() => {});
    return out;
  }
  return {
    url,
    kind: 'real',
    auth: parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined,
    server: undefined,
    os: undefined,
    ids: async (index) => (await hits(index, false)).map((h) => h._id),
    docs: async (index) => (await hits(index, true)).map((h) => ({ id: h._id, source: h._source })),
    async count(index) {
      await client.indices.refresh({ index, ...opts });
      return (await client.count({ index, ...opts })).body.count;
    },
    async deleteIndices(pattern) {
      await client.indices.deleteDataStream({ name: pattern }).catch(() => {});
      await client.indices.delete({ index: pattern, ...opts }).catch(() => {});
    },
    close: () => client.close(),
  };
}
