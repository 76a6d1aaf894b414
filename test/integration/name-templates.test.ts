// Name templates through the real CLI: a `file` output (the object core S3 shares) whose prefix names the input, the
// output, the host and event fields; the fields come from the input's static `fields` and from the parsed lines.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitiseValue } from '../../src/output/name-template.js';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig } from '../support/logship-process.js';

/** Every file under `dir`, relative, with its NDJSON lines. */
function objects(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full), readFileSync(full, 'utf8').split('\n').filter((l) => l !== ''));
  }
  return out;
}

describe('name templates through logship', () => {
  const h = useHarness();
  beforeAll(() => requireEngine());

  it('files each event under its input, output, host, namespace and service (absent: the default)', async () => {
    const root = await h.tmp('templates');
    const file = path.join(root, 'logs', 'app.log');
    const services = ['checkout', 'Search API', undefined];
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ time: new Date(Date.UTC(2026, 11, 6, 10, 0, i)).toISOString(), msg: `m${i}`, ...(services[i % 3] && { service: services[i % 3] }) }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const config = baseConfig(root, [{ name: 'app', paths: [file], parser: 'json', fields: { 'kubernetes.namespace': 'payments' } }], {
      name: 'local',
      inputs: ['app'],
      prefix: '{input}/{output}/{host}/{kubernetes.namespace}/{service.name:-nosvc}/%Y-%m-%d/',
    });
    const proc = h.start(await writeConfig(root, config));
    const out = path.join(root, 'out');
    const deadline = Date.now() + 120_000;
    let got = 0;
    while (got < lines.length) {
      if (Date.now() > deadline || !proc.running) throw new Error(`${got} of ${lines.length} events written\n${proc.describe()}`);
      await sleep(200);
      got = [...objects(out).values()].reduce((n, l) => n + l.length, 0);
    }
    expect((await proc.stop()).code).toBe(0);

    const host = sanitiseValue(hostname(), 'object-key');
    const byDir = new Map<string, string[]>();
    for (const [name, events] of objects(out)) byDir.set(path.dirname(name), [...(byDir.get(path.dirname(name)) ?? []), ...events]);
    expect([...byDir.keys()].sort()).toEqual([`app/local/${host}/payments/Search_API/2026-12-06`, `app/local/${host}/payments/checkout/2026-12-06`, `app/local/${host}/payments/nosvc/2026-12-06`].sort());
    for (const [dir, events] of byDir) {
      const service = dir.split('/')[4];
      for (const e of events.map((l) => JSON.parse(l) as { service?: { name: string } })) expect((e.service?.name ?? 'nosvc').replace(' ', '_')).toBe(service);
    }
    expect([...byDir.values()].flat().length).toBe(lines.length);
  }, 180_000);

  it('validate refuses {input} on an output fed by several inputs, naming the key', async () => {
    const root = await h.tmp('templates');
    const config = baseConfig(root, [{ name: 'a', paths: [path.join(root, 'logs', 'a.log')] }, { name: 'b', paths: [path.join(root, 'logs', 'b.log')] }], { prefix: '{input}/' });
    const proc = h.start(await writeConfig(root, config));
    const exit = await proc.exited;
    expect(exit.code).toBe(1);
    expect(proc.stderr).toMatch(/outputs\[0\]\.prefix: .*\{input\} needs the output to take events from exactly one input/);
  }, 60_000);
});
