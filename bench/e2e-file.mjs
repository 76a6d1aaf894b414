// End to end through `logship run` (issue 4): a corpus read from its
// beginning, parsed, buffered and written by the `file` output, with the disk
// buffer or `buffer.type: memory`. Wall time is from the spawn to the moment
// the output holds every event; peak RSS is sampled from /proc every 100 ms.
//
//   node bench/e2e-file.mjs [--buffer disk|memory] [--corpus FILE] [--parser json] [--reps 3]
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    buffer: { type: 'string', default: 'disk' },
    corpus: { type: 'string', default: '/tmp/logship-bench/json-200000.log' },
    parser: { type: 'string', default: 'json' },
    reps: { type: 'string', default: '3' },
  },
});
const cli = resolve(import.meta.dirname, '../dist/cli.js');
const corpus = resolve(values.corpus);
const expected = readFileSync(corpus, 'utf8').split('\n').filter(Boolean).length;

/** Newlines in the output objects, reading only what was added since the last call. */
function lineCounter(dir) {
  const seen = new Map();
  let total = 0;
  return () => {
    for (const f of readdirSync(dir, { recursive: true })) {
      const p = join(dir, f);
      const size = statSync(p).size;
      const from = seen.get(p) ?? 0;
      if (size <= from) continue;
      const fd = openSync(p, 'r');
      const buf = Buffer.allocUnsafe(size - from);
      readSync(fd, buf, 0, buf.length, from);
      closeSync(fd);
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) total++;
      seen.set(p, size);
    }
    return total;
  };
}

function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const results = [];
for (let rep = 0; rep < Number(values.reps); rep++) {
  const root = `/tmp/logship-bench/e2e-${values.buffer}`;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'out'), { recursive: true });
  const cfg = join(root, 'logship.yaml');
  writeFileSync(
    cfg,
    `inputs:\n  - paths: ["${corpus}"]\n    parser: ${values.parser}\nbuffer: { path: ${root}/state, type: ${values.buffer} }\n` +
      `outputs:\n  - type: file\n    path: ${root}/out\n    object: { max_bytes: 1GiB }\n`,
  );
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [cli, 'run', '--config', cfg], { stdio: ['ignore', 'ignore', 'ignore'] });
  let peak = 0;
  let n = 0;
  const count = lineCounter(join(root, 'out'));
  while (n < expected) {
    await new Promise((r) => setTimeout(r, 100));
    peak = Math.max(peak, rssMiB(child.pid));
    n = count();
    if (Number(process.hrtime.bigint() - t0) / 1e9 > 300) throw new Error(`timeout: ${n}/${expected}`);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  results.push({ wall, peak });
  console.log(`e2e buffer=${values.buffer} rep=${rep + 1} events=${expected} wall_s=${wall.toFixed(2)} events_per_s=${Math.round(expected / wall)} peak_rss_MiB=${peak.toFixed(0)}`);
}
const walls = results.map((r) => r.wall).sort((a, b) => a - b);
const median = walls[Math.floor(walls.length / 2)];
console.log(`e2e buffer=${values.buffer} median_wall_s=${median.toFixed(2)} median_events_per_s=${Math.round(expected / median)} min=${walls[0].toFixed(2)} max=${walls.at(-1).toFixed(2)}`);
