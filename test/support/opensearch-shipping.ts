// The `opensearch` output's config for a test target (fake or real), with short backoffs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rejectWhere, type ItemFaultRule } from './es-server.js';
import { baseConfig, writeConfig } from './logship-process.js';
import type { OpenSearchTarget } from './opensearch-target.js';
import { parseNumbered } from './output.js';

export function osOutput(target: OpenSearchTarget, over: Record<string, unknown> = {}): Record<string, unknown> {
  const auth = target.auth;
  return {
    type: 'opensearch',
    name: 'os',
    hosts: target.url,
    index: 'logship-test',
    retry: { initial_backoff: '50ms', max_backoff: '1s' },
    batch: { max_bytes: '1MiB', timeout: '200ms' },
    ...(auth && 'username' in auth && { auth: { username: auth.username, password: auth.password } }),
    ...(process.env.LOGSHIP_OPENSEARCH_INSECURE === '1' && { tls: { verify: false } }),
    ...over,
  };
}

/** A config reading `<root>/logs/*.log` (plain lines) into the opensearch output. */
export async function osConfig(root: string, target: OpenSearchTarget, output: Record<string, unknown>): Promise<string> {
  return writeConfig(root, { ...baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]), outputs: [osOutput(target, output)] });
}

/** An item-fault rule refusing (400, a mapping error) the numbered lines `n` for which `rejected(n)`. */
export function rejectNumbered(rejected: (n: number) => boolean): ItemFaultRule {
  return rejectWhere((source) => {
    const num = parseNumbered((JSON.parse(source) as { message: string }).message);
    return num !== undefined && rejected(num.n);
  });
}

/** The output's dead-letter file (`<root>/state/dead_letter/os.ndjson`), parsed; empty when there is none yet. */
export function deadLetters(root: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path.join(root, 'state', 'dead_letter', 'os.ndjson'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
