// Issue 14: the metrics reference in docs/operations.md is generated from the
// one list of metrics (src/server/metrics.ts) by `npm run docs`; these fail
// when the page drifts from that list.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../src/server/metrics.js';
import { METRICS_DOC_BEGIN, METRICS_DOC_END, renderMetricsReference, replaceMetricsRegion } from '../../src/server/metrics-doc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = path.join(ROOT, 'docs/operations.md');
const page = () => readFileSync(DOC, 'utf8');

describe('docs/operations.md metrics reference', () => {
  it('equals what the list of metrics generates (run `npm run docs` after changing src/server/metrics.ts)', () => {
    expect(page(), 'docs/operations.md is stale: run `npm run docs`').toBe(replaceMetricsRegion(page()));
  });

  it('names every metric of the list once, with its type and labels', () => {
    const region = page().slice(page().indexOf(METRICS_DOC_BEGIN), page().indexOf(METRICS_DOC_END));
    for (const def of METRICS) {
      const rows = region.split('\n').filter((line) => line.startsWith(`| \`${def.name}\` |`));
      expect(rows, def.name).toHaveLength(1);
      expect(rows[0]).toContain(`| ${def.type} |`);
      for (const label of def.labelNames) expect(rows[0], `${def.name} label ${label}`).toContain(`\`${label}\``);
    }
  });

  it('is what `gen-metrics-docs.mjs --check` accepts, from the build', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-metrics-docs.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the metrics reference generator', () => {
  it('a metric added to the list makes the page stale', () => {
    const added = [...METRICS, { name: 'logship_config_reloads_total', type: 'counter' as const, help: 'Reloads by result.', labelNames: ['result'], read: () => [] }];
    const region = renderMetricsReference(added);
    expect(region).toContain('| `logship_config_reloads_total` | counter | `result` | Reloads by result. |');
    expect(replaceMetricsRegion(page(), region)).not.toBe(page());
  });

  it('escapes a `|` in a help text, and marks a metric without labels', () => {
    const region = renderMetricsReference([{ name: 'logship_x_total', type: 'counter', help: 'a | b', labelNames: [], read: () => [] }]);
    expect(region).toContain('| `logship_x_total` | counter | — | a \\| b |');
  });

  it('refuses a page without the markers, saying which lines it needs', () => {
    expect(() => replaceMetricsRegion('# Operating logship\n')).toThrow(/metrics region is missing[\s\S]*<!-- \/metrics -->/);
  });
});
