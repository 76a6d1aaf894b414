#!/usr/bin/env node
// The floor for reading a file in Node: a read loop into one 1 MiB buffer that
// counts "\n" with Buffer.indexOf. No decoding, no strings, no per-line objects.
//
//   node bench/fs-read-loop.mjs FILE                    # fs.readSync loop (the floor)
//   node bench/fs-read-loop.mjs FILE --async            # await FileHandle.read loop (the call the tailer makes)
//   node bench/fs-read-loop.mjs FILE --async --decode   # ... plus one UTF-8 string and one offset per line,
//                                                       #     collected per read like a batch: the tailer's
//                                                       #     work without the tailer
//
// Prints one line: mode, lines, bytes, seconds (first read to last, in-process), MB/s (1 MB = 10^6 bytes).
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const asyncMode = args.includes('--async');
const decode = args.includes('--decode');
if (!file) {
  console.error('usage: node bench/fs-read-loop.mjs FILE [--async] [--decode]');
  process.exit(2);
}

const LF = 0x0a;
const buf = Buffer.allocUnsafe(1024 * 1024);
let lines = 0;
let pos = 0;
let sink = 0;

/** Counts the lines in buf[0, n); returns how many bytes it consumed (up to the last "\n" when decoding). */
function consume(n) {
  if (!decode) {
    let i = buf.indexOf(LF, 0);
    while (i !== -1 && i < n) {
      lines++;
      i = buf.indexOf(LF, i + 1);
    }
    return n;
  }
  // A line cut by the read is read again by the next one, from its start.
  const texts = [];
  const offsets = [];
  let start = 0;
  let i = buf.indexOf(LF, 0);
  while (i !== -1 && i < n) {
    texts.push(buf.toString('utf8', start, i));
    offsets.push(pos + start);
    start = i + 1;
    i = buf.indexOf(LF, start);
  }
  lines += texts.length;
  sink += texts.length + offsets.length;
  // No newline in buf[0, n) (the end of the file, or a line over 1 MiB): take it all.
  return start === 0 ? n : start;
}

const t0 = process.hrtime.bigint();
if (asyncMode) {
  const fh = await open(file, 'r');
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    pos += consume(bytesRead);
  }
  await fh.close();
} else {
  const fd = openSync(file, 'r');
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    pos += consume(n);
  }
  closeSync(fd);
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const mode = `${asyncMode ? 'FileHandle.read' : 'readSync'}${decode ? '+decode' : ''}`;
console.log(`fs-read-loop mode=${mode} lines=${lines} bytes=${pos} seconds=${secs.toFixed(3)} MB/s=${(pos / 1e6 / secs).toFixed(1)}`);
if (sink < 0) console.log(sink);
