// What an idle daemon does not load (issue 13, idle RSS): the CLI is one
// bundle (scripts/bundle-cli.mjs) rather than hundreds of modules, and
// prom-client loads only with a status server, which still serves every
// metric. Checked in a fresh `node` on the built dist.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `script` as an ES module in a new process from the repository root; its stdout parsed as JSON. */
async function inFreshNode(script: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

// prom-client is CommonJS: Node's require.cache says whether anything loaded it.
const loaded = `(await import('node:module')).createRequire(import.meta.url).cache`;
const promClientLoaded = `Object.keys(${loaded}).some((k) => k.includes('/node_modules/prom-client/'))`;

describe('idle footprint', () => {
  it('dist/cli.js is a bundle: `logship validate` loads no module from node_modules, so none of zod’s locales', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'logship-idle-'));
    try {
      // A module loader hook that names every module Node loads (hooks run off the main thread in Node 20: stderr, not a variable).
      writeFileSync(path.join(dir, 'hooks.mjs'), `export async function load(url, context, next) { process.stderr.write('loaded ' + url + '\\n'); return next(url, context); }\n`);
      writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${path.join(dir, 'hooks.mjs')}`).href)});\n`);
      writeFileSync(path.join(dir, 'logship.yaml'), `inputs: [{ paths: ["${dir}/*.log"], parser: json }]\noutputs: [{ type: elasticsearch, hosts: "http://127.0.0.1:9200" }]\n`);
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', path.join(dir, 'register.mjs'), 'dist/cli.js', 'validate', '--config', path.join(dir, 'logship.yaml')], { cwd: ROOT, timeout: 60_000 });
      expect(stdout).toContain('config OK');
      const files = [...stderr.matchAll(/^loaded (file:\S+)$/gm)].map((m) => m[1]!);
      expect(files.length).toBeGreaterThan(0);
      expect(files.filter((url) => url.includes('/node_modules/'))).toEqual([]);
      // Unbundled, validate loads ~270 modules; bundled, the entry and a few chunks.
      expect(files.length).toBeLessThan(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loading `logship run` and the agent does not load prom-client', async () => {
    const result = await inFreshNode(`
      await import('./dist/src/cli/run.js');
      await import('./dist/src/pipeline/agent.js');
      console.log(JSON.stringify({ promClient: ${promClientLoaded} }));
    `);
    expect(result).toEqual({ promClient: false });
  });

  it('a status server’s registry loads prom-client and serves logship’s and the runtime’s metrics', async () => {
    const result = await inFreshNode(`
      const { createMetrics } = await import('./dist/src/server/metrics.js');
      const registry = createMetrics({ inputs: () => [], outputs: () => [], checkpoint: () => ({ writeErrors: { EIO: 2 }, diskFull: false }) });
      const text = await registry.metrics();
      console.log(JSON.stringify({
        promClient: ${promClientLoaded},
        contentType: registry.contentType,
        own: text.includes('logship_checkpoint_write_errors_total{reason="EIO"} 2'),
        runtime: /^logship_process_cpu_seconds_total \\d/m.test(text) && text.includes('logship_nodejs_gc_duration_seconds'),
      }));
    `);
    expect(result).toEqual({ promClient: true, contentType: 'text/plain; version=0.0.4; charset=utf-8', own: true, runtime: true });
  });
});
