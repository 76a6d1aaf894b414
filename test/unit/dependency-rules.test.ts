// The import rules of .dependency-cruiser.cjs hold for the code base, and they
// are real rules: a tree that breaks each one once is caught, rule by rule.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function cruise(cwd: string, config: string, paths: string[]): Promise<Violation[]> {
  // Exit status 1 means violations were found: the JSON says which.
  const run = await promisify(execFile)(DEPCRUISE, ['--config', config, '--output-type', 'json', ...paths], { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('dependency rules', () => {
  it('the code base has no import circle, parsers/ is a leaf, the core reaches outputs only through the registry', async () => {
    const violations = await cruise(ROOT, '.dependency-cruiser.cjs', ['cli.ts', 'src', 'parsers', 'outputs']);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 120_000);

  it('catch each kind of violation, in a tree made to break every rule once', async () => {
    const fixture = join(ROOT, 'fixtures', 'dependency-rules');
    const violations = await cruise(fixture, join(ROOT, '.dependency-cruiser.cjs'), ['parsers', 'src', 'outputs']);
    expect(new Set(violations.map((v) => v.rule.name))).toEqual(
      new Set([
        'no-circular',
        'parsers-are-a-leaf',
        'core-knows-outputs-only-by-the-registry',
        'outputs-stay-in-their-folder',
        'tailer-owns-its-resume-point',
        'buffers-move-bytes-only',
      ]),
    );
  }, 120_000);
});
