// Issue 11: the configs users copy (every ```yaml block of the README, the
// deploy examples) go through the real loader, as `logship validate` does
// (substitution, schema, cross-key and parser checks; not the filesystem
// preflight, which depends on this machine). A README yaml block is a
// complete config: a fragment belongs in another kind of block.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Values for the variables the examples reference without a default. */
const EXAMPLE_ENV = { ES_API_KEY: 'example-api-key' };

interface Example {
  readonly name: string;
  readonly text: string;
}

function readmeBlocks(): Example[] {
  const readme = read('README.md');
  return [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => ({
    name: `README.md yaml block at line ${readme.slice(0, m.index).split('\n').length}`,
    text: m[1]!,
  }));
}

/** The config files of deploy/: the example, and the ones embedded in the ConfigMap and the Compose file. */
function deployConfigs(): Example[] {
  const configMap = parse(read('deploy/kubernetes/configmap.yaml')) as { data: Record<string, string> };
  const compose = parse(read('deploy/compose/docker-compose.yaml')) as { configs: Record<string, { content: string }> };
  return [
    { name: 'deploy/examples/local.yaml', text: read('deploy/examples/local.yaml') },
    { name: 'deploy/kubernetes/configmap.yaml data.logship.yaml', text: configMap.data['logship.yaml']! },
    { name: 'deploy/compose/docker-compose.yaml configs.logship-config', text: compose.configs['logship-config']!.content },
  ];
}

/** The loader's problems (empty when the text is a valid config). */
function problems({ name, text }: Example): string[] {
  try {
    parseConfigText(text, name, EXAMPLE_ENV);
    return [];
  } catch (err) {
    return (err as { problems?: string[] }).problems ?? [String(err)];
  }
}

describe('the README configuration examples', () => {
  const blocks = readmeBlocks();

  it('are found (the smallest config and the full one at least)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(blocks.map((b) => [b.name, b] as const))('%s validates against the config schema', (_name, block) => {
    expect(problems(block)).toEqual([]);
  });
});

describe('the deploy configs', () => {
  it.each(deployConfigs().map((c) => [c.name, c] as const))('%s validates against the config schema', (_name, config) => {
    expect(problems(config)).toEqual([]);
  });
});

it('a README-style block with a mistake is refused, by path (the check is live)', () => {
  const broken = { name: 'broken', text: readmeBlocks()[0]!.text.replace('type: file', 'type: flie') };
  expect(problems(broken)).toEqual([expect.stringMatching(/^outputs\[0\]\.type: .*flie/)]);
});
