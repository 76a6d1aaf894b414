// The `opensearch` output's config for a test target (fake or real), with short backoffs.
import path from 'node:path';
import { esOutput } from './es-shipping.js';
import { appConfig } from './logship-process.js';
import type { OpenSearchTarget } from './opensearch-target.js';

/** The `elasticsearch` test output's settings (short backoffs, auth from the target), as `type: opensearch`. */
export function osOutput(target: OpenSearchTarget, over: Record<string, unknown> = {}): Record<string, unknown> {
  return esOutput(target, { type: 'opensearch', name: 'os', ...(process.env.LOGSHIP_OPENSEARCH_INSECURE === '1' && { tls: { verify: false } }), ...over });
}

/** A config reading `<root>/logs/*.log` (plain lines) into the opensearch output. */
export function osConfig(root: string, target: OpenSearchTarget, output: Record<string, unknown>): Promise<string> {
  return appConfig(root, [path.join(root, 'logs', '*.log')], osOutput(target, output));
}
