#!/usr/bin/env node
// The S3 output end to end: `logship run` ships the shared bench's json corpus to s3rver on 127.0.0.1.
//
//   node bench/s3.mjs throughput [--events 200000] [--reps 3]
//     events/s and MiB/s (corpus bytes) from logship's start until every event is uploaded and acknowledged
//     (the buffer holds nothing), gzip and 64 MiB objects but `object.max_age: 5s` (with the default 5 min the
//     last object would wait out its age); bytes stored per input byte; every event checked in the bucket once.
//   node bench/s3.mjs rss [--events 300000]
//     peak RSS (VmHWM) of logship until its first 64 MiB object (compression none, 8 MiB parts) is uploaded.
//   node bench/s3.mjs paced [--seconds 360] [--rate 1000]
//     objects per minute with the defaults at `rate` events/s appended live to a file.
//
// Needs `npm run build`. Prints one JSON line per run and the medians. The corpus is
// ../shared/bench's (`node ../shared/bench/gen.mjs`), default /tmp/bench-data/json-1000000.log.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    corpus: { type: 'string', default: '/tmp/bench-data/json-1000000.log' },
    events: { type: 'string' },
    reps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '360' },
    rate: { type: 'string', default: '1000' },
    port: { type: 'string', default: '19411' },
  },
});
const mode = positionals[0] ?? 'throughput';
const KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startS3rver(dir) {
  const S3rver = require('s3rver');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(dir, 's3rver'), configureBuckets: [{ name: 'bench' }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: KEYS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return { endpoint, client, close: async () => (client.destroy(), server.close()) };
}

async function objects(client) {
  const out = [];
  let token;
  for (let page = 0; page < 1000; page++) {
    const r = await client.send(new ListObjectsV2Command({ Bucket: 'bench', ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.push({ key: o.Key, size: o.Size });
    if (!r.IsTruncated) break;
    token = r.NextContinuationToken;
  }
  return out;
}

async function body(client, key) {
  const r = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: key }));
  return Buffer.from(await r.Body.transformToByteArray());
}

/** The first `n` lines of the corpus in a file of their own. */
async function corpusSlice(dir, n) {
  const file = path.join(dir, 'corpus.log');
  const out = createWriteStream(file);
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(values.corpus) })) {
    if (!out.write(`${line}\n`)) await new Promise((r) => out.once('drain', r));
    if (++count === n) break;
  }
  await new Promise((r) => out.end(r));
  if (count < n) throw new Error(`the corpus has ${count} lines, fewer than ${n}`);
  return file;
}

function runLogship(dir, endpoint, file, output) {
  writeFileSync(path.join(dir, 'id'), KEYS.accessKeyId);
  writeFileSync(path.join(dir, 'secret'), KEYS.secretAccessKey);
  const config = path.join(dir, 'logship.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      inputs: [{ name: 'bench', paths: [file], parser: 'json', start_at: 'beginning' }],
      outputs: [{ type: 's3', name: 's3', bucket: 'bench', endpoint, region: 'us-east-1', force_path_style: true, credentials: { access_key_id_file: path.join(dir, 'id'), secret_access_key_file: path.join(dir, 'secret') }, prefix: 'bench/dt=%Y-%m-%d/hour=%H/', ...output }],
      buffer: { path: path.join(dir, 'state'), max_size: '2GiB' },
      server: { listen: `127.0.0.1:${values.port}` },
      shutdown: { timeout: '2s' },
      log: { level: 'warn' },
    }),
  );
  const proc = spawn(process.execPath, [path.join(here, '../dist/cli.js'), 'run', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => proc.once('exit', r));
  return { proc, exited };
}

