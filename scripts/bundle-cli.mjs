// The end of `npm run build`: dist/cli.js, as tsc wrote it, becomes one ES
// module with its dependencies (dist/chunks/ holds what it imports lazily: an
// output's implementation, a command other than the one run). Why: each of the
// ~420 modules `logship run` loads unbundled costs native memory, and zod
// alone brings 64 locale modules of which only English is used. Bundled, idle
// RSS is ~13 MiB lower on Node 20 and ~9 MiB on Node 24 (`node
// bench/idle-rss.mjs --variants logship --dist OLD/dist`, A/B). The rest of
// dist/ stays as tsc wrote it, for tests and benchmarks that import single
// modules.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

export async function bundleCli(root) {
  const dist = join(root, 'dist');
  const bundle = await rolldown({ input: join(dist, 'cli.js'), platform: 'node', logLevel: 'warn' });
  try {
    // Chunk names carry a hash: the last build's would pile up.
    rmSync(join(dist, 'chunks'), { recursive: true, force: true });
    await bundle.write({ dir: dist, format: 'esm', entryFileNames: 'cli.js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true });
  } finally {
    await bundle.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli(process.cwd());
