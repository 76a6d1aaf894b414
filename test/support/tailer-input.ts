import { join } from 'node:path';
import type { InputConfig } from '../../src/config/schema.js';

/** An input over `dir/*.log` with fast polling, for tailer tests that run a Tailer in-process. */
export function tailerInput(dir: string, over: Partial<InputConfig> = {}): InputConfig {
  return {
    name: 'test',
    paths: [join(dir, '*.log')],
    exclude: [],
    start_at: 'beginning',
    parser: 'plain',
    keep_original: false,
    fields_under: 'attributes',
    fields: {},
    max_line_bytes: 1024,
    poll_interval: 20,
    rescan_interval: 50,
    rotate_wait: 100,
    partial_line_timeout: 10 * 60_000,
    fingerprint_bytes: 64,
    processors: [],
    ...over,
  };
}
