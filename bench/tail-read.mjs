#!/usr/bin/env node
// logship's tailer alone, reading one existing file from its beginning to its end:
// FileHandle.read into the tailer's 1 MiB buffer, split on "\n", one UTF-8 string
// per line, per-line offsets, batches through the async generator. No parser, no output.
//
//   npm run build                                  # the bench imports dist/, not src/
//   node bench/tail-read.mjs FILE [--verify] [--abort]
//
// tailer.batches() yields LineBatch objects and, once per poll, null (skipped, counted as ticks).
// When a batch's endOffset reaches the end of the file's last line, it calls
// tailer.stop() (with --abort: tailer.abort(), which ends the loop at once) and
// lets the loop end. Prints one line:
//   lines, bytes, seconds = construction of the Tailer to the batch that reached the end,
//   MB/s = bytes / seconds (1 MB = 10^6 bytes),
//   exit_seconds = construction to the end of the for-await loop (adds the graceful stop:
//     up to one poll_interval, 250 ms, of waiting for the stop's size poll; --abort skips it),
//   max_rss_MB = the process's peak resident set.
// --verify also sums each line's UTF-8 byte length + 1 and checks it equals bytes (slower).
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const verify = args.includes('--verify');
const abort = args.includes('--abort');
if (!file) {
  console.error('usage: node bench/tail-read.mjs FILE [--verify] [--abort]   (run `npm run build` first)');
  process.exit(2);
}
const path = resolve(file);

const dist = fileURLToPath(new URL('../dist/src/tail/tailer.js', import.meta.url));
let Tailer;
try {
  ({ Tailer } = await import(dist));
} catch (err) {
  console.error(`tail-read: cannot load ${dist} (run \`npm run build\` first): ${err.message}`);
  process.exit(2);
}

const target = endOfLastLine(path);
if (target === 0) {
  console.error(`tail-read: ${path} has no complete line`);
  process.exit(2);
}

/** An InputConfig as the config schema would produce it, defaults spelled out. */
const input = {
  name: 'bench',
  paths: [path],
  exclude: [],
  start_at: 'beginning',
  parser: 'plain',
  fields: {},
  max_line_bytes: 1024 * 1024,
  poll_interval: 250,
  rescan_interval: 2000,
  rotate_wait: 5000,
  partial_line_timeout: 5000,
  fingerprint_bytes: 1024,
};

const t0 = process.hrtime.bigint();
const tailer = new Tailer({
  input,
  resume: [],
  logger: pino({ level: 'silent' }),
  hooks: { opened() {}, closed() {} },
});

let lines = 0;
let batches = 0;
let endOffset = 0;
let verifiedBytes = 0;
let tEnd;
let ticks = 0;
for await (const batch of tailer.batches()) {
  if (batch === null) {
    // Since the parser chain: one null per poll, a tick for flushing idle multi-line events.
    ticks++;
    continue;
  }
  batches++;
  lines += batch.texts.length;
  if (verify) for (const t of batch.texts) verifiedBytes += Buffer.byteLength(t) + 1;
  endOffset = batch.endOffset;
  if (tEnd === undefined && endOffset >= target) {
    tEnd = process.hrtime.bigint();
    if (abort) tailer.abort();
    else tailer.stop();
  }
}
const tExit = process.hrtime.bigint();
if (tEnd === undefined) {
  console.error(`tail-read: the loop ended at offset ${endOffset}, before the end of the last line (${target})`);
  process.exit(1);
}
const secs = Number(tEnd - t0) / 1e9;
const exitSecs = Number(tExit - t0) / 1e9;
const rssMB = process.resourceUsage().maxRSS / 1024;
console.log(
  `tail-read${abort ? ' (abort)' : ''} lines=${lines} bytes=${endOffset} batches=${batches} ticks=${ticks} seconds=${secs.toFixed(3)} MB/s=${(endOffset / 1e6 / secs).toFixed(1)} exit_seconds=${exitSecs.toFixed(3)} max_rss_MB=${rssMB.toFixed(0)}`,
);
if (verify) {
  const ok = verifiedBytes === endOffset;
  console.log(`verify: sum(utf8 bytes + 1) = ${verifiedBytes} ${ok ? '==' : '!='} ${endOffset}${ok ? '' : ' (CRLF lines or U+FFFD would explain a difference)'}`);
  if (!ok) process.exitCode = 1;
}

/** Offset just past the file's last "\n" (the tailer holds a last line without one). */
function endOfLastLine(p) {
  const size = statSync(p).size;
  const fd = openSync(p, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - buf.length);
      const n = readSync(fd, buf, 0, end - start, start);
      const i = buf.subarray(0, n).lastIndexOf(0x0a);
      if (i !== -1) return start + i + 1;
      end = start;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
