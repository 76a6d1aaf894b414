// `logship run` replaying a large disk-buffer backlog into the file output
// (issue 4): time to the first output byte, time to drain, peak RSS of the
// logship process (/proc, every 200 ms). The backlog is the one
// `node bench/buffer.mjs backlog --gib 2` leaves in /tmp/logship-bench/buf-backlog.
//
//   node bench/replay.mjs [--backlog /tmp/logship-bench/buf-backlog]
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { backlog: { type: 'string', default: '/tmp/logship-bench/buf-backlog' } } });
const root = '/tmp/logship-bench/replay';
rmSync(root, { recursive: true, force: true });
mkdirSync(join(root, 'logs'), { recursive: true });
mkdirSync(join(root, 'out'));
writeFileSync(join(root, 'logs', 'empty.log'), '');
const bufDir = join(root, 'state', 'buffers', 'file-0');
cpSync(values.backlog, bufDir, { recursive: true, filter: (src) => !src.includes('.filled-') });
const backlog = readdirSync(bufDir).filter((n) => n.startsWith('seg-')).reduce((n, f) => n + statSync(join(bufDir, f)).size, 0);
writeFileSync(
  join(root, 'logship.yaml'),
  `inputs:\n  - paths: ["${root}/logs/*.log"]\nbuffer: { path: ${root}/state }\noutputs:\n  - type: file\n    path: ${root}/out\n    object: { max_bytes: 1GiB }\n`,
);

const t0 = Date.now();
const child = spawn(process.execPath, [resolve(import.meta.dirname, '../dist/cli.js'), 'run', '--config', join(root, 'logship.yaml')], { stdio: 'ignore' });
let peak = 0;
let first;
let lastOut = 0;
let lastGrowth = t0;
for (;;) {
  await new Promise((r) => setTimeout(r, 200));
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  peak = Math.max(peak, Number(rss?.[1] ?? 0) / 1024);
  const out = readdirSync(join(root, 'out'), { recursive: true }).reduce((n, f) => n + statSync(join(root, 'out', f)).size, 0);
  first ??= out > 0 ? Date.now() - t0 : undefined;
  const segments = readdirSync(bufDir).filter((n) => n.startsWith('seg-')).length;
  if (out > lastOut) [lastOut, lastGrowth] = [out, Date.now()];
  // Drained: one (active) segment left, the output holds most of what the backlog held (frames carry
  // 25 bytes plus the event id per record), and it has stopped growing for a second.
  if (segments <= 1 && out > backlog * 0.75 && Date.now() - lastGrowth > 1000) break;
  if (Date.now() - t0 > 600_000) throw new Error('not drained in 10 minutes');
}
const drain = (lastGrowth - t0) / 1000;
child.kill('SIGTERM');
console.log(`replay backlog_GiB=${(backlog / 1024 ** 3).toFixed(2)} first_output_ms=${first} drained_s=${drain.toFixed(1)} MiB_per_s=${(backlog / 2 ** 20 / drain).toFixed(0)} peak_rss_MiB=${peak.toFixed(0)}`);
