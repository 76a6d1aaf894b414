#!/usr/bin/env node
// What a name template costs per record (src/output/name-template.ts): events of the shared bench's json corpus, as
// `logship parse` encodes them plus the fields the agent adds, routed by
//   time     `dt=%Y-%m-%d/hour=%H/` (the time alone; strftime's cache),
//   field    `{service.name}/dt=%Y-%m-%d/hour=%H/` (one field read from the record bytes),
//   fields2  `{kubernetes.namespace}/{service.name}/…` (two fields; the namespace is added last, as the agent does),
//   parse    the same two values through JSON.parse of each record (what the byte scan replaces).
// Prints the median ns per record of 7 rounds. Needs `npm run build`.
//   node bench/name-template.mjs [--corpus /tmp/bench-data/json-1000000.log] [--events 200000]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { corpus: { type: 'string', default: '/tmp/bench-data/json-1000000.log' }, events: { type: 'string', default: '200000' } } });
const { compileNameTemplate } = await import(path.join(here, '../dist/src/output/name-template.js'));
const { recordsFromJson } = await import(path.join(here, '../dist/src/output/record-batch.js'));

const n = Number(values.events);
const lines = readFileSync(values.corpus, 'utf8').split('\n', n).join('\n');
const parsed = execFileSync(process.execPath, [path.join(here, '../dist/cli.js'), 'parse', '--format', 'json'], { input: lines, maxBuffer: 1 << 30 }).toString('utf8').split('\n').filter((l) => l !== '');
// What the encoder adds after the parsed fields: log.file, event.id, host.name and an input's static fields.
const jsons = parsed.map((l, i) => {
  const e = JSON.parse(l);
  e.log.file = { path: '/var/log/app/app.log' };
  e.event = { id: `0123456789abcdef${String(i).padStart(12, '0')}` };
  e.host = { name: 'node-1' };
  e.kubernetes = { namespace: ['payments', 'search', 'default'][i % 3] };
  return JSON.stringify(e);
});
const times = Float64Array.from(jsons, (j) => Date.parse(JSON.parse(j)['@timestamp']));
const batches = [];
for (let i = 0; i < jsons.length; i += 10_000) batches.push(recordsFromJson(jsons.slice(i, i + 10_000), Array.from(times.subarray(i, i + 10_000)), jsons.slice(i, i + 10_000).map(() => '')));

const opts = { kind: 'object-key', output: 'archive', inputs: ['app'] };
const cases = {
  time: compileNameTemplate('dt=%Y-%m-%d/hour=%H/', opts),
  field: compileNameTemplate('{service.name}/dt=%Y-%m-%d/hour=%H/', opts),
  fields2: compileNameTemplate('{kubernetes.namespace}/{service.name}/dt=%Y-%m-%d/hour=%H/', opts),
};
const byParse = (batch, i) => {
  const e = JSON.parse(batch.data.toString('utf8', i === 0 ? 0 : batch.ends[i - 1], batch.ends[i] - 1));
  return `${e.kubernetes?.namespace ?? 'unknown'}/${e.service?.name ?? 'unknown'}/`;
};

function round(render) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (const b of batches) for (let i = 0; i < b.count; i++) sink += render(b, i).length;
  const ns = Number(process.hrtime.bigint() - t0) / jsons.length;
  if (sink === 0) throw new Error('nothing rendered');
  return ns;
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const result = { events: jsons.length, bytesPerRecord: Math.round(batches.reduce((s, b) => s + b.data.length, 0) / jsons.length) };
for (const [name, t] of Object.entries(cases)) result[`${name}_ns`] = Number(median(Array.from({ length: 7 }, () => round((b, i) => t.render(b.times[i], b, i)))).toFixed(1));
result.parse_ns = Number(median(Array.from({ length: 7 }, () => round(byParse))).toFixed(1));
console.log(JSON.stringify(result));
