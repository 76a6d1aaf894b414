// Usage: node --expose-gc step.mjs spec1 spec2 ... ; prints RSS after each cumulative import
import { readFileSync } from 'node:fs';
const rss = () => { global.gc?.(); global.gc?.(); const s = readFileSync('/proc/self/status','utf8'); return Number(/VmRSS:\s+(\d+)/.exec(s)[1])/1024; };
const heap = () => process.memoryUsage().heapUsed/1048576;
const sleep = (ms) => new Promise(r=>setTimeout(r,ms));
await sleep(300);
let prev = rss();
console.log(`${'base'.padEnd(50)} rss ${prev.toFixed(1)} heap ${heap().toFixed(1)}`);
for (const spec of process.argv.slice(2)) {
  await import(spec.startsWith('/') ? spec : spec);
  await sleep(300);
  const now = rss();
  console.log(`${spec.replace('/work/wt-idle/dist/','').padEnd(50)} rss ${now.toFixed(1)} (+${(now-prev).toFixed(1)}) heap ${heap().toFixed(1)}`);
  prev = now;
}
