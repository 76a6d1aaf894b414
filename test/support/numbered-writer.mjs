#!/usr/bin/env node
// Appends numbered lines to a log file, optionally rotating it, for the
// integration tests. Run as a child process so it competes with logship for
// real, the way an application does.
//
//   node numbered-writer.mjs --file F [--start 1] --count N
//        [--prefix STR] [--line-bytes 100]
//        [--mode none|rename|copytruncate|truncate-rewrite]
//        [--rotate-every R] [--rotate-at a,b,c]
//        [--rate LINES_PER_SECOND] [--handshake] [--keep K]
//
// Lines look like `<prefix>line-000001 xxxx…\n`, padded to --line-bytes.
// Without --rate it writes as fast as it can (one write per line).
// Rotation happens after line n when n % R === 0 or n is in --rotate-at, and
// never after the last line:
//   rename            close, rename F -> F.<k> (k increasing, never overwriting
//                     an existing name), create a new F, continue
//   copytruncate      copy F -> F.<k>, truncate F in place; the writer keeps its
//                     O_APPEND fd, so the next write lands at offset 0
//   truncate-rewrite  truncate F in place (no copy) and continue
// With --keep K the copies are numbered the way logrotate numbers them: the
// existing ones shift up (F.1 -> F.2 ... F.(K-1) -> F.K) and the new one is F.1.
// With --handshake (needs an IPC channel) the writer sends
// {type:'rotate', after:n, k} before each rotation and waits for 'go'.
// SIGTERM ends it early after the line being written (so a test can let it run
// until the test is done with it, rather than for a duration): `last` then says
// how far it got.
// At the end it prints one JSON line: {written, first, last, rotations:[...]}.
import fs from 'node:fs';

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (key === 'handshake') { out.handshake = true; continue; }
    const v = argv[++i];
    if (v === undefined) throw new Error(`missing value for ${a}`);
    out[key] = v;
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const file = args.file;
if (!file) throw new Error('--file is required');
const first = Number(args.start ?? 1);
const count = Number(args.count ?? 1000);
const last = first + count - 1;
const prefix = args.prefix ?? '';
const lineBytes = Number(args['line-bytes'] ?? 100);
const mode = args.mode ?? 'none';
const rotateEvery = Number(args['rotate-every'] ?? 0);
const rotateAt = new Set((args['rotate-at'] ?? '').split(',').filter(Boolean).map(Number));
const rate = Number(args.rate ?? 0);
const handshake = Boolean(args.handshake);
const keep = Number(args.keep ?? 0);
if (!['none', 'rename', 'copytruncate', 'truncate-rewrite'].includes(mode)) throw new Error(`bad --mode ${mode}`);
if (handshake && typeof process.send !== 'function') throw new Error('--handshake needs an IPC channel');

function formatLine(n) {
  const head = `${prefix}line-${String(n).padStart(6, '0')} `;
  const pad = Math.max(0, lineBytes - Buffer.byteLength(head) - 1);
  return head + 'x'.repeat(pad) + '\n';
}

function shouldRotate(n) {
  if (mode === 'none' || n >= last) return false;
  return (rotateEvery > 0 && n % rotateEvery === 0) || rotateAt.has(n);
}

let k = 1;
function nextRotatedName() {
  if (keep > 0) {
    for (let i = keep - 1; i >= 1; i--) if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    return `${file}.1`;
  }
  while (fs.existsSync(`${file}.${k}`)) k++;
  return `${file}.${k++}`;
}

const pendingGo = [];
if (handshake) {
  process.on('message', (m) => {
    if (m === 'go') pendingGo.shift()?.();
  });
}
const waitGo = () => new Promise((resolve) => pendingGo.push(resolve));
let stopRequested = false;
process.on('SIGTERM', () => (stopRequested = true));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let fd = fs.openSync(file, 'a');
const rotations = [];

async function rotate(after) {
  if (handshake) {
    const wait = waitGo();
    process.send({ type: 'rotate', after, mode });
    await wait;
  }
  if (mode === 'rename') {
    fs.closeSync(fd);
    const to = nextRotatedName();
    fs.renameSync(file, to);
    fd = fs.openSync(file, 'a');
    rotations.push({ after, to });
  } else if (mode === 'copytruncate') {
    const to = nextRotatedName();
    fs.copyFileSync(file, to, fs.constants.COPYFILE_EXCL);
    fs.ftruncateSync(fd, 0);
    rotations.push({ after, to });
  } else if (mode === 'truncate-rewrite') {
    fs.ftruncateSync(fd, 0);
    rotations.push({ after });
  }
}

async function main() {
  const started = Date.now();
  // Paced mode: write in ticks of 10 ms, so the file grows steadily. Never faster than the rate:
  // after a stall (a loaded machine, or SIGSTOP from a test holding it back) it goes on at the
  // rate instead of catching up in a burst.
  let due = started;
  const perTick = rate > 0 ? Math.max(1, Math.round(rate / 100)) : 1;
  let n = first;
  while (n <= last && !stopRequested) {
    const chunk = [];
    while (n <= last && chunk.length < perTick) {
      chunk.push(formatLine(n));
      const rot = shouldRotate(n);
      n++;
      if (rot) break;
    }
    fs.writeSync(fd, chunk.join(''));
    if (shouldRotate(n - 1)) await rotate(n - 1);
    if (rate > 0) {
      due += 10;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -100) due = Date.now();
    } else if ((n - first) % 1000 === 0) {
      await new Promise((r) => setImmediate(r)); // lets a SIGTERM in
    }
  }
  fs.closeSync(fd);
  process.stdout.write(JSON.stringify({ written: n - first, first, last: n - 1, rotations, ms: Date.now() - started }) + '\n');
  if (handshake) process.disconnect();
}

main().catch((err) => {
  process.stderr.write(`numbered-writer: ${err.stack ?? err}\n`);
  process.exit(1);
});
