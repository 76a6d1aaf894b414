// The Elasticsearch output compresses request bodies at GZIP_LEVEL (3), not zlib's default:
// the body the server receives is exactly that level's gzip of what was sent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { EsHttpClient } from '../../outputs/elasticsearch/http-client.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('request compression', () => {
  it('sends gzip at level 3: the bytes received are that level’s member, and decode to the body', async () => {
    const received: Buffer[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const client = new EsHttpClient({ hosts: [`http://127.0.0.1:${(server.address() as AddressInfo).port}`], timeoutMs: 30_000, compression: true, productCheck: 'Elasticsearch' });
    cleanups.push(() => client.close());

    const body = Buffer.from(Array.from({ length: 2000 }, (_, i) => `{"create":{"_id":"${i}"}}\n{"message":"request ${i} served in ${i % 97} ms","user":{"id":${i * 7}}}\n`).join(''));
    await client.request({ method: 'POST', path: '/_bulk', body });
    expect(gunzipSync(received[0]!).equals(body)).toBe(true);
    expect(received[0]!.equals(gzipSync(body, { level: 3 }))).toBe(true);
    expect(received[0]!.equals(gzipSync(body))).toBe(false);
  });
});
