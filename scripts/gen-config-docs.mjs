#!/usr/bin/env node
// Writes docs/configuration.md from the zod schemas (src/config/reference-doc.ts,
// through the build in dist/): every key, its type, bounds, default and the
// description its schema carries. Exits 1, naming them, when a key has no
// description, so a new key without one fails CI.
//
//   npm run docs                                  build, then rewrite docs/configuration.md and docs/parsers.md
//   node scripts/gen-config-docs.mjs --check      exit 1 when docs/configuration.md is stale
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs/configuration.md');
const MODULE = path.join(ROOT, 'dist/src/config/reference-doc.js');

if (!existsSync(MODULE)) {
  process.stderr.write(`${path.relative(ROOT, MODULE)} is missing: run \`npm run build\` first (or \`npm run docs\`)\n`);
  process.exit(1);
}
const { renderConfigReference } = await import(pathToFileURL(MODULE).href);

let fresh;
try {
  fresh = renderConfigReference();
} catch (err) {
  process.stderr.write(`docs/configuration.md not written: ${err.message}\n`);
  process.exit(1);
}
const current = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
if (process.argv.includes('--check')) {
  if (fresh !== current) {
    process.stderr.write('docs/configuration.md is stale: it differs from the schemas; run `npm run docs`\n');
    process.exit(1);
  }
} else if (fresh !== current) {
  writeFileSync(DOC, fresh);
  process.stderr.write('docs/configuration.md: rewritten from the schemas\n');
}