async function metric(name) {
  try {
    const text = await (await fetch(`http://127.0.0.1:${values.port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  } catch {
    return 0;
  }
}

/** Peak RSS so far (VmHWM), MiB. */
function peakRss(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}

/** Ships `events` lines; done when all are acknowledged (`acked`), or when the first object is uploaded (`firstObject`). */
async function shipAll(events, output, until = 'acked') {
  const dir = mkdtempSync(path.join(tmpdir(), 'logship-bench-s3-'));
  const s3 = await startS3rver(dir);
  try {
    const file = await corpusSlice(dir, events);
    const inputBytes = statSync(file).size;
    const t0 = performance.now();
    const { proc, exited } = runLogship(dir, s3.endpoint, file, output);
    const done =
      until === 'acked'
        ? async () => (await metric('logship_input_events_total')) >= events && (await metric('logship_buffer_pending_events{output="s3"}')) === 0
        : async () => (await metric('logship_output_objects_uploaded_total{output="s3"}')) >= 1;
    let peak = 0;
    // Bounded: 30 minutes of polling at most.
    for (let i = 0; !(await done()); i++) {
      if (i > 6000 || proc.exitCode !== null) throw new Error('logship did not deliver the corpus');
      peak = Math.max(peak, peakRss(proc.pid));
      await sleep(200);
    }
    const seconds = (performance.now() - t0) / 1000;
    peak = Math.max(peak, peakRss(proc.pid));
    proc.kill('SIGTERM');
    await exited;
    const list = await objects(s3.client);
    const stored = list.reduce((n, o) => n + o.size, 0);
    let lines = 0;
    const ids = new Set();
    for (const o of list) {
      const b = await body(s3.client, o.key);
      for (const l of (o.key.endsWith('.gz') ? gunzipSync(b) : b).toString('utf8').split('\n')) {
        if (l === '') continue;
        lines++;
        ids.add(JSON.parse(l).event.id);
      }
    }
    if (until === 'acked' && (lines !== events || ids.size !== events)) throw new Error(`${lines} lines, ${ids.size} distinct events in the bucket, expected ${events}`);
    return { events, seconds: +seconds.toFixed(2), events_per_s: Math.round(events / seconds), mib_per_s: +(inputBytes / MiB / seconds).toFixed(1), objects: list.length, object_mib: list.map((o) => +(o.size / MiB).toFixed(1)), stored_per_input_byte: +(stored / inputBytes).toFixed(4), peak_rss_mib: Math.round(peak) };
  } finally {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (mode === 'throughput') {
  const events = Number(values.events ?? 200000);
  const runs = [];
  for (let r = 0; r < Number(values.reps); r++) {
    runs.push(await shipAll(events, { object: { max_age: '5s' } }));
    console.log(JSON.stringify(runs.at(-1)));
  }
  console.log(JSON.stringify({ median: { events_per_s: median(runs.map((r) => r.events_per_s)), mib_per_s: median(runs.map((r) => r.mib_per_s)), stored_per_input_byte: median(runs.map((r) => r.stored_per_input_byte)) } }));
} else if (mode === 'rss') {
  const events = Number(values.events ?? 300000);
  const run = await shipAll(events, { compression: 'none', part_size: '8MiB', object: { max_bytes: '64MiB' } }, 'firstObject');
  if (!run.object_mib.some((m) => m >= 64)) throw new Error(`no object reached 64 MiB: ${run.object_mib}`);
  console.log(JSON.stringify(run));
} else if (mode === 'paced') {
  const dir = mkdtempSync(path.join(tmpdir(), 'logship-bench-s3-'));
  const s3 = await startS3rver(dir);
  const source = readFileSync(values.corpus, 'utf8').split('\n', 100_000);
  const file = path.join(dir, 'live.log');
  writeFileSync(file, '');
  const { proc, exited } = runLogship(dir, s3.endpoint, file, {});
  const rate = Number(values.rate);
  const t0 = performance.now();
  const out = createWriteStream(file, { flags: 'a' });
  let written = 0;
  // Appends `rate` events per second, in 10 steps a second, for `seconds`.
  while (performance.now() - t0 < Number(values.seconds) * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    let chunk = '';
    for (; written < due; written++) chunk += `${source[written % source.length]}\n`;
    if (chunk) out.write(chunk);
    await sleep(100);
  }
  const minutes = (performance.now() - t0) / 60_000;
  const uploaded = await objects(s3.client);
  proc.kill('SIGTERM');
  await exited;
  out.end();
  console.log(JSON.stringify({ rate, minutes: +minutes.toFixed(2), events: written, objects_uploaded_while_running: uploaded.length, objects_per_minute: +(uploaded.length / minutes).toFixed(2), object_kib: uploaded.map((o) => Math.round(o.size / 1024)) }));
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
} else {
  throw new Error(`unknown mode ${mode}: throughput, rss or paced`);
}
