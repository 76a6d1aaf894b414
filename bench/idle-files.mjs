#!/usr/bin/env node
// Idle cost of many tailed files (issue 9, item 12).
//
// For each N: writes N tiny files (one line each), starts `node DIST/cli.js run`
// with the file output, measures the time until every line is in the output
// (time to ship), then, idle, the process's CPU over a window (utime + stime
// from /proc/PID/stat, all threads), its open fds (/proc/PID/fd) and RSS.
// Then it writes N more files into the running process and measures how long
// those take to ship (files that appear while idle).
//
//   node bench/idle-files.mjs [--files 300,1000,3000] [--window 20] [--dist dist] [--runs 1] [--set key=value ...]
//
// `--dist` picks the build to measure (e.g. a build of an older commit);
// `--set` adds input options (`--set max_open_files=256`).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '300,1000,3000' },
    window: { type: 'string', default: '20' },
    dist: { type: 'string', default: 'dist' },
    runs: { type: 'string', default: '1' },
    set: { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string', default: '180' },
  },
});
const counts = values.files.split(',').map(Number);
const windowS = Number(values.window);
const cli = path.resolve(values.dist, 'cli.js');
const extra = Object.fromEntries(values.set.map((kv) => kv.split('=')).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v]));
const timeoutMs = Number(values.timeout) * 1000;
const TICKS = 100; // USER_HZ on Linux
const PAGE = 4096;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuTicks(pid) {
  // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

function rssMiB(pid) {
  const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return (pages * PAGE) / 1024 ** 2;
}

function fds(pid, logs) {
  let total = 0;
  let logFds = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    total++;
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(logs)) logFds++;
    } catch {
      // closed meanwhile
    }
  }
  return { total, logFds };
}

function shipped(out) {
  let n = 0;
  for (const name of readdirSync(out)) {
    const buf = readFileSync(path.join(out, name));
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  }
  return n;
}

async function waitShipped(out, want, proc, since) {
  while (shipped(out) < want) {
    if (proc.exitCode !== null) throw new Error(`logship exited (${proc.exitCode}): ${proc.stderrTail}`);
    // Reported as "> timeout" rather than aborting the table.
    if (Date.now() - since > timeoutMs) return Number.POSITIVE_INFINITY;
    await sleep(50);
  }
  return (Date.now() - since) / 1000;
}

function writeFiles(logs, from, n) {
  for (let i = from; i < from + n; i++) writeFileSync(path.join(logs, `f${String(i).padStart(5, '0')}.log`), `{"msg":"line of file ${i}"}\n`);
}

async function runOnce(n) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'logship-idle-'));
  const logs = path.join(root, 'logs');
  const out = path.join(root, 'out');
  for (const d of [logs, out]) mkdirSync(d);
  const input = { name: 'idle', paths: [path.join(logs, '*.log')], ...extra };
  const config = {
    inputs: [input],
    buffer: { path: path.join(root, 'state') },
    outputs: [{ type: 'file', path: out, prefix: '' }],
    log: { level: 'warn' },
  };
  writeFileSync(path.join(root, 'logship.json'), JSON.stringify(config));
  writeFiles(logs, 0, n);
  const start = Date.now();
  const proc = spawn(process.execPath, [cli, 'run', '--config', path.join(root, 'logship.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderrTail = '';
  proc.stderr.setEncoding('utf8').on('data', (s) => (proc.stderrTail = (proc.stderrTail + s).slice(-2000)));
  try {
    const shipS = await waitShipped(out, n, proc, start);
    // Let the start-up work (checkpoint writes, GC) settle before the idle window.
    await sleep(3000);
    const t0 = cpuTicks(proc.pid);
    const w0 = Date.now();
    await sleep(windowS * 1000);
    const idleCpu = (cpuTicks(proc.pid) - t0) / TICKS / ((Date.now() - w0) / 1000);
    const { total, logFds } = fds(proc.pid, logs);
    const rss = rssMiB(proc.pid);
    // Files that appear while logship is idle.
    const lateStart = Date.now();
    writeFiles(logs, n, n);
    const lateS = await waitShipped(out, 2 * n, proc, lateStart);
    return { n, shipS, idleCpu, total, logFds, rss, lateS };
  } finally {
    proc.kill('SIGKILL');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    rmSync(root, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`node ${process.version}, ${os.cpus().length} cpus, loadavg ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, cli ${cli}, options ${JSON.stringify(extra)}, idle window ${windowS} s`);
console.log('| files | time to ship (s) | idle CPU (% of a core) | fds (log files) | RSS (MiB) | N new files while idle shipped in (s) |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const n of counts) {
  const runs = [];
  for (let r = 0; r < Number(values.runs); r++) runs.push(await runOnce(n));
  const m = (k) => median(runs.map((x) => x[k]));
  const spread = (k, f) => (runs.length > 1 ? ` (${f(Math.min(...runs.map((x) => x[k])))}–${f(Math.max(...runs.map((x) => x[k])))})` : '');
  const s1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : `> ${values.timeout}`);
  const pct = (x) => (100 * x).toFixed(1);
  console.log(`| ${n} | ${s1(m('shipS'))}${spread('shipS', s1)} | ${pct(m('idleCpu'))}${spread('idleCpu', pct)} | ${m('total')} (${m('logFds')}) | ${m('rss').toFixed(0)} | ${s1(m('lateS'))}${spread('lateS', s1)} |`);
}
