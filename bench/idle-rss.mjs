#!/usr/bin/env node
// Where idle memory goes: the RSS of a fresh process after loading an HTTP
// client for the ES output, and after one `_bulk` through it, to the shared
// bench's fake ES sink on 127.0.0.1. Medians over --runs process starts.
//
//   node bench/idle-rss.mjs [--runs 5] [--node /path/to/node] [--variants bare,node-http,...]
//                           [--env LOGSHIP_MEMORY_LIMIT=128Mi] [--dist /other/build/dist]
// --env (repeatable) is set for every child; --dist runs `logship` and `thin`
// from another build, for A/B runs of two builds with the same command.
//
// Variants (each in its own process):
//   bare       nothing loaded (the floor)
//   node-http  node:http, one request
//   fetch      global fetch (Node's bundled undici)
//   transport  @elastic/transport alone (UndiciConnection, WeightedConnectionPool)
//   official   @elastic/elasticsearch Client, request as the output sent it
//   thin       logship's own client (dist/outputs/elasticsearch/http-client.js; `npm run build` first)
//   logship    `logship run` with one ES output: idle = 2 s after "elasticsearch output ready",
//              bulk = 2 s after the sink holds the 1,000 lines appended to its input
// RSS is read 2 s after each step (a settle time: this is a benchmark, not a test).
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const SETTLE_MS = 2000;
const DOCS = 1000;
const VARIANTS = ['bare', 'node-http', 'fetch', 'transport', 'official', 'thin', 'logship'];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    node: { type: 'string', default: process.execPath },
    variants: { type: 'string', default: VARIANTS.join(',') },
    port: { type: 'string', default: '19311' },
    env: { type: 'string', multiple: true, default: [] },
    dist: { type: 'string', default: path.join(here, '../dist') },
    child: { type: 'string' },
    url: { type: 'string' },
  },
});

