#!/usr/bin/env node
// One timed end-to-end run: the shared bench's fake ES sink on 127.0.0.1,
// `logship run` (with optional node flags) shipping the json corpus to it,
// done when the sink holds every event. Prints the seconds from logship's
// start to the last document and logship's peak RSS. For paired A/B runs, e.g.:
//   hyperfine -r 5 "node bench/es-e2e.mjs --node-flags=--max-semi-space-size=64" "node bench/es-e2e.mjs"
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { procStat, procStatus } from './lib/proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: '/tmp/bench-data/json-1000000.log' },
    events: { type: 'string', default: '1000000' },
    port: { type: 'string', default: '19301' },
    'node-flags': { type: 'string', default: '' },
    buffer: { type: 'string', default: 'disk' },
    workers: { type: 'string', default: 'auto' },
    'max-bytes': { type: 'string', default: '5MiB' },
    // Samples logship's /metrics every 250 ms (the peaks of its V8 heap and of its Buffers: external memory) and its anonymous and file-backed RSS every 50 ms.
    memory: { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const url = `http://127.0.0.1:${values.port}`;
const dir = mkdtempSync(path.join(tmpdir(), 'logship-es-e2e-'));
const config = path.join(dir, 'logship.yaml');
writeFileSync(
  config,
  JSON.stringify({
    inputs: [{ paths: [values.corpus], parser: 'json' }],
    outputs: [{ type: 'elasticsearch', name: 'es', hosts: url, index: 'bench', compression: 'none', batch: { max_bytes: values['max-bytes'], max_events: 16000 } }],
    buffer: { path: path.join(dir, 'state'), type: values.buffer },
    log: { level: 'warn' },
    pipeline: { workers: values.workers === 'auto' ? 'auto' : Number(values.workers) },
    ...(values.memory ? { server: { listen: `127.0.0.1:${Number(values.port) + 1}` } } : {}),
  }),
);

const sink = spawn(process.execPath, [path.join(here, '../../shared/bench/sink.mjs'), '--port', values.port], { stdio: 'ignore' });
const docs = async () => ((await (await fetch(`${url}/__stats`)).json()).docs);
for (let i = 0; ; i++) {
  try {
    await docs();
    break;
  } catch {
    if (i > 100) throw new Error('the sink did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}
const flags = values['node-flags'] ? values['node-flags'].split(' ') : [];
const t0 = performance.now();
const logship = spawn(process.execPath, [...flags, path.join(here, '../dist/cli.js'), 'run', '--config', config], { stdio: 'ignore' });
const peaks = { heapTotalMiB: 0, externalMiB: 0, anonMiB: 0, fileMiB: 0 };
// Anonymous memory (heaps, Buffers: what a memory limit is about) apart from file-backed pages (Node's binary, mapped).
const sampleRss = () => {
  const { anonMiB, fileMiB } = procStatus(logship.pid);
  peaks.anonMiB = Math.max(peaks.anonMiB, Math.round(anonMiB));
  peaks.fileMiB = Math.max(peaks.fileMiB, Math.round(fileMiB));
};
const sampleMemory = async () => {
  const text = await (await fetch(`http://127.0.0.1:${Number(values.port) + 1}/metrics`)).text();
  const metric = (name) => Number(new RegExp(`^logship_nodejs_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0) / 1024 ** 2;
  peaks.heapTotalMiB = Math.max(peaks.heapTotalMiB, Math.round(metric('heap_size_total_bytes')));
  peaks.externalMiB = Math.max(peaks.externalMiB, Math.round(metric('external_memory_bytes')));
};
for (let n = 0; (await docs()) < events; n++) {
  if (values.memory) sampleRss();
  if (values.memory && n % 5 === 0) await sampleMemory().catch(() => {});
  await new Promise((r) => setTimeout(r, 50));
}
const seconds = (performance.now() - t0) / 1000;
// The process's peak resident set (all threads), read before it is stopped.
const peakRssMiB = Math.round(procStatus(logship.pid).hwmMiB);
// Its CPU seconds, every thread.
const cpu = procStat(logship.pid);
const cpuSeconds = Number((cpu.user + cpu.sys).toFixed(2));
logship.kill('SIGTERM');
await new Promise((r) => logship.once('exit', r));
sink.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ events, seconds: Number(seconds.toFixed(3)), events_per_s: Math.round(events / seconds), cpuSeconds, peakRssMiB, ...(values.memory ? peaks : {}), nodeFlags: values['node-flags'] }));
