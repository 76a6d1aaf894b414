#!/usr/bin/env node
// Where a logship process's CPU went, from a V8 .cpuprofile (node --cpu-prof):
// the share of busy samples spent in garbage collection, JSON.stringify,
// JSON.parse and the top self-time functions. Idle samples are left out.
//   node bench/profile-summary.mjs /tmp/prof/CPU.*.cpuprofile
import { readFileSync } from 'node:fs';

for (const file of process.argv.slice(2)) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byName = new Map();
  let busy = 0;
  for (const [id, us] of self) {
    const { functionName, url } = byId.get(id).callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const name = url === '' && (functionName === 'stringify' || functionName === 'parse') ? `JSON.${functionName}` : functionName || '(anonymous)';
    const key = name.startsWith('(') || name.startsWith('JSON.') ? name : `${name} ${url.split('/').slice(-2).join('/')}`;
    byName.set(key, (byName.get(key) ?? 0) + us);
  }
  const pct = (us) => `${((100 * us) / busy).toFixed(1)} %`;
  console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy`);
  for (const k of ['(garbage collector)', 'JSON.stringify', 'JSON.parse']) console.log(`  ${k.padEnd(40)} ${pct(byName.get(k) ?? 0)}`);
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 12);
  for (const [k, us] of top) console.log(`    ${k.slice(0, 70).padEnd(72)} ${pct(us)}`);
}
