// Reload under the conditions the anchors' trackers report as hangs or losses
// (docs/reload.md), on real processes:
// - config.watch follows a ConfigMap-style symlink swap (`..data` → a new dir);
// - a reload that rebuilds an output whose request hangs completes at
//   reload.timeout (the write is abandoned at half of it, its events stay in the buffer and
//   the rebuilt output delivers them);
// - a new config that fails to start (a parser module that throws, a buffer
//   directory that cannot be made) is rolled back: the old one keeps shipping.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { statusPortOf } from '../support/admin.js';
import { EsServer } from '../support/es-server.js';
import { baseConfig, logLines, until, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { checkNumbered, readOutput } from '../support/output.js';
import { formatLines } from '../support/writer.js';

const h = useHarness();
const servers: EsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function metrics(proc: LogshipProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${await statusPortOf(proc)}/metrics`)).text();
}

const shippedTo = (dir: string, last: number) => () => checkNumbered(readOutput(dir).events, { last }).missing.length === 0;

describe('config.watch', () => {
  it('reloads when a ConfigMap-style symlink swap changes the file, and the metrics show the new hash', async () => {
    const root = await h.tmp('reload-watch');
    const log = path.join(root, 'logs', 'app.log');
    await writeFile(log, formatLines(1, 10));
    const base: Record<string, unknown> = {
      ...baseConfig(root, [{ name: 'app', paths: [log] }]),
      config: { watch: true, poll_interval: '200ms' },
      server: { listen: '127.0.0.1:0' },
    };
    const added = { ...base, outputs: [...(base.outputs as object[]), { type: 'file', name: 'added', path: path.join(root, 'out-added'), prefix: '' }] };
    // The kubelet's layout: logship.yaml → ..data/logship.yaml, ..data → ..<timestamp>.
    const cm = path.join(root, 'cm');
    await mkdir(path.join(cm, '..v1'), { recursive: true });
    await writeConfig(path.join(cm, '..v1'), base);
    await symlink('..v1', path.join(cm, '..data'));
    await symlink('..data/logship.yaml', path.join(cm, 'logship.yaml'));
    const proc = h.start(path.join(cm, 'logship.yaml'));
    await until('the first lines shipped', proc, shippedTo(path.join(root, 'out'), 10));

    await mkdir(path.join(cm, '..v2'));
    await writeConfig(path.join(cm, '..v2'), added);
    await symlink('..v2', path.join(cm, '..data_tmp'));
    await rename(path.join(cm, '..data_tmp'), path.join(cm, '..data'));
    await until('config reloaded', proc, () => logLines(proc, 'config reloaded').length === 1);
    await appendFile(log, formatLines(11, 20));
    await until('lines after the swap reach the added output', proc, () => readOutput(path.join(root, 'out-added')).events.length >= 10);
    await until('and the old output', proc, shippedTo(path.join(root, 'out'), 20));

    const hash = createHash('sha256').update(YAML.stringify(added)).digest('hex').slice(0, 16);
    const text = await metrics(proc);
    expect(text).toContain(`logship_config_info{hash="${hash}"} 1`);
    expect(text).toContain('logship_config_reloads_total{result="success"} 1');
    expect(logLines(proc, 'config reloaded')).toHaveLength(1);
    expect(await proc.stop(60_000)).toEqual({ code: 0, signal: null });
  });
});

describe('a reload while an output is down', () => {
  it('does not wait for the failing output: its write is abandoned at once (reload.timeout is an hour) and the rebuilt output delivers everything', async () => {
    const bad = await EsServer.start();
    const good = await EsServer.start();
    servers.push(bad, good);
    const root = await h.tmp('reload-down');
    const log = path.join(root, 'logs', 'app.log');
    const index = 'reload';
    const es = (url: string) => ({ type: 'elasticsearch', name: 'es', hosts: url, index, api_version: 9, batch: { timeout: '200ms' }, retry: { initial_backoff: '50ms', max_backoff: '1s' } });
    const config = { ...baseConfig(root, [{ name: 'app', paths: [log] }]), reload: { timeout: '1h' }, outputs: [es(bad.url)] };
    const cfgPath = await writeConfig(root, config);
    await writeFile(log, formatLines(1, 50));
    const proc = h.start(cfgPath);
    await until('the first lines indexed', proc, () => bad.ids(index).length >= 50);

    // The destination goes away: the output retries its write for as long as it is down.
    await bad.close();
    await appendFile(log, formatLines(51, 100));
    await until('the output failing', proc, () => logLines(proc, 'elasticsearch requests failed; retrying').length > 0);

    await writeConfig(root, { ...config, outputs: [es(good.url)] });
    proc.child.kill('SIGHUP');
    await until('config reloaded', proc, () => logLines(proc, 'config reloaded').length === 1);
    expect(logLines(proc, /abandoning that write/)).toHaveLength(1);
    await until('every line indexed somewhere', proc, () => new Set([...bad.ids(index), ...good.ids(index)]).size >= 100);
    expect(await proc.stop(60_000)).toEqual({ code: 0, signal: null });
  });
});

describe('a new config that fails to start', () => {
  it('is rolled back (a parser module that throws; a buffer directory that cannot be made) and the old config keeps shipping', async () => {
    const root = await h.tmp('reload-rollback');
    const log = path.join(root, 'logs', 'app.log');
    const other = path.join(root, 'logs', 'other.log');
    await writeFile(log, formatLines(1, 10));
    await writeFile(other, '');
    await writeFile(path.join(root, 'bad-parser.mjs'), "throw new Error('this parser cannot load');\n");
    const gone = { type: 'file', name: 'gone', path: path.join(root, 'out-gone'), prefix: '' };
    const config: Record<string, unknown> = { ...baseConfig(root, [{ name: 'app', paths: [log] }]), server: { listen: '127.0.0.1:0' } };
    config.outputs = [...(config.outputs as object[]), gone];
    const cfgPath = await writeConfig(root, config);
    const proc = h.start(cfgPath);
    await until('the first lines shipped to both outputs', proc, () => shippedTo(path.join(root, 'out'), 10)() && shippedTo(path.join(root, 'out-gone'), 10)());

    // 1. A new input whose parser module throws when loaded: nothing running is touched.
    const inputs = config.inputs as object[];
    await writeConfig(root, { ...config, inputs: [...inputs, { name: 'other', paths: [other], parser: { module: './bad-parser.mjs' } }] });
    proc.child.kill('SIGHUP');
    await until('the first reload rolled back', proc, () => logLines(proc, /^reload failed; rolled back/).length === 1);
    expect(String(logLines(proc, /^reload failed; rolled back/)[0]!.err)).toContain('this parser cannot load');

    // 2. `gone` removed and an output added whose buffer directory is a file: `gone` is closed, then reopened.
    await writeFile(path.join(root, 'state', 'buffers', 'broken'), 'not a directory');
    await writeConfig(root, { ...config, outputs: [(config.outputs as object[])[0], { type: 'file', name: 'broken', path: path.join(root, 'out-broken'), prefix: '' }] });
    proc.child.kill('SIGHUP');
    await until('the second reload rolled back', proc, () => logLines(proc, /^reload failed; rolled back/).length === 2);

    await appendFile(log, formatLines(11, 20));
    await until('lines after the rollbacks shipped to both old outputs', proc, () => shippedTo(path.join(root, 'out'), 20)() && shippedTo(path.join(root, 'out-gone'), 20)());
    const text = await metrics(proc);
    expect(text).toContain('logship_config_reloads_total{result="rolled_back"} 2');
    expect(logLines(proc, 'config reloaded')).toHaveLength(0);
    expect(await proc.stop(60_000)).toEqual({ code: 0, signal: null });
  });
});

describe('SIGHUPs while a reload runs', () => {
  it('coalesce: every request made during a reload is answered by one more reload', async () => {
    const root = await h.tmp('reload-coalesce');
    const log = path.join(root, 'logs', 'app.log');
    const other = path.join(root, 'logs', 'other.log');
    const flag = path.join(root, 'go');
    await writeFile(log, formatLines(1, 10));
    await writeFile(other, formatLines(1, 5, 'other-'));
    // A parser module that loads only once the test says so: the reload building it runs until then.
    await writeFile(
      path.join(root, 'held-parser.mjs'),
      `import { existsSync } from 'node:fs';\nawait new Promise((r) => { const t = setInterval(() => { if (existsSync(${JSON.stringify(flag)})) { clearInterval(t); r(); } }, 50); });\nexport default { name: 'held', create: () => ({ parse: (line) => ({ message: line }) }) };\n`,
    );
    const config = baseConfig(root, [{ name: 'app', paths: [log] }]);
    const cfgPath = await writeConfig(root, config);
    const proc = h.start(cfgPath);
    await until('the first lines shipped', proc, shippedTo(path.join(root, 'out'), 10));

    await writeConfig(root, { ...config, inputs: [...(config.inputs as object[]), { name: 'other', paths: [other], parser: { module: './held-parser.mjs' } }] });
    for (let n = 1; n <= 4; n++) {
      proc.child.kill('SIGHUP');
      await until(`reload request ${n} logged`, proc, () => logLines(proc, 'reload requested').length === n);
    }
    await writeFile(flag, '');
    await until('two reloads', proc, () => logLines(proc, /^config reloaded|^reload failed|^reload rejected/).length === 2);
    expect(await proc.stop(60_000)).toEqual({ code: 0, signal: null });
    expect(logLines(proc, /^config reloaded|^reload failed|^reload rejected/).map((r) => r.msg)).toEqual(['config reloaded', 'config reloaded']);
  });
});
