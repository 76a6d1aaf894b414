#!/usr/bin/env node
// Writes the examples of docs/parsers.md from the golden files, so the page
// shows what logship really outputs (a number stays a number).
//
// A region of the page
//   <!-- example: parsers/json 3 -->  …  <!-- /example -->
// is replaced by the input of the 3rd event of fixtures/parsers/json/expected.ndjson
// (the line at its log.offset in input.log; `lines=4` takes 4 lines from there;
// `event-only` leaves the input out) and the event, pretty-printed.
//
//   npm run docs:parsers            rewrite docs/parsers.md
//   node scripts/gen-parser-docs.mjs --check   exit 1 when the page is stale
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs/parsers.md');
const WIDTH = 100;
const REGION = /<!-- example: (\S+) (\d+)((?: [\w=-]+)*) -->\n[\s\S]*?<!-- \/example -->/g;

/** JSON on one line, with the spaces a reader expects (`{"a": 1, "b": [2]}`). */
function inline(value) {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')}}`;
  return JSON.stringify(value);
}

/** An object or array on one line when it fits in WIDTH at its indent, else one member per line. */
function pretty(value, indent, prefixLen, top) {
  const one = inline(value);
  if (!top && (value === null || typeof value !== 'object' || indent.length + prefixLen + one.length <= WIDTH)) return one;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + pretty(v, inner, 0, false)).join(',\n')}\n${indent}]`;
  const members = Object.entries(value).map(([k, v]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + pretty(v, inner, key.length, false);
  });
  return `{\n${members.join(',\n')}\n${indent}}`;
}

function example(fixture, n, flags) {
  const dir = path.join(ROOT, 'fixtures', fixture);
  const events = readFileSync(path.join(dir, 'expected.ndjson'), 'utf8').split('\n').filter((l) => l !== '');
  if (n < 1 || n > events.length) throw new Error(`${fixture}: no event ${n} (${events.length} events)`);
  const event = JSON.parse(events[n - 1]);
  const json = '```json\n' + pretty(event, '', 0, true) + '\n```';
  if (flags.includes('event-only')) return json;
  const lines = Number((flags.find((f) => f.startsWith('lines=')) ?? 'lines=1').slice(6));
  const input = readFileSync(path.join(dir, 'input.log')).subarray(event.log.offset).toString('utf8').split('\n').slice(0, lines).join('\n');
  return '```text\n' + input + '\n```\n\n' + json;
}

function render(doc) {
  return doc.replace(REGION, (_m, fixture, n, rest) => {
    const flags = rest.trim() === '' ? [] : rest.trim().split(' ');
    return `<!-- example: ${fixture} ${n}${rest} -->\n${example(fixture, Number(n), flags)}\n<!-- /example -->`;
  });
}

const doc = readFileSync(DOC, 'utf8');
const fresh = render(doc);
if (process.argv.includes('--check')) {
  if (fresh !== doc) {
    process.stderr.write('docs/parsers.md is stale: its examples differ from the golden files; run `npm run docs:parsers`\n');
    process.exit(1);
  }
} else if (fresh !== doc) {
  writeFileSync(DOC, fresh);
  process.stderr.write('docs/parsers.md: examples rewritten from the golden files\n');
}
