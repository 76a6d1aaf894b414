// Issue 9: docs/parsers.md showed `"pid": "1234"` where logship writes a number.
// Its examples are now generated from the golden files (`npm run docs:parsers`);
// this fails when the page no longer matches them.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('docs/parsers.md examples match the golden files (run `npm run docs:parsers` after changing a golden)', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-parser-docs.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
