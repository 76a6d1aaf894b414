/**
 * How an object's NDJSON is encoded. With gzip, every write-out is one complete
 * member (RFC 1952 allows a file of several; zcat and zlib read them whole),
 * and every sync point ends one, so whatever a store holds durably always
 * decodes whole.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/**
 * Async zlib runs on the libuv threadpool, keeping the event loop free. At
 * zlib's default level, unlike an Elasticsearch request body (level 3,
 * outputs/elasticsearch/http-client.ts): objects are kept, so their size
 * weighs more than the CPU, and a rebuilt object must equal the first one.
 */
const gzipAsync = promisify(gzip);

export function objectExtension(compression: Compression): string {
  return compression === 'gzip' ? '.ndjson.gz' : '.ndjson';
}

/** `chunks` (whole NDJSON lines, `bytes` long) as stored: as they are, or one gzip member. */
export async function encodeChunks(compression: Compression, chunks: Buffer[], bytes: number): Promise<Buffer[]> {
  if (compression === 'none') return chunks;
  return [await gzipAsync(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes))];
}
