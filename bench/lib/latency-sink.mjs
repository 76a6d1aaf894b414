// A minimal Elasticsearch `_bulk` endpoint for the footprint and latency bench:
// it accepts every document (per-item 201) and, for each, reads the writer's
// append time from the document's `"t":<epoch ms>` field, so the delay from a
// line's append to its acknowledgement is measured per document. It answers
// `GET /` as Elasticsearch 8 (with the product header the official client checks).
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const T_FIELD = /"t":(\d+(?:\.\d+)?)/;

export async function startLatencySink({ port = 0 } = {}) {
  const state = { docs: 0, bulks: 0, bytes: 0, ids: new Set(), duplicates: 0, latencies: [] };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      res.setHeader('X-Elastic-Product', 'Elasticsearch');
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && (req.url === '/' || req.url === '')) {
        res.end(JSON.stringify({ name: 'latency-sink', cluster_name: 'bench', version: { number: '8.15.0', build_flavor: 'default' }, tagline: 'You Know, for Search' }));
        return;
      }
      if (req.method === 'POST' && req.url.includes('_bulk')) {
        const lines = body.toString('utf8').split('\n');
        const items = [];
        let docsHere = 0;
        for (let i = 0; i + 1 < lines.length; i += 2) {
          if (!lines[i]) { i--; continue; }
          const action = JSON.parse(lines[i]);
          const op = Object.keys(action)[0];
          const id = action[op]._id;
          const doc = lines[i + 1];
          if (id !== undefined && state.ids.has(id)) {
            state.duplicates++;
            items.push({ [op]: { _id: id, status: 409, error: { type: 'version_conflict_engine_exception' } } });
            continue;
          }
          if (id !== undefined) state.ids.add(id);
          const m = T_FIELD.exec(doc);
          if (m) state.latencies.push([Number(m[1]), now]);
          docsHere++;
          items.push({ [op]: { _id: id, status: 201, result: 'created' } });
        }
        state.docs += docsHere;
        state.bulks++;
        state.bytes += body.length;
        res.end(JSON.stringify({ took: 1, errors: state.duplicates > 0, items }));
        return;
      }
      // Templates, data stream checks and anything else the output may ask: accepted.
      res.end('{"acknowledged":true}');
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    state,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