const childEnv = { ...process.env };
for (const kv of values.env) {
  const i = kv.indexOf('=');
  childEnv[kv.slice(0, i)] = kv.slice(i + 1);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = (bytes) => Math.round((bytes / 1048576) * 10) / 10;

/** One bulk body of DOCS small documents, as the output builds it (create + _id). */
function bulkBody() {
  let s = '';
  for (let i = 0; i < DOCS; i++) s += `{"create":{"_index":"rss","_id":"id-${i}"}}\n{"@timestamp":"2024-01-01T00:00:00Z","message":"line ${i} of the idle-rss bench"}\n`;
  return Buffer.from(s);
}

if (values.child) await child(values.child, values.url);
else await main();

async function child(variant, url) {
  const headers = { 'content-type': 'application/x-ndjson', accept: 'application/json' };
  let bulk;
  if (variant === 'bare') bulk = async () => {};
  else if (variant === 'node-http') {
    const http = await import('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    bulk = (body) =>
      new Promise((resolve, reject) => {
        const req = http.request(`${url}/_bulk`, { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(body);
      });
  } else if (variant === 'fetch') {
    bulk = async (body) => void (await (await fetch(`${url}/_bulk`, { method: 'POST', headers, body })).arrayBuffer());
  } else if (variant === 'transport') {
    const { Transport, WeightedConnectionPool, UndiciConnection } = await import('@elastic/transport');
    const connectionPool = new WeightedConnectionPool({ Connection: UndiciConnection });
    connectionPool.addConnection(url);
    const transport = new Transport({ connectionPool, maxRetries: 0 });
    bulk = (body) => transport.request({ method: 'POST', path: '/_bulk', bulkBody: body }, { headers });
  } else if (variant === 'official') {
    const { Client } = await import('@elastic/elasticsearch');
    const client = new Client({ node: url, maxRetries: 0 });
    bulk = (body) => client.transport.request({ method: 'POST', path: '/_bulk', bulkBody: body }, { headers });
  } else if (variant === 'thin') {
    const { EsHttpClient } = await import(path.join(values.dist, 'outputs/elasticsearch/http-client.js'));
    const client = new EsHttpClient({ hosts: [url], timeoutMs: 30_000, compression: false });
    bulk = (body) => client.request({ method: 'POST', path: '/_bulk', body, headers });
  } else throw new Error(`unknown variant ${variant}`);
  await sleep(SETTLE_MS);
  const load = process.memoryUsage().rss;
  await bulk(bulkBody());
  await sleep(SETTLE_MS);
  process.stdout.write(JSON.stringify({ load, bulk: process.memoryUsage().rss }) + '\n');
  process.exit(0);
}

function vmRss(pid) {
  // A read of /proc from the parent: logship's own numbers are not asked for.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

async function sinkDocs(url) {
  return (await (await fetch(`${url}/__stats`)).json()).docs;
}

async function runLogship(url) {
  const dir = mkdtempSync(path.join(tmpdir(), 'logship-idle-rss-'));
  const input = path.join(dir, 'app.log');
  writeFileSync(input, '');
  const config = path.join(dir, 'logship.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      inputs: [{ paths: [input], parser: 'json', start_at: 'beginning' }],
      outputs: [{ type: 'elasticsearch', name: 'es', hosts: url, index: 'rss' }],
      buffer: { path: path.join(dir, 'state') },
      log: { level: 'info' },
    }),
  );
  const before = await sinkDocs(url);
  const proc = spawn(values.node, [path.join(values.dist, 'cli.js'), 'run', '--config', config], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // logship logs to stderr.
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  try {
    for (let i = 0; !out.includes('elasticsearch output ready'); i++) {
      if (i > 600 || proc.exitCode !== null) throw new Error(`logship did not get ready:\n${out}`);
      await sleep(100);
    }
    await sleep(SETTLE_MS);
    const load = vmRss(proc.pid);
    let lines = '';
    for (let i = 0; i < DOCS; i++) lines += `{"message":"line ${i} of the idle-rss bench","level":"info"}\n`;
    appendFileSync(input, lines);
    for (let i = 0; (await sinkDocs(url)) < before + DOCS; i++) {
      if (i > 1200 || proc.exitCode !== null) throw new Error('the sink did not get the lines');
      await sleep(100);
    }
    await sleep(SETTLE_MS);
    return { load, bulk: vmRss(proc.pid) };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(variant, url) {
  return new Promise((resolve, reject) => {
    const proc = spawn(values.node, [fileURLToPath(import.meta.url), '--child', variant, '--url', url, '--dist', values.dist], { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${variant} exited ${code}`))));
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main() {
  const url = `http://127.0.0.1:${values.port}`;
  const sink = spawn(process.execPath, [path.join(here, '../../shared/bench/sink.mjs'), '--port', values.port], { stdio: 'ignore' });
  try {
    for (let i = 0; ; i++) {
      try {
        await sinkDocs(url);
        break;
      } catch {
        if (i > 100) throw new Error('the sink did not start');
        await sleep(50);
      }
    }
    const version = await new Promise((resolve) => {
      const p = spawn(values.node, ['--version']);
      let v = '';
      p.stdout.on('data', (d) => (v += d));
      p.on('exit', () => resolve(v.trim()));
    });
    console.log(`node ${version}, ${values.runs} runs per variant, medians (MiB RSS)${values.env.length > 0 ? `, env ${values.env.join(' ')}` : ''}`);
    console.log('variant      after load   after one bulk');
    for (const variant of values.variants.split(',')) {
      if (variant === 'thin' && !existsSync(path.join(values.dist, 'outputs/elasticsearch/http-client.js'))) continue;
      const runs = [];
      for (let r = 0; r < Number(values.runs); r++) runs.push(variant === 'logship' ? await runLogship(url) : await runChild(variant, url));
      console.log(`${variant.padEnd(12)} ${String(MiB(median(runs.map((x) => x.load)))).padStart(10)} ${String(MiB(median(runs.map((x) => x.bulk)))).padStart(16)}`);
    }
  } finally {
    sink.kill('SIGTERM');
  }
}
