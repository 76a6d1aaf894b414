// The life cycle every S3 output test file shares: one S3 server for the file
// (s3rver on 127.0.0.1, or LOGSHIP_S3_ENDPOINT), the outputs a test made
// closed after it, its temp dirs removed, and configs built the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { s3OutputSchema, type S3OutputConfig } from '../../outputs/s3/config.js';
import type { Output } from '../../src/output/contract.js';
import { s3KeyFiles, s3OutputFor, useS3Server, type S3TestServer } from './s3-server.js';

export interface S3Harness {
  readonly server: S3TestServer;
  tempDir(): string;
  /** Closes `out` after the test (an output a test abandons, as in a crash, is not tracked). */
  track<O extends Output>(out: O): O;
  /** Static keys as `*_file` paths, as the config takes them. */
  keyFiles(keys?: { accessKeyId: string; secretAccessKey: string }): { access_key_id_file: string; secret_access_key_file: string };
  /** The output config for the test server (path-style, its keys when local) with `raw` on top, named `archive`. */
  config(raw: Record<string, unknown>): S3OutputConfig & { name: string };
}

export function useS3Harness(label: string): S3Harness {
  const s3 = useS3Server();
  const dirs: string[] = [];
  const outputs: Output[] = [];
  afterEach(async () => {
    await Promise.allSettled(outputs.splice(0).map((o) => o.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const harness: S3Harness = {
    get server() {
      return s3.server;
    },
    tempDir() {
      const d = mkdtempSync(join(tmpdir(), `logship-${label}-`));
      dirs.push(d);
      return d;
    },
    track(out) {
      outputs.push(out);
      return out;
    },
    keyFiles(keys) {
      return s3KeyFiles(harness.tempDir(), keys);
    },
    config(raw) {
      const { name, ...output } = s3OutputFor(harness.server, harness.tempDir(), raw);
      return { ...s3OutputSchema.parse(output), name: name as string };
    },
  };
  return harness;
}
