// Issue 14, "The first ten minutes": the demo `npm start` runs shows logship
// at its best. Its config validates; the demo writer, run for a bounded count,
// and `logship run` with deploy/examples/local.yaml (in a temp dir, as npm
// start runs it from the repository root) give multi-line Java errors with
// error.* fields, parsed JSON lines with levels and times, and nginx lines
// parsed into http.* in the file output. And `npm start` builds only when the
// sources changed since the last build.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, requireEngine, track, useHarness } from '../support/logship-process.js';
import { field, OutputReader, waitFor } from '../support/output.js';

const EXAMPLES = path.join(REPO_ROOT, 'deploy', 'examples');

describe('the npm start demo', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('its config validates', () => {
    const r = spawnSync(process.execPath, [CLI, 'validate', '--config', path.join(EXAMPLES, 'local.yaml')], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.stderr + r.stdout).toMatch(/config OK: 3 inputs, 1 outputs/i);
    expect(r.status).toBe(0);
  });

  it('a bounded run gives multi-line Java errors with error.*, parsed JSON lines and nginx http.* fields', async () => {
    const root = await h.tmp('demo');
    const writer = track(spawn(process.execPath, [path.join(EXAMPLES, 'demo-writer.mjs'), path.join('demo', 'logs')], { cwd: root, env: { ...process.env, DEMO_COUNT: '60', DEMO_RATE: '200' }, stdio: ['ignore', 'ignore', 'pipe'] }));
    let writerErr = '';
    writer.stderr!.setEncoding('utf8').on('data', (s: string) => (writerErr += s));
    const writerCode = await new Promise<number | null>((r) => writer.once('exit', (code) => r(code)));
    expect(writerCode, writerErr).toBe(0);

    const config = path.join(root, 'local.yaml');
    copyFileSync(path.join(EXAMPLES, 'local.yaml'), config);
    const proc = h.start(config);
    const out = new OutputReader(path.join(root, 'out'));
    const javaError = () => out.events.find((e) => field(e.raw, 'service.name') === 'demo-shop' && typeof field(e.raw, 'error.type') === 'string');
    const jsonLine = () => out.events.find((e) => field(e.raw, 'service.name') === 'demo-notifier');
    const accessLine = () => out.events.find((e) => field(e.raw, 'service.name') === 'demo-nginx');
    await waitFor(out, () => javaError() !== undefined && jsonLine() !== undefined && accessLine() !== undefined, () => `${out.events.length} events, none yet of some kind`, { timeoutMs: 120_000, stallMs: 120_000, proc, what: 'one event of each application' });

    // The writer's first entry is a stack trace: `java.lang.IllegalStateException: …` and its frames, one event.
    const err = javaError()!.raw;
    expect(field(err, 'error.type')).toBe('java.lang.IllegalStateException');
    expect(field(err, 'error.message')).toMatch(/^order \d+ is already being processed$/);
    expect(String(field(err, 'error.stack_trace'))).toContain('\n\tat com.example.shop.orders.OrderService.lock(OrderService.java:212)\n');
    expect(String(field(err, 'message'))).toContain('\nCaused by: java.sql.SQLTransientConnectionException');
    // The Java service's plain lines: level, logger and thread from the line.
    const plain = out.events.find((e) => field(e.raw, 'log.logger') === 'c.e.shop.orders.OrderController')!.raw;
    expect(field(plain, 'log.level')).toBe('error');
    expect(field(plain, 'process.thread.name')).toMatch(/^(http-nio|scheduler|kafka)/);

    const json = jsonLine()!.raw;
    expect(['info', 'warn', 'error']).toContain(field(json, 'log.level'));
    expect(typeof field(json, 'message')).toBe('string');
    expect(String(field(json, 'message'))).not.toContain('{');
    expect(field(json, 'trace.id')).toMatch(/^[0-9a-f]{16}$/);
    // pino's epoch-ms `time` is the event's time, not the time logship read it.
    expect(field(json, '@timestamp')).toMatch(/\.\d{3}Z$/);

    const access = accessLine()!.raw;
    expect(typeof field(access, 'http.response.status_code')).toBe('number');
    expect(field(access, 'http.request.method')).toMatch(/^(GET|POST|PUT|DELETE)$/);
    expect(field(access, 'url.path')).toMatch(/^\/(api|healthz)/);

    expect(out.events.filter((e) => e.tags.includes('parse_failure'))).toEqual([]);
    expect((await proc.stop()).code).toBe(0);
  });
});

describe('npm start builds only when the sources changed', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A tree with sources and a build stamp, every mtime set by the test (no clock involved). */
  function tree(): string {
    const root = mkdtempSync(path.join(os.tmpdir(), 'logship-stale-'));
    dirs.push(root);
    for (const d of ['src/a', 'parsers', 'outputs', 'dist']) mkdirSync(path.join(root, d), { recursive: true });
    for (const f of ['cli.ts', 'src/a/x.ts', 'parsers/p.ts', 'outputs/o.ts', 'tsconfig.json', 'dist/.build-stamp']) writeFileSync(path.join(root, f), '');
    for (const p of ['cli.ts', 'src/a/x.ts', 'src/a', 'src', 'parsers/p.ts', 'parsers', 'outputs/o.ts', 'outputs', 'tsconfig.json']) utimesSync(path.join(root, p), 1000, 1000);
    utimesSync(path.join(root, 'dist/.build-stamp'), 2000, 2000);
    return root;
  }

  it('up to date, a changed file, a removed file, no build yet', async () => {
    const { staleReason } = (await import(path.join(EXAMPLES, 'build-if-stale.mjs'))) as { staleReason: (root: string) => string | undefined };
    const root = tree();
    expect(staleReason(root)).toBeUndefined();
    utimesSync(path.join(root, 'src/a/x.ts'), 3000, 3000);
    expect(staleReason(root)).toBe('src changed since the last build');
    utimesSync(path.join(root, 'src/a/x.ts'), 1000, 1000);
    rmSync(path.join(root, 'parsers/p.ts'));
    utimesSync(path.join(root, 'parsers'), 3000, 3000);
    expect(staleReason(root)).toBe('parsers changed since the last build');
    rmSync(path.join(root, 'dist/.build-stamp'));
    expect(staleReason(root)).toBe('no build yet');
  });
});
