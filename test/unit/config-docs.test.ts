// Issue 11: docs/configuration.md is generated from the zod schemas
// (`npm run docs`); these fail when the page is stale or a key has no description.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSections, renderConfigReference, undescribedKeys } from '../../src/config/reference-doc.js';
import { duration, size } from '../../src/config/units.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = path.join(ROOT, 'docs/configuration.md');

describe('docs/configuration.md', () => {
  it('equals what the schemas generate (run `npm run docs` after changing a schema)', () => {
    expect(readFileSync(DOC, 'utf8'), 'docs/configuration.md is stale: run `npm run docs`').toBe(renderConfigReference());
  });

  it('is what `gen-config-docs.mjs --check` accepts, from the build', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-config-docs.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('every key of the configuration, the parsers\' options included, has a description in its schema', () => {
    expect(undescribedKeys()).toEqual([]);
  });

  it('lists every output type of the union with its keys, and sizes and durations in their units with bounds and defaults', () => {
    const sections = configSections();
    const titles = sections.map((s) => s.title);
    expect(titles).toEqual(expect.arrayContaining(['Top level', 'Inputs', 'Parser `regex`', 'Buffer', 'Server', 'Output `file`', 'Output `stdout`', 'Output `elasticsearch`']));
    const key = (title: string, keyPath: string) => sections.find((s) => s.title === title)!.keys.find((k) => k.path === keyPath);
    expect(key('Buffer', 'buffer.max_size')).toMatchObject({ type: 'size (1MiB – 16TiB)', default: '`1GiB`', required: false });
    expect(key('Output `elasticsearch`', 'outputs[].batch.max_bytes')).toMatchObject({ type: 'size (1KiB – 100MiB)', default: '`5MiB`' });
    expect(key('Output `elasticsearch`', 'outputs[].batch.timeout')).toMatchObject({ type: 'duration (0ms – 1h)', default: '`300ms`' });
    expect(key('Output `elasticsearch`', 'outputs[].api_version')).toMatchObject({ type: '`auto`, `7`, `8` or `9`', default: '`auto`' });
    expect(key('Output `elasticsearch`', 'outputs[].concurrency')).toMatchObject({ type: 'integer (1 – 64)', default: '`2`' });
    expect(key('Output `file`', 'outputs[].path')).toMatchObject({ type: 'string', default: undefined, required: true });
    expect(key('Output `stdout`', 'outputs[].buffer.when_full')).toMatchObject({ type: '`block` or `drop_newest`', required: false });
    expect(key('Inputs', 'inputs[].parser')).toMatchObject({ type: 'string, mapping or list of (string or mapping)', default: '`plain`' });
    expect(key('Inputs', 'inputs[].multiline.max_lines')).toMatchObject({ type: 'integer (≥ 1)', default: undefined, required: false });
    expect(key('Parser `key_value`', 'inputs[].parser.options.field_split')).toMatchObject({ default: '`" "`' });
  });
});

describe('the generator', () => {
  const withOutputs = (...outputs: [z.ZodObject, ...z.ZodObject[]]) => ({
    root: z.strictObject({ outputs: z.array(z.discriminatedUnion('type', outputs)).min(1).describe('Where events go.') }),
    parsers: [],
  });

  it('gives a new output type of the union its own section, with no list to update', () => {
    const page = renderConfigReference(
      withOutputs(
        z.strictObject({
          type: z.literal('s3').describe('S3 objects.'),
          bucket: z.string().describe('The bucket.'),
          part: z.strictObject({ max_age: duration({ min: 1000, max: 3_600_000 }).default(60_000).describe('Part age.') }).prefault({}).describe('Parts.'),
          ratio: z.number().positive().max(1).optional().describe('A ratio.'),
          retries: z.number().int().positive().lt(10).default(3).describe('Retries.'),
        }),
      ),
    );
    expect(page).toContain('## Output `s3`');
    expect(page).toContain('| `outputs[].bucket` | string | **required** | The bucket. |');
    expect(page).toContain('| `outputs[].part.max_age` | duration (1s – 1h) | `1m` | Part age. |');
    expect(page).toContain('| `outputs[].ratio` | number (> 0, ≤ 1) | — | A ratio. |');
    expect(page).toContain('| `outputs[].retries` | integer (1 – 9) | `3` | Retries. |');
  });

  it('refuses, naming each, keys without a description', () => {
    const source = withOutputs(z.strictObject({ type: z.literal('s3').describe('S3 objects.'), bucket: z.string(), limits: z.strictObject({ max_bytes: size({ min: 1, max: 2 }) }).describe('Limits.') }));
    expect(undescribedKeys(source)).toEqual(['outputs[].bucket (Output `s3`)', 'outputs[].limits.max_bytes (Output `s3`)']);
    expect(() => renderConfigReference(source)).toThrow(/keys without a description[\s\S]*outputs\[\]\.bucket[\s\S]*outputs\[\]\.limits\.max_bytes/);
  });

  it('escapes a `|` in a description, which would end its table cell', () => {
    const page = renderConfigReference(withOutputs(z.strictObject({ type: z.literal('x').describe('a | b') })));
    expect(page).toContain('| `outputs[].type` | `x` | **required** | a \\| b |');
  });
});
