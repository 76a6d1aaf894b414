#!/usr/bin/env node
// Writes the metrics reference of docs/operations.md (the region between the
// `<!-- metrics: … -->` and `<!-- /metrics -->` lines) from the one list of
// metrics in src/server/metrics.ts, through the build in dist/. The rest of
// the page is written by hand.
//
//   npm run docs:metrics                          rewrite the region (after `npm run build`; `npm run docs` does both)
//   node scripts/gen-metrics-docs.mjs --check     exit 1 when the region is stale
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs/operations.md');
const MODULE = path.join(ROOT, 'dist/src/server/metrics-doc.js');

if (!existsSync(MODULE)) {
  process.stderr.write(`${path.relative(ROOT, MODULE)} is missing: run \`npm run build\` first (or \`npm run docs\`)\n`);
  process.exit(1);
}
const { replaceMetricsRegion } = await import(pathToFileURL(MODULE).href);

const current = readFileSync(DOC, 'utf8');
let fresh;
try {
  fresh = replaceMetricsRegion(current);
} catch (err) {
  process.stderr.write(`docs/operations.md not written: ${err.message}\n`);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  if (fresh !== current) {
    process.stderr.write('docs/operations.md is stale: its metrics reference differs from src/server/metrics.ts; run `npm run docs`\n');
    process.exit(1);
  }
} else if (fresh !== current) {
  writeFileSync(DOC, fresh);
  process.stderr.write('docs/operations.md: metrics reference rewritten from src/server/metrics.ts\n');
}
