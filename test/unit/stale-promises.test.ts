// Issue 14: no comment or doc may promise, as still to come, something that
// already exists ("Elasticsearch comes later", "S3 is the next issue", "(later
// the disk buffers)"). The repo is grepped for the phrasings such promises
// take; a phrasing that can be true until a feature lands is checked only once
// the file that proves the feature exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SELF = 'test/unit/stale-promises.test.ts';

/** Phrasings of "this comes later": a feature that exists makes them stale, and one that does not is not promised. */
const PROMISES: readonly RegExp[] = [
  /\bcomes? later\b/i,
  /\bnext issue\b/i,
  /\b(?:come|comes|arrive|arrives) with (?:the|their|its) [^.\n]{0,40}?\bissues?\b/i,
  /\((?:later|for now)\b(?! than)/i,
  /\bexists? so far\b|\bthe only \w+ so far\b/i,
  /\bwhen they exist\b|\buntil the [\w/]+ outputs? exists?\b/i,
  /\b(?:outputs?|parsers?|S3|Elasticsearch) will (?:get|use|come|arrive)\b/i,
];

/** Phrasings true until a feature lands: stale once `exists` is in the repo. */
const UNTIL: readonly { pattern: RegExp; exists: string }[] = [
  { pattern: /\breload is not supported yet\b|\bbefore reload exists\b/i, exists: 'docs/reload.md' },
  { pattern: /\bno (?:S3|s3) output\b|\bS3 output (?:is )?not (?:yet )?(?:built|available)\b/i, exists: 'outputs/s3/definition.ts' },
];

/** Text files of the repository (as git tracks them), without fixtures (real logs, quoted as they are). */
function trackedTextFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\0')
    .filter((f) => f !== '' && f !== SELF && !f.startsWith('fixtures/') && /(\.(md|ts|mjs|cjs|js|json|ya?ml|sh)|Dockerfile[^/]*)$/.test(f) && existsSync(path.join(ROOT, f)));
}

/** Comment markers and indentation at the start of a line, so a sentence wrapped over comment lines reads as one. */
const LINE_LEAD = /^\s*(?:(?:#|\/\/|\/\*\*?|\*|-|>|\|)\s*)*/;

/** The text of a file as one line (each line without its comment markers), and where each line starts in it. */
function joined(text: string): { flat: string; starts: number[] } {
  const starts: number[] = [];
  let flat = '';
  for (const line of text.split('\n')) {
    starts.push(flat.length);
    flat += `${line.replace(LINE_LEAD, '')} `;
  }
  return { flat, starts };
}

/** `file:line: match` for each place a pattern matches, sentences wrapped over lines included. */
function findings(files: readonly string[], patterns: readonly RegExp[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const { flat, starts } = joined(readFileSync(path.join(ROOT, file), 'utf8'));
    for (const pattern of patterns) {
      for (const m of flat.matchAll(new RegExp(pattern.source, `${pattern.flags}g`))) {
        const line = starts.findLastIndex((start) => start <= m.index) + 1;
        found.push(`${file}:${line}: …${flat.slice(Math.max(0, m.index - 40), m.index + m[0].length + 20).trim()}…`);
      }
    }
  }
  return found;
}

/** Whether a pattern matches a snippet written as the lines of a file. */
const matchesText = (pattern: RegExp, text: string) => pattern.test(joined(text).flat);

describe('stale promises', () => {
  const files = trackedTextFiles();

  it('the scan covers the docs, the deploy files and the sources', () => {
    for (const f of ['README.md', 'docs/operations.md', 'deploy/README.md', 'deploy/kubernetes/configmap.yaml', 'deploy/compose/docker-compose.yaml', 'src/cli/run.ts']) expect(files, f).toContain(f);
  });

  it('no comment or doc says a thing comes later', () => {
    expect(findings(files, PROMISES), 'a promise of something to come: say what exists, or what is not promised').toEqual([]);
  });

  it('no comment or doc says a feature is missing once it exists', () => {
    const landed = UNTIL.filter((u) => existsSync(path.join(ROOT, u.exists)));
    expect(findings(files, landed.map((u) => u.pattern))).toEqual([]);
  });

  it('the patterns catch the promises this repository used to make', () => {
    const old = [
      '# Elasticsearch and MinIO services (and outputs for them) come with the\n# elasticsearch and s3 output issues.',
      'NDJSON files (the same object layout S3 will get) and to stdout; S3 is the\nnext issue.',
      'Only the `file` and `stdout` outputs and the `plain` parser exist so far. The',
      '      path: /var/lib/logship               # state: checkpoints (later: the disk buffers)',
      '          # Static enrichment for now; automatic kubernetes.* metadata comes later.',
      '    parser: plain                # the only parser so far; json, logfmt, … come with the parsers issue',
      '        # buffers) and, until the elasticsearch/s3 outputs exist, the file',
      'Compose demo) arrive with their issues.',
    ];
    for (const text of old) expect(PROMISES.some((p) => matchesText(p, text)), text).toBe(true);
    // …and leave alone what only sounds like one.
    for (const line of ['Records not yet acknowledged', 'Resolves once every task given so far has settled', 'Tested so far against the ES-compatible test server', 'the next issued id', 'a second Ctrl-C (later than that) still stops it'])
      expect(PROMISES.filter((p) => matchesText(p, line)), line).toEqual([]);
  });
});
