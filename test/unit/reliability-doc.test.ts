import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The fault matrix names the test behind each row; a renamed or deleted test
// file must not leave a row pointing at nothing.
describe('docs/reliability.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/reliability.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| fault') && !l.startsWith('|---'));
  const named = [...new Set(rows.flatMap((row) => [...row.matchAll(/\b(unit|integration)\/([a-z0-9-]+)/g)].map((m) => `${m[1]}/${m[2]}`)))];

  it('has a test named on every row of the fault matrix', () => {
    expect(rows.length).toBeGreaterThan(50);
    for (const row of rows) expect(row, row).toMatch(/\b(unit|integration)\/[a-z0-9-]+|bench\//);
  });

  it('names only test files that exist', () => {
    const missing = named.filter((t) => !existsSync(path.join(ROOT, 'test', `${t}.test.ts`)));
    expect(missing).toEqual([]);
  });
});
