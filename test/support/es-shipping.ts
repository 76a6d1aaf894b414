// What the Elasticsearch (and OpenSearch) integration tests share: the output's
// config for a target (fake or real), the documents a target holds as
// ShippedEvents (so checkNumbered counts lines, copies and id stability),
// waiting for them, refusing numbered lines, and the dead-letter file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rejectWhere, type ItemFaultRule } from './es-server.js';
import type { EsTarget } from './es-target.js';
import { appConfig, sleep, type LogshipProcess } from './logship-process.js';
import { field, parseNumbered, type ShippedEvent } from './output.js';

/** The `elasticsearch` output for `target`, with short backoffs so a test does not wait out production ones. */
export function esOutput(target: Pick<EsTarget, 'url' | 'auth'>, over: Record<string, unknown> = {}): Record<string, unknown> {
  const auth = target.auth;
  return {
    type: 'elasticsearch',
    name: 'es',
    hosts: target.url,
    index: 'logship-test',
    retry: { initial_backoff: '50ms', max_backoff: '1s' },
    batch: { max_bytes: '1MiB', timeout: '200ms' },
    ...(auth && {
      auth: 'username' in auth ? { username: auth.username, password: auth.password } : 'apiKey' in auth ? { api_key: auth.apiKey } : { bearer_token: auth.bearer },
    }),
    ...over,
  };
}

/** A config reading `<root>/logs/*.log` (plain lines) into the `elasticsearch` output for `target` (see appConfig for `opts`). */
export function esConfig(root: string, target: Pick<EsTarget, 'url' | 'auth'>, output: Record<string, unknown>, opts: Parameters<typeof appConfig>[3] = {}): Promise<string> {
  return appConfig(root, [path.join(root, 'logs', '*.log')], esOutput(target, output), opts);
}

/** A target's documents seen as shipped events: message, event.id and the index (as `object`). */
export async function shippedDocs(target: EsTarget, index: string): Promise<ShippedEvent[]> {
  return (await target.docs(index)).map(({ id, source }) => {
    const raw = source as Record<string, unknown>;
    return {
      raw: { ...raw, _id: id },
      message: String(raw.message ?? ''),
      path: field(raw, 'log.file.path') as string | undefined,
      offset: field(raw, 'log.offset') as number | undefined,
      id: field(raw, 'event.id') as string | undefined,
      tags: (raw.tags as string[] | undefined) ?? [],
      object: id,
    };
  });
}

/** Polls until `index` holds at least `n` documents; fails early when logship exits or nothing moves for `stallMs`. */
export async function waitForDocs(target: EsTarget, index: string, n: number, opts: { proc?: LogshipProcess; timeoutMs?: number; stallMs?: number } = {}): Promise<number> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const stallMs = opts.stallMs ?? 30_000;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const count = await target.count(index);
    if (count >= n) return count;
    if (count !== last) {
      last = count;
      lastChange = Date.now();
    }
    const why =
      opts.proc && !opts.proc.running
        ? 'logship exited'
        : Date.now() > deadline
          ? 'timed out'
          : Date.now() - lastChange > stallMs
            ? `no new documents for ${stallMs / 1000} s`
            : undefined;
    if (why) throw new Error(`${why} waiting for ${n} documents in ${index}: it holds ${count}${opts.proc ? `\n${opts.proc.describe()}` : ''}`);
    await sleep(200);
  }
}

/** An item-fault rule refusing (400, a mapping error) the numbered lines `n` for which `rejected(n)`. */
export function rejectNumbered(rejected: (n: number) => boolean): ItemFaultRule {
  return rejectWhere((source) => {
    const num = parseNumbered((JSON.parse(source) as { message: string }).message);
    return num !== undefined && rejected(num.n);
  });
}

/** The dead-letter file of `output` (`<root>/state/dead_letter/<output>.ndjson`), parsed; empty when there is none yet. */
export function deadLetters(root: string, output: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path.join(root, 'state', 'dead_letter', `${output}.ndjson`), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
