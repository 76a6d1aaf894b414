// The `opensearch` output's config for a test target (fake or real), with short backoffs.
import path from 'node:path';
import { baseConfig, writeConfig } from './logship-process.js';
import type { OpenSearchTarget } from './opensearch-target.js';

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
