#!/usr/bin/env node
// Writes a deterministic file of realistic JSON log lines for the read benchmarks.
//
//   node bench/make-file.mjs --out /tmp/logship-bench/tail-500MB.log --mb 500 [--seed 42] [--force]
//
// The file is exactly MB x 1,000,000 bytes: JSON lines of 190-260 bytes plus "\n" (about 2% of
// them carry multi-byte UTF-8: accents, CJK, an emoji), every line ends with "\n",
// and the last four lines are padded to land on the size. Same --mb and --seed, same bytes.
// An existing file of exactly that size is reused (pass --force to rewrite it).
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const args = parseArgs(process.argv.slice(2));
const out = args.out ?? '/tmp/logship-bench/tail-500MB.log';
const mb = Number(args.mb ?? 500);
const seed = Number(args.seed ?? 42) >>> 0;
if (!Number.isFinite(mb) || mb < 0.01) fail(`--mb must be a number >= 0.01, got ${args.mb}`);
const target = Math.round(mb * 1_000_000);

if (!args.force && existsSync(out) && statSync(out).size === target) {
  console.log(`reusing ${out} (${target} bytes)`);
  process.exit(0);
}

// mulberry32: small, fast, deterministic.
let state = seed;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const hex = (n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)];
  return s;
};

const SERVICES = ['checkout', 'cart', 'payments', 'search', 'auth', 'inventory', 'gateway', 'notifier'];
const LEVELS = ['info', 'info', 'info', 'info', 'info', 'info', 'debug', 'debug', 'warn', 'error'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'];
const PATHS = ['/api/v1/orders', '/api/v1/cart/items', '/api/v2/search', '/healthz', '/api/v1/users', '/api/v1/payments/authorize', '/static/app.js'];
const MESSAGES = ['request completed', 'request completed', 'request completed', 'cache miss', 'upstream slow', 'retrying upstream call', 'token refreshed', 'validation failed'];
const UTF8_MESSAGES = ['Bestellung für Zürich verschickt', 'café crème commandé à Genève', '注文が完了しました', 'заказ оформлен', 'deploy finished 🚀', 'señal recibida en Málaga'];
const AGENTS = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64)', 'okhttp/4.12.0', 'Go-http-client/2.0', 'python-requests/2.31'];
const STATUS = [200, 200, 200, 200, 200, 201, 204, 304, 400, 404, 500, 503];

const MIN = 190;
const MAX = 260;
let clock = Date.UTC(2024, 4, 17, 8, 0, 0);

function line() {
  clock += int(40);
  const utf8 = rand() < 0.02;
  const rec = {
    ts: new Date(clock).toISOString(),
    level: pick(LEVELS),
    service: pick(SERVICES),
    host: `ip-10-0-${int(8)}-${int(250)}`,
  };
  if (rand() < 0.7) rec.trace_id = hex(32);
  rec.method = pick(METHODS);
  rec.path = `${pick(PATHS)}/${int(100000)}`;
  rec.status = pick(STATUS);
  rec.duration_ms = Math.round(rand() * 250000) / 1000;
  if (rand() < 0.5) rec.ua = pick(AGENTS);
  rec.msg = utf8 ? pick(UTF8_MESSAGES) : pick(MESSAGES);
  let s = JSON.stringify(rec);
  for (const optional of ['ua', 'host', 'trace_id']) {
    if (Buffer.byteLength(s) <= MAX) break;
    delete rec[optional];
    s = JSON.stringify(rec);
  }
  const len = Buffer.byteLength(s);
  if (len < MIN) {
    // ,"req_id":"…" adds 12 bytes plus the id: size it to land in [MIN, MIN+50].
    rec.req_id = hex(Math.max(1, MIN + int(51) - len - 12));
    s = JSON.stringify(rec);
  }
  return s + '\n';
}

/** A filler line of exactly `size` bytes (at least 80), "\n" included. */
function endLine(size) {
  clock += int(40);
  const base = `{"ts":"${new Date(clock).toISOString()}","level":"info","msg":"bench file end","pad":""}\n`;
  const pad = Math.max(0, size - Buffer.byteLength(base));
  return base.replace('"pad":""', `"pad":"${'x'.repeat(pad)}"`);
}

mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.tmp-${process.pid}`;
const fd = openSync(tmp, 'w');
const CHUNK = 4 * 1024 * 1024;
const buf = Buffer.allocUnsafe(CHUNK + 4096);
let used = 0;
let written = 0;
let lines = 0;
let utf8Lines = 0;
let minLen = Infinity;
let maxLen = 0;
for (;;) {
  const remaining = target - written - used;
  if (remaining <= 0) break;
  // The last four lines share what is left (780-1040 bytes, so 195-260 each):
  // the file then ends exactly at `target`, on a "\n".
  const l = remaining <= 4 * MAX ? endLine(Math.ceil(remaining / Math.ceil(remaining / MAX))) : line();
  const n = buf.write(l, used, 'utf8');
  used += n;
  lines++;
  if (n !== l.length) utf8Lines++;
  if (n < minLen) minLen = n;
  if (n > maxLen) maxLen = n;
  if (used >= CHUNK) {
    writeSync(fd, buf, 0, used);
    written += used;
    used = 0;
  }
}
if (used > 0) {
  writeSync(fd, buf, 0, used);
  written += used;
}
closeSync(fd);
if (written !== target) fail(`internal: wrote ${written} bytes, wanted ${target}`);
renameSync(tmp, out);
console.log(`wrote ${out}: ${written} bytes, ${lines} lines (${utf8Lines} with multi-byte UTF-8), line bytes ${minLen}-${maxLen} incl. "\\n"`);

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') o.force = true;
    else if (a.startsWith('--')) o[a.slice(2)] = argv[++i];
    else fail(`unexpected argument ${a}`);
  }
  return o;
}

function fail(msg) {
  console.error(`make-file: ${msg}`);
  process.exit(2);
}
