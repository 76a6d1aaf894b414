// The disk buffer alone (issue 4): append throughput with the default group
// fsync, open time with an empty vs a large backlog, and peak RSS while that
// backlog is read back. In-process, on the compiled build (npm run build).
//
//   node bench/buffer.mjs write  [--events 1000000] [--dir /tmp/logship-bench/buf-write]
//   node bench/buffer.mjs backlog [--gib 2] [--dir /tmp/logship-bench/buf-backlog]
//
// `write` appends the shared json corpus's lines in pipeline-sized batches and
// stops the clock when the last batch is reported durable (fsynced).
// `backlog` fills a buffer with GIB of records (once; reused), then times
// DiskBuffer.open() on it and on an empty one, and reads the whole backlog
// back with take/ack, printing the peak RSS of this process.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';

const { DiskBuffer } = await import('../dist/src/buffer/disk-buffer.js');
const { recordsFromJson } = await import('../dist/src/output/record-batch.js');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { events: { type: 'string' }, gib: { type: 'string' }, dir: { type: 'string' }, corpus: { type: 'string' } },
});
const mode = positionals[0] ?? 'write';
const logger = pino({ level: 'silent' });
const corpus = values.corpus ?? '/tmp/logship-bench/json-200000.log';
if (!existsSync(corpus)) {
  console.error(`corpus missing: node ../shared/bench/gen.mjs --kind json --events 200000 --out ${corpus}`);
  process.exit(1);
}
const lines = readFileSync(corpus, 'utf8').split('\n').filter(Boolean);
const BATCH = 4000; // about what one 1 MiB read of ~260-byte lines gives the pipeline

function buffer(dir, onDurable, maxSize = 64 * 1024 ** 3) {
  return new DiskBuffer({ dir, maxSize, whenFull: 'block', syncInterval: 200, segmentSize: 64 * 1024 ** 2, logger, onDurable });
}

function batches(total) {
  const out = [];
  for (let seq = 1, n = 0; n < total; seq++) {
    const records = [];
    for (let i = 0; i < BATCH && n < total; i++, n++) records.push(lines[n % lines.length]);
    out.push({ seq, ...recordsFromJson(records, records.map(() => 1.7e12), records.map((_, i) => `${seq.toString(16)}-${i}`)) });
  }
  return out;
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

if (mode === 'write') {
  const total = Number(values.events ?? 1_000_000);
  const dir = values.dir ?? '/tmp/logship-bench/buf-write';
  rmSync(dir, { recursive: true, force: true });
  const work = batches(total);
  let durable = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const buf = buffer(dir, (seq) => {
    durable = seq;
    if (seq === work.length) done();
  });
  await buf.open();
  const t0 = process.hrtime.bigint();
  for (const b of work) await buf.append(b);
  await buf.flush();
  await finished;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = work.reduce((n, b) => n + b.data.length, 0);
  console.log(`buffer-write events=${total} batches=${work.length} durable_seq=${durable} seconds=${s.toFixed(3)} events_per_s=${Math.round(total / s)} MiB_per_s=${(bytes / 2 ** 20 / s).toFixed(1)} on_disk_MiB=${(buf.stats().bytes / 2 ** 20).toFixed(1)} rss_MiB=${rssMiB().toFixed(0)}`);
  await buf.close();
} else if (mode === 'backlog') {
  const gib = Number(values.gib ?? 2);
  const dir = values.dir ?? '/tmp/logship-bench/buf-backlog';
  const marker = join(dir, `.filled-${gib}`);
  if (!existsSync(marker)) {
    rmSync(dir, { recursive: true, force: true });
    const buf = buffer(dir, () => {});
    await buf.open();
    const target = gib * 1024 ** 3;
    const one = batches(BATCH)[0];
    for (let seq = 1; buf.stats().bytes < target; seq++) await buf.append({ ...one, seq });
    await buf.close();
    mkdirSync(dir, { recursive: true });
    writeFileSync(marker, '');
  }
  const emptyDir = `${dir}-empty`;
  rmSync(emptyDir, { recursive: true, force: true });
  const time = async (d) => {
    const b = buffer(d, () => {});
    const t0 = process.hrtime.bigint();
    await b.open();
    return { b, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  };
  const empty = await time(emptyDir);
  await empty.b.close();
  const full = await time(dir);
  const size = full.b.stats().bytes;
  let peak = rssMiB();
  let events = 0;
  const t0 = process.hrtime.bigint();
  for (;;) {
    const taken = await Promise.race([full.b.take(10_000, 5 * 2 ** 20), new Promise((r) => setTimeout(() => r(null), 500))]);
    if (!taken) break;
    events += taken.count;
    peak = Math.max(peak, rssMiB());
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`buffer-backlog backlog_GiB=${(size / 1024 ** 3).toFixed(2)} open_ms_empty=${empty.ms.toFixed(1)} open_ms_backlog=${full.ms.toFixed(1)} replayed_events=${events} replay_seconds=${s.toFixed(2)} replay_MiB_per_s=${(size / 2 ** 20 / s).toFixed(0)} peak_rss_MiB=${peak.toFixed(0)}`);
  await full.b.close();
} else {
  console.error('usage: node bench/buffer.mjs write|backlog [options]');
  process.exit(2);
}
