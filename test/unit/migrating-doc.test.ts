// Issue 14: docs/migrating.md converts a Fluent Bit, a Fluentd and a Vector
// pipeline; each converted config (the yaml block after "In logship:") goes
// through the real loader, as `logship validate` does, so the page never
// promises a key logship does not have.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const page = readFileSync(path.join(ROOT, 'docs/migrating.md'), 'utf8');

/** The yaml block after each "In logship:" line, named by the section it is in. */
function convertedConfigs(): [string, string][] {
  return [...page.matchAll(/^In logship:\n\n```yaml\n([\s\S]*?)^```$/gm)].map((m) => {
    const section = [...page.slice(0, m.index).matchAll(/^## (.+)$/gm)].at(-1)![1]!;
    return [section, m[1]!];
  });
}

/** The loader's problems with a config text (empty when valid). */
function problems(name: string, text: string): string[] {
  try {
    parseConfigText(text, name, { ES_PASSWORD: 'example-password' });
    return [];
  } catch (err) {
    return (err as { problems?: string[] }).problems ?? [String(err)];
  }
}

describe('docs/migrating.md', () => {
  it('has a converted example for each agent', () => {
    expect(convertedConfigs().map(([section]) => section)).toEqual(['Fluent Bit', 'Fluentd', 'Vector']);
  });

  it.each(convertedConfigs())('the %s example converts to a valid logship config', (section, text) => {
    expect(problems(section, text)).toEqual([]);
  });

  it('the check is live: a key logship does not have is refused, by path', () => {
    const [, text] = convertedConfigs()[0]!;
    expect(problems('broken', text.replace('max_size: 1GiB', 'Mem_Buf_Limit: 50MB'))).toEqual([expect.stringMatching(/^buffer\.Mem_Buf_Limit: unknown key/)]);
  });

  it('names only configuration keys that exist, in its logship column', () => {
    const reference = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
    const keys = new Set([...reference.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!.replace(/\[\]/g, '')));
    // Each `inputs[].x`, `outputs[].x.y`, `buffer.x` the tables name in their logship column.
    const named = [...page.matchAll(/^\|[^|\n]*\| (.*) \|$/gm)].flatMap((m) => [...m[1]!.matchAll(/`((?:inputs|outputs|buffer|checkpoint|server)(?:\[\])?\.[\w.]+)`/g)].map((k) => k[1]!.replace(/\[\]/g, '')));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((k) => !keys.has(k)), 'keys not in docs/configuration.md').toEqual([]);
  });
});
