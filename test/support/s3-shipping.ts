// What the S3 integration tests share: a config tailing one file into the `archive` s3 output, what that
// output's buffer acknowledged on disk, and the messages of the events in the objects under a key prefix.
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { bufferDir, readAck } from './buffer-files.js';
import { writeConfig } from './logship-process.js';
import { s3OutputFor, type S3TestServer } from './s3-server.js';

/**
 * A config tailing `file` from its beginning into the `archive` output for `server` (s3OutputFor, keys under
 * `root`) with `output` on top, state under `<root>/state`; `input` on top of the input, `top` beside `outputs`.
 */
export function s3ShippingConfig(server: S3TestServer, root: string, file: string, output: Record<string, unknown>, opts: { input?: Record<string, unknown>; top?: Record<string, unknown> } = {}): Promise<string> {
  return writeConfig(root, {
    inputs: [{ name: 'app', paths: [file], start_at: 'beginning', poll_interval: '250ms', ...opts.input }],
    buffer: { path: path.join(root, 'state') },
    checkpoint: { interval: '1s' },
    ...opts.top,
    outputs: [s3OutputFor(server, root, output)],
  });
}

/** The last record id the `archive` output's buffer under `<root>/state` acknowledged on disk (-1 before any). */
export function archiveAckedId(root: string): number {
  return readAck(bufferDir(path.join(root, 'state'), 'archive'))?.acked_id ?? -1;
}

/**
 * Every event's message in the gzip objects under `base` (in `bucket`, the test bucket unless given). While
 * logship runs, pass `whileRunning`: s3rver (unlike S3) shows an object being rewritten half-written, so one
 * that does not decode yet is skipped for this poll.
 */
export async function s3Messages(server: S3TestServer, base: string, opts: { bucket?: string; whileRunning?: boolean } = {}): Promise<string[]> {
  const got: string[] = [];
  for (const key of await server.list(base, opts.bucket)) {
    let body: Buffer;
    try {
      body = gunzipSync((await server.get(key, opts.bucket)).body);
    } catch (err) {
      if (opts.whileRunning) continue;
      throw new Error(`${key}: ${(err as Error).message}`, { cause: err });
    }
    for (const l of body.toString('utf8').split('\n')) if (l !== '') got.push((JSON.parse(l) as { message: string }).message);
  }
  return got;
}
