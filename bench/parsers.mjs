#!/usr/bin/env node
// Throughput of each parser ALONE, in-process: no tailer, no output, no I/O in
// the timed part.
//
//   npm run build                      # imports dist/
//   node bench/parsers.mjs [--data /tmp/logship-bench] [--events 200000] [--reps 5] [--warmup 1]
//                          [--only SUBSTRING[,SUBSTRING…]] [--same-process] [--json FILE]
//   node --max-semi-space-size=64 bench/parsers.mjs …   # Node flags reach every case's process
//
// Corpora: the shared bench corpora json, nginx and text-multiline
// (../shared/bench/gen.mjs, seed 42), at DATA/<kind>-<events>.log; a missing one
// is generated with `node ../shared/bench/gen.mjs --kind K --events N --out F`.
// Synthetic logfmt, syslog (half RFC 5424 with structured data, half RFC 3164)
// and klog inputs are made here from a seeded PRNG (same bytes on every run).
//
// Each case runs in a fresh Node process (--same-process: all in this one).
// The case's corpus is read once and split on "\n" (a trailing empty piece
// dropped) before any timing. Two kinds of case:
//
// - `parser NAME`: parserRegistry.get(NAME).create(options, ctx).parse(line)
//   on every line; nothing else. `parse failures` counts ParseFailure results.
// - `chain …`: buildChainSpec(parsingConfig) + new ParserChain(spec), fed the
//   lines in batches of about 1 MiB (as the tailer hands them over), then
//   flushAll: multi-line assembly, the content parser and the normaliser
//   (schema events: @timestamp, log.level, ECS fields, attributes). The output
//   array is emptied after each batch. The batches are built before the clock
//   starts. An untimed pass afterwards counts what the chain emitted
//   (parse_failure tags, multi-line events, error.type, log.level).
//
// Per case: `warmup` untimed runs, then `reps` timed runs (process.hrtime.bigint
// around the whole pass). Reported: median and min/max seconds, MB/s = corpus
// bytes (newlines included) / 10^6 / seconds, events/s = events out / seconds.
// Events out: lines for a parser alone, emitted events for a chain.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
if (!existsSync(path.join(DIST, 'parsers/registry.js'))) {
  console.error('bench/parsers.mjs: dist/parsers/registry.js not found: run `npm run build` first');
  process.exit(2);
}
const { parserRegistry } = await import(path.join(DIST, 'parsers/registry.js'));
const { buildChainSpec } = await import(path.join(DIST, 'parsers/setup.js'));
const { ParserChain } = await import(path.join(DIST, 'parsers/chain.js'));
const { ParseFailure } = await import(path.join(DIST, 'parsers/types.js'));

const { values: opt } = parseArgs({
  options: {
    data: { type: 'string', default: '/tmp/logship-bench' },
    events: { type: 'string', default: '200000' },
    reps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    only: { type: 'string' },
    json: { type: 'string' },
    gen: { type: 'string', default: path.resolve(ROOT, '../shared/bench/gen.mjs') },
    'same-process': { type: 'boolean', default: false },
    case: { type: 'string' },
  },
});
const EVENTS = Number(opt.events);
const REPS = Number(opt.reps);
const WARMUP = Number(opt.warmup);
const ONLY = opt.only ? opt.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
const BATCH_BYTES = 1024 * 1024;

const ctx = { timezone: undefined, timeFormat: undefined, now: Date.now };
const parsing = (extra) => ({ keep_original: false, fields_under: 'attributes', max_line_bytes: 1048576, ...extra });

// ---- corpora -------------------------------------------------------------------

