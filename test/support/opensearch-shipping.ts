// The `opensearch` output's config for a test target (fake or real), with short backoffs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rejectWhere, type ItemFaultRule } from './es-server.js';
import { esOutput } from './es-shipping.js';
import { baseConfig, writeConfig } from './logship-process.js';
import type { OpenSearchTarget } from './opensearch-target.js';
import { parseNumbered } from './output.js';

/** The `elasticsearch` test output's settings (short backoffs, auth from the target), as `type: opensearch`. */
export function osOutput(target: OpenSearchTarget, over: Record<string, unknown> = {}): Record<string, unknown> {
  return esOutput(target, { type: 'opensearch', name: 'os', ...(process.env.LOGSHIP_OPENSEARCH_INSECURE === '1' && { tls: { verify: false } }), ...over });
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
