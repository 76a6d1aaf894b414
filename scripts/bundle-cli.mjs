// The end of `npm run build`: dist/cli.js, as tsc wrote it, becomes one ES
// module with its dependencies, beside the chunks it imports lazily (an
// output's implementation, a command other than the one run). Why: each of the
// ~420 modules `logship run` loads unbundled costs native memory, and zod
// alone brings 64 locale modules of which only English is used. Bundled, idle
// RSS is ~13 MiB lower on Node 20 and ~9 MiB on Node 24 (`node
// bench/idle-rss.mjs --variants logship --dist OLD/dist`, A/B). The rest of
// dist/ stays as tsc wrote it, for tests and benchmarks that import single
// modules.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

/**
 * Modules started as worker threads, by `new Worker(new URL('./<name>.js',
 * import.meta.url))`: each is an entry of its own, and every chunk lies flat in
 * dist/ beside it, so that URL finds it from whichever chunk holds the caller.
 */
const WORKERS = { 'parse-worker': 'src/pipeline/parse-worker.js' };

const CHUNK_PREFIX = 'chunk-';

export async function bundleCli(root) {
  const dist = join(root, 'dist');
  const input = { cli: join(dist, 'cli.js') };
  for (const [name, path] of Object.entries(WORKERS)) input[name] = join(dist, path);
  const bundle = await rolldown({ input, platform: 'node', logLevel: 'warn' });
  try {
    // Chunk names carry a hash: the last build's would pile up.
    for (const name of readdirSync(dist)) if (name.startsWith(CHUNK_PREFIX)) rmSync(join(dist, name));
    await bundle.write({ dir: dist, format: 'esm', entryFileNames: '[name].js', chunkFileNames: `${CHUNK_PREFIX}[name]-[hash].js`, sourcemap: true });
  } finally {
    await bundle.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli(process.cwd());