function sharedCorpus(kind) {
  const file = path.join(opt.data, `${kind}-${EVENTS}.log`);
  const prepare = () => {
    if (existsSync(file)) return;
    console.error(`generating ${file}`);
    mkdirSync(opt.data, { recursive: true });
    execFileSync(process.execPath, [opt.gen, '--kind', kind, '--events', String(EVENTS), '--out', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  };
  return { name: `${kind} (${file})`, short: kind, prepare, load: () => readFileSync(file) };
}

// mulberry32, as in gen.mjs
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MSGS = ['request completed', 'order placed successfully', 'cache miss for product listing', 'user session refreshed', 'retrying upstream call after timeout'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
const SERVICES = ['checkout', 'cart', 'payments', 'search', 'auth'];

function synthetic(kind, lineOf) {
  return {
    name: `${kind} (synthetic, ${EVENTS} lines, seed 42)`,
    short: kind,
    load: () => {
      const rand = rng(42);
      const ri = (n) => Math.floor(rand() * n);
      const pick = (a) => a[ri(a.length)];
      let t = Date.parse('2024-05-01T00:00:00.000Z');
      const parts = [];
      for (let i = 0; i < EVENTS; i++) {
        t += ri(5);
        parts.push(lineOf(new Date(t), ri, pick));
      }
      return Buffer.from(parts.join('\n') + '\n');
    },
  };
}

const p2 = (n) => String(n).padStart(2, '0');
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const logfmtCorpus = synthetic('logfmt', (d, ri, pick) =>
  `time=${d.toISOString()} level=${pick(['info', 'info', 'debug', 'warn', 'error'])} msg="${pick(MSGS)}" service=${pick(SERVICES)} user=${pick(USERS)} trace_id=${ri(1e9).toString(16).padStart(8, '0')} status=${pick([200, 201, 404, 500])} duration_ms=${ri(250000) / 100}`);

const syslogCorpus = synthetic('syslog', (d, ri, pick) => {
  const pri = 8 * pick([1, 3, 4, 16]) + ri(8);
  if (ri(2) === 0) {
    return `<${pri}>1 ${d.toISOString()} web-${ri(9)} ${pick(SERVICES)} ${1000 + ri(9000)} ID${ri(100)} [origin@32473 user="${pick(USERS)}" order="${ri(1e7)}"] ${pick(MSGS)}`;
  }
  return `<${pri}>${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} web-${ri(9)} ${pick(SERVICES)}[${1000 + ri(9000)}]: ${pick(MSGS)} user=${pick(USERS)}`;
});

const klogCorpus = synthetic('klog', (d, ri, pick) => {
  const head = `${pick(['I', 'I', 'I', 'W', 'E'])}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds() * 1000 + ri(1000)).padStart(6, '0')} ${String(1 + ri(99999)).padStart(7, ' ')} ${pick(['controller.go', 'reconciler.go', 'server.go'])}:${10 + ri(900)}]`;
  return ri(2) === 0
    ? `${head} "${pick(MSGS)}" pod="default/${pick(SERVICES)}-${ri(100)}" attempt=${ri(5)}`
    : `${head} ${pick(MSGS)} for ${pick(USERS)}`;
});

const NGINX_REGEX = String.raw`^(?<source__address>\S+) \S+ (?<user>\S+) \[(?<time>[^\]]+)\] "(?<method>\S+) (?<path>\S+) (?<proto>[^"]+)" (?<status>\d{3}) (?<bytes>\d+) "(?<referrer>[^"]*)" "(?<user_agent__original>[^"]*)"$`;

// ---- cases ---------------------------------------------------------------------

const parser = (name, options = {}) => ({ label: `parser \`${name}\``, kind: 'parser', name, options });
const chain = (label, config) => ({ label: `chain \`${label}\``, kind: 'chain', config: parsing(config) });

const suites = [
  {
    corpus: sharedCorpus('json'),
    cases: [parser('json'), parser('auto'), chain('parser: json', { parser: 'json' })],
  },
  {
    corpus: sharedCorpus('nginx'),
    cases: [
      parser('nginx'),
      parser('regex', { pattern: NGINX_REGEX }),
      chain('parser: nginx', { parser: 'nginx' }),
    ],
  },
  {
    corpus: sharedCorpus('text-multiline'),
    cases: [
      parser('plain'),
      chain("parser: plain, multiline.start '^\\d{4}-\\d{2}-\\d{2}T'", { parser: 'plain', multiline: { start: '^\\d{4}-\\d{2}-\\d{2}T' } }),
      chain('parser: plain, multiline.preset java', { parser: 'plain', multiline: { preset: 'java' } }),
    ],
  },
  { corpus: logfmtCorpus, cases: [parser('logfmt'), chain('parser: logfmt', { parser: 'logfmt' })] },
  { corpus: syslogCorpus, cases: [parser('syslog'), chain('parser: syslog', { parser: 'syslog' })] },
  { corpus: klogCorpus, cases: [parser('klog'), chain('parser: klog', { parser: 'klog' })] },
];

// ---- timing --------------------------------------------------------------------

function splitLines(buf) {
  const lines = buf.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Lines in batches of about BATCH_BYTES, with byte offsets, as the tailer delivers them. */
function batchesOf(lines) {
  const batches = [];
  let texts = [];
  let offsets = [];
  let size = 0;
  let offset = 0;
  for (const line of lines) {
    texts.push(line);
    offsets.push(offset);
    const bytes = Buffer.byteLength(line) + 1;
    offset += bytes;
    size += bytes;
    if (size >= BATCH_BYTES) {
      batches.push({ texts, offsets });
      texts = [];
      offsets = [];
      size = 0;
    }
  }
  if (texts.length > 0) batches.push({ texts, offsets });
  return batches;
}

/** Every result is stored here, so that V8 cannot optimise a parser's allocations away (it did for `plain`). */
export let sink;

function runParser(p, lines) {
  let failures = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i++) {
    const r = p.parse(lines[i]);
    if (r instanceof ParseFailure) failures++;
    sink = r;
  }
  const t1 = process.hrtime.bigint();
  return { seconds: Number(t1 - t0) / 1e9, events: lines.length, failures };
}

async function runChain(config, batches, inspect) {
  const spec = await buildChainSpec(config);
  const c = new ParserChain(spec);
  const source = { path: 'bench', key: 'bench' };
  const out = [];
  let events = 0;
  const t0 = process.hrtime.bigint();
  for (const b of batches) {
    c.push(source, b.texts, b.offsets, null, Date.now(), out);
    events += out.length;
    if (inspect) inspect(out);
    out.length = 0;
  }
  c.flushAll(Date.now(), out);
  events += out.length;
  if (inspect) inspect(out);
  out.length = 0;
  const t1 = process.hrtime.bigint();
  return { seconds: Number(t1 - t0) / 1e9, events };
}

/** An untimed pass that looks at every event the chain emits: what the timed passes produced. */
async function checkChain(config, batches) {
  const check = { failures: 0, multiLine: 0, withErrorType: 0, withLevel: 0, withTimestampFromContent: 0, first: undefined };
  const base = Date.now();
  await runChain(config, batches, (out) => {
    for (const r of out) {
      const e = r.event;
      check.first ??= e;
      if (e.tags?.includes('parse_failure')) check.failures++;
      if (typeof e.message === 'string' && e.message.includes('\n')) check.multiLine++;
      if (e.error?.type !== undefined) check.withErrorType++;
      if (e.log?.level !== undefined) check.withLevel++;
      if (r.time < base - 86_400_000) check.withTimestampFromContent++;
    }
  });
  return check;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const fmt = (x, d) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** Runs case `c` of `suite` in this process: warm-up, timed runs, then (chains) the check pass. */
async function runCase(suite, c) {
  const buf = suite.corpus.load();
  const bytes = buf.length;
  const lines = splitLines(buf);
  const batches = c.kind === 'chain' ? batchesOf(lines) : undefined;
  const runOnce = c.kind === 'parser'
    ? (() => {
        const p = parserRegistry.get(c.name).create(c.options, ctx);
        return async () => runParser(p, lines);
      })()
    : async () => runChain(c.config, batches);
  for (let i = 0; i < WARMUP; i++) await runOnce();
  const runs = [];
  for (let i = 0; i < REPS; i++) runs.push(await runOnce());
  const secs = runs.map((r) => r.seconds);
  const check = c.kind === 'chain' ? await checkChain(c.config, batches) : undefined;
  const r = {
    corpus: suite.corpus.name,
    short: suite.corpus.short,
    case: c.label,
    lines: lines.length,
    bytes,
    events: runs[0].events,
    failures: check ? check.failures : runs[0].failures,
    check,
    seconds: { median: median(secs), min: Math.min(...secs), max: Math.max(...secs), all: secs },
  };
  r.mbps = { median: bytes / 1e6 / r.seconds.median, min: bytes / 1e6 / r.seconds.max, max: bytes / 1e6 / r.seconds.min };
  r.eps = { median: r.events / r.seconds.median, min: r.events / r.seconds.max, max: r.events / r.seconds.min };
  return r;
}

if (opt.case !== undefined) {
  // A child: one case, its result as JSON on stdout.
  const [si, ci] = opt.case.split(':').map(Number);
  process.stdout.write(JSON.stringify(await runCase(suites[si], suites[si].cases[ci])) + '\n');
  process.exit(0);
}

// Each case runs in a fresh Node process (unless --same-process): the chains
// allocate a lot, and how fast they run depends on how far V8 has grown its
// young generation, i.e. on what ran before them in the same process. Node
// flags given to this script (e.g. --max-semi-space-size=64) reach the children.
const SELF = fileURLToPath(import.meta.url);
const childArgs = ['--data', opt.data, '--events', String(EVENTS), '--reps', String(REPS), '--warmup', String(WARMUP), '--gen', opt.gen];
const loadStart = os.loadavg();
const results = [];
for (const [si, suite] of suites.entries()) {
  for (const [ci, c] of suite.cases.entries()) {
    if (ONLY && !ONLY.some((o) => `${suite.corpus.short} ${c.label}`.includes(o))) continue;
    suite.corpus.prepare?.();
    let r;
    if (opt['same-process']) r = await runCase(suite, c);
    else {
      const out = execFileSync(process.execPath, [...process.execArgv, SELF, ...childArgs, '--case', `${si}:${ci}`], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
      r = JSON.parse(out.toString());
    }
    results.push(r);
    console.error(`${r.short.padEnd(15)} ${r.case.padEnd(62)} ${fmt(r.seconds.median, 3)} s  ${fmt(r.mbps.median, 1)} MB/s  ${fmt(r.eps.median, 0)} events/s`);
  }
}
const loadEnd = os.loadavg();

// ---- report --------------------------------------------------------------------

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`node ${process.version}, ${os.availableParallelism()} CPUs (${cpu}), ${os.platform()} ${os.release()}`);
const shq = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
console.log(`command: ${['node', ...process.execArgv, 'bench/parsers.mjs', ...process.argv.slice(2)].map(shq).join(' ')}`);
console.log(`load average (1 min) at start ${loadStart[0].toFixed(2)}, at end ${loadEnd[0].toFixed(2)}; ${opt['same-process'] ? 'all cases in this one process' : 'each case in a fresh node process'}`);
console.log(`${REPS} timed runs per case after ${WARMUP} warm-up run(s); median, [min–max] over the timed runs. 1 MB = 10^6 bytes.`);
console.log('');
console.log('| corpus | case | input MB | lines | events out | parse failures | seconds median [min–max] | MB/s median [min–max] | events/s median [min–max] |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.short} | ${r.case} | ${fmt(r.bytes / 1e6, 1)} | ${fmt(r.lines, 0)} | ${fmt(r.events, 0)} | ${fmt(r.failures, 0)} | ` +
      `${fmt(r.seconds.median, 3)} [${fmt(r.seconds.min, 3)}–${fmt(r.seconds.max, 3)}] | ` +
      `${fmt(r.mbps.median, 1)} [${fmt(r.mbps.min, 1)}–${fmt(r.mbps.max, 1)}] | ` +
      `${fmt(r.eps.median, 0)} [${fmt(r.eps.min, 0)}–${fmt(r.eps.max, 0)}] |`,
  );
}
const checked = results.filter((r) => r.check);
if (checked.length > 0) {
  console.log('');
  console.log('What the chains emitted (an untimed pass after the timed ones):');
  console.log('');
  console.log('| corpus | case | events | multi-line events | with error.type | with log.level | @timestamp from the content (over a day before the run) | tagged parse_failure |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of checked) {
    const k = r.check;
    console.log(`| ${r.short} | ${r.case} | ${fmt(r.events, 0)} | ${fmt(k.multiLine, 0)} | ${fmt(k.withErrorType, 0)} | ${fmt(k.withLevel, 0)} | ${fmt(k.withTimestampFromContent, 0)} | ${fmt(k.failures, 0)} |`);
  }
}
if (opt.json) {
  writeFileSync(opt.json, JSON.stringify({ node: process.version, execArgv: process.execArgv, cpus: os.availableParallelism(), cpu, argv: process.argv.slice(2), reps: REPS, warmup: WARMUP, loadavg: { start: loadStart, end: loadEnd }, results }, null, 2) + '\n');
}
