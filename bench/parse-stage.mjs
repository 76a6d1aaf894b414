#!/usr/bin/env node
// The parse stage alone (src/pipeline/parse-stage.ts: parser chain, processors,
// encoder) on a corpus, in this thread: what one parse worker can do, and how
// V8 flags (the young generation) change it. Lines are fed in batches of about
// 1 MiB, as the tailer reads them.
//   node [--max-semi-space-size=16] bench/parse-stage.mjs --file /tmp/bench-data/json-1000000.log --parser json
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ParseStage } from '../dist/src/pipeline/parse-stage.js';

const { values: opt } = parseArgs({
  options: {
    file: { type: 'string', default: '/tmp/bench-data/json-1000000.log' },
    parser: { type: 'string', default: 'json' },
    lines: { type: 'string', default: '300000' },
    reps: { type: 'string', default: '3' },
  },
});
const text = readFileSync(opt.file, 'utf8');
const all = text.split('\n', Number(opt.lines));
const batches = [];
let offset = 0;
for (let i = 0; i < all.length; ) {
  const texts = [];
  const offsets = [];
  let bytes = 0;
  while (i < all.length && bytes < 1024 * 1024) {
    texts.push(all[i]);
    offsets.push(offset);
    offset += Buffer.byteLength(all[i]) + 1;
    bytes += all[i].length + 1;
    i++;
  }
  batches.push({ texts, offsets, endOffset: offset });
}
const input = { name: 'bench', paths: [opt.file], parser: opt.parser, keep_original: false, fields_under: '', max_line_bytes: 1024 * 1024, fields: {}, processors: [] };
for (let rep = 0; rep < Number(opt.reps); rep++) {
  const stage = await ParseStage.build(input, 'bench-host', undefined);
  const source = { path: opt.file, key: '0123456789abcdef' };
  const t0 = process.hrtime.bigint();
  let events = 0;
  let bytes = 0;
  for (const b of batches) {
    for (const g of stage.lines({ source, texts: b.texts, offsets: b.offsets, flags: null, endOffset: b.endOffset }, Date.now())) {
      events += g.records.count;
      bytes += g.records.data.length;
    }
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ rep, events, seconds: +s.toFixed(3), events_per_s: Math.round(events / s), encoded_MB: +(bytes / 1e6).toFixed(1), flags: process.execArgv.join(' ') }));
}
