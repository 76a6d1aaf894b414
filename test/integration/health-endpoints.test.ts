// Issue 14, health without taking the app down: a real `logship run` whose
// outputs fail for real (a file output's directory blocked, Elasticsearch
// refusing credentials or connections, a full tmpfs under the buffer).
// /health flips after the grace and back, naming the reason; /readyz stays 200
// through all of it unless an output says `readiness: required`, and fails
// while draining; /livez fails after the process was stopped (SIGSTOP) past
// max_stall. Every wait is for a state, with a generous cap.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusPortOf } from '../support/admin.js';
import { EsServer } from '../support/es-server.js';
import { baseConfig, requireEngine, sleep, until, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';

interface Answer {
  status: number;
  body: string;
}

async function get(port: number, p: string): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  return { status: res.status, body: await res.text() };
}

interface HealthJson {
  status: 'ok' | 'failing';
  phase: string;
  ready: boolean;
  problems: { check: string; output: string | null; since: string | null; reason: string }[];
  outputs: { name: string; failingSince: string | null; lastError: string | null; bufferFill: number; diskFull: boolean; readiness: string }[];
}

async function health(port: number): Promise<{ status: number; json: HealthJson }> {
  const a = await get(port, '/health?format=json');
  return { status: a.status, json: JSON.parse(a.body) as HealthJson };
}

/** Waits for /health?format=json to answer `status` with a body that `pred` accepts. */
function healthIs(proc: LogshipProcess, port: number, what: string, status: number, pred: (j: HealthJson) => boolean = () => true): Promise<HealthJson> {
  return until(`/health ${status} (${what})`, proc, async () => {
    const h = await health(port);
    return h.status === status && pred(h.json) && h.json;
  });
}

const lines = (from: number, n: number, width = 100) => Array.from({ length: n }, (_, i) => `line-${from + i} `.padEnd(width, 'x')).join('\n') + '\n';

/** A file output under `<root>/out` whose `blocked/` prefix directory is a plain file: every write fails until unblock(). */
function blockedFileOutput(root: string) {
  const out = path.join(root, 'out');
  mkdirSync(out, { recursive: true });
  const blocker = path.join(out, 'blocked');
  writeFileSync(blocker, 'not a directory');
  return { output: { prefix: 'blocked/' }, unblock: () => rmSync(blocker) };
}

/** Short backoffs, so a test does not wait out production ones. */
const esOutputFor = (es: EsServer, index: string) => ({ type: 'elasticsearch', name: 'es', hosts: es.url, index, retry: { initial_backoff: '50ms', max_backoff: '500ms' }, batch: { timeout: '100ms' } });

const server = (over: Record<string, unknown> = {}) => ({ listen: '127.0.0.1:0', health: { output_failure_grace: '500ms', ...over } });

describe('health, readiness and liveness endpoints', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('a file output that cannot write and a buffer above its high-water mark fail /health after the grace (reasons named, logged once); /readyz stays 200; both clear when the output delivers', async () => {
    const root = await h.tmp('health-outage');
    const file = path.join(root, 'logs', 'app.log');
    // 7,000 lines of 100 bytes: over half of a 1 MiB buffer.
    writeFileSync(file, lines(0, 7000));
    const { output, unblock } = blockedFileOutput(root);
    const cfg = await writeConfig(root, { ...baseConfig(root, [{ paths: [file] }], { ...output, buffer: { max_size: '1MiB' } }), server: server({ buffer_high_water: 0.5 }) });
    const proc = h.start(cfg);
    const port = await statusPortOf(proc);

    const failing = await healthIs(proc, port, 'output failing and buffer above 50%', 503, (j) => ['output_failing', 'buffer_high_water'].every((c) => j.problems.some((p) => p.check === c)));
    const outage = failing.problems.find((p) => p.check === 'output_failing')!;
    expect(outage.output).toBe('file-0');
    expect(outage.reason).toMatch(/^output file-0 failing for [\d.]+ s: .*(ENOTDIR|EEXIST|not a directory)/);
    expect(failing).toMatchObject({ phase: 'running', ready: true });
    expect(failing.outputs[0]).toMatchObject({ name: 'file-0', readiness: 'ignored', diskFull: false });
    expect(failing.outputs[0]!.bufferFill).toBeGreaterThan(0.5);
    const text = await get(port, '/health');
    expect(text.status).toBe(503);
    expect(text.body).toMatch(/^failing\n/);
    expect(text.body).toContain('output_failing: output file-0 failing for');
    expect(text.body).toContain('buffer_high_water: buffer of file-0');
    expect(await get(port, '/readyz')).toEqual({ status: 200, body: 'ready\n' });
    expect((await get(port, '/livez')).status).toBe(200);
    await until('the change logged', proc, () => proc.logRecords().some((r) => r.msg === 'health: failing' && (r.reasons as string[]).some((s) => s.includes('file-0 failing'))));

    unblock();
    const ok = await healthIs(proc, port, 'delivered again', 200);
    expect(ok).toMatchObject({ status: 'ok', problems: [], ready: true });
    expect(ok.outputs[0]!.failingSince).toBeNull();
    expect(await get(port, '/health')).toEqual({ status: 200, body: 'ok\n' });
    await until('the recovery logged', proc, () => proc.logRecords().some((r) => r.msg === 'health: ok'));
    expect((await proc.stop()).code).toBe(0);
    // Readiness changed once while running (starting → ready): the outage was never its business.
    expect(proc.logRecords().filter((r) => typeof r.msg === 'string' && r.msg.startsWith('readiness: ')).map((r) => r.msg)[0]).toBe('readiness: ready');
    expect(proc.logRecords().filter((r) => r.msg === 'readiness: not ready').every((r) => (r.reasons as string[]).every((s) => s.startsWith('draining')))).toBe(true);
  });

  it('an output marked readiness: required fails /readyz while it fails, and not after; draining fails /readyz and /health whatever the outputs do', async () => {
    const es = await EsServer.start();
    try {
      const root = await h.tmp('health-required');
      const file = path.join(root, 'logs', 'app.log');
      writeFileSync(file, lines(0, 10));
      const cfg = await writeConfig(root, {
        ...baseConfig(root, [{ paths: [file] }]),
        outputs: [{ ...esOutputFor(es, 'health-required'), readiness: 'required' }],
        server: server(),
        shutdown: { timeout: '5m' },
      });
      const proc = h.start(cfg);
      const port = await statusPortOf(proc);
      await until('the first documents', proc, () => es.count('health-required') >= 10);
      await until('/readyz 200', proc, async () => (await get(port, '/readyz')).status === 200);

      await es.down('refuse');
      appendFileSync(file, lines(10, 10));
      const notReady = await until('/readyz 503', proc, async () => {
        const a = await get(port, '/readyz');
        return a.status === 503 && a;
      });
      expect(notReady.body).toMatch(/^not ready\noutput es failing for [\d.]+ s: /);
      expect((await health(port)).json.outputs[0]!.readiness).toBe('required');
      await until('readiness change logged', proc, () => proc.logRecords().some((r) => r.msg === 'readiness: not ready' && (r.reasons as string[])[0]!.startsWith('output es failing')));

      await es.up();
      await until('/readyz 200 again', proc, async () => (await get(port, '/readyz')).status === 200);
      await until('readiness back logged', proc, () => proc.logRecords().filter((r) => r.msg === 'readiness: ready').length >= 2);

      // A drain held open by the output being down again.
      await es.down('refuse');
      appendFileSync(file, lines(20, 10));
      proc.child.kill('SIGTERM');
      const draining = await healthIs(proc, port, 'draining', 503, (j) => j.phase === 'draining');
      expect(draining.problems[0]).toMatchObject({ check: 'draining', output: null });
      expect(draining.ready).toBe(false);
      const readyz = await get(port, '/readyz');
      expect(readyz.status).toBe(503);
      expect(readyz.body).toMatch(/^not ready\ndraining/);
      await es.up();
      expect((await proc.exited).code).toBe(0);
      expect(es.count('health-required')).toBe(30);
    } finally {
      await es.close();
    }
  });

  it('elasticsearch refusing the credentials (401) fails /health with the reason; /readyz stays 200', async () => {
    const es = await EsServer.start({ auth: { username: 'shipper', password: 'right' } });
    try {
      const root = await h.tmp('health-401');
      const file = path.join(root, 'logs', 'app.log');
      writeFileSync(file, lines(0, 10));
      const cfg = await writeConfig(root, {
        ...baseConfig(root, [{ paths: [file] }]),
        outputs: [{ ...esOutputFor(es, 'health-401'), auth: { username: 'shipper', password: 'wrong' } }],
        server: server(),
        // The output never delivers: the stop gives up on it (its events stay in the buffer) soon.
        shutdown: { timeout: '1s' },
      });
      const proc = h.start(cfg);
      const port = await statusPortOf(proc);
      const failing = await healthIs(proc, port, 'es failing', 503, (j) => j.problems.some((p) => p.check === 'output_failing'));
      expect(failing.problems[0]).toMatchObject({ check: 'output_failing', output: 'es' });
      expect(failing.problems[0]!.reason).toMatch(/HTTP 401 security_exception: unable to authenticate user \[shipper\]/);
      expect((await get(port, '/readyz')).status).toBe(200);
      expect((await proc.stop()).code).toBe(0);
    } finally {
      await es.close();
    }
  });

  it('elasticsearch down mid-run (connections refused, retried inside the output) fails /health after the grace and clears once it is back', async () => {
    const es = await EsServer.start();
    try {
      const root = await h.tmp('health-es-down');
      const file = path.join(root, 'logs', 'app.log');
      writeFileSync(file, lines(0, 10));
      const cfg = await writeConfig(root, {
        ...baseConfig(root, [{ paths: [file] }]),
        outputs: [esOutputFor(es, 'health-down')],
        server: server(),
      });
      const proc = h.start(cfg);
      const port = await statusPortOf(proc);
      await until('the first documents', proc, () => es.count('health-down') >= 10);
      await healthIs(proc, port, 'healthy while delivering', 200);

      await es.down('refuse');
      appendFileSync(file, lines(10, 10));
      const failing = await healthIs(proc, port, 'es unreachable', 503, (j) => j.problems.some((p) => p.check === 'output_failing' && p.output === 'es'));
      expect(failing.problems[0]!.reason).toMatch(/^output es failing for [\d.]+ s: requests failing and retried/);
      expect((await get(port, '/readyz')).status).toBe(200);

      await es.up();
      await until('every document', proc, () => es.count('health-down') >= 20);
      await healthIs(proc, port, 'healthy again', 200);
      expect((await proc.stop()).code).toBe(0);
    } finally {
      await es.close();
    }
  });

  it('/livez fails after the process was stopped (SIGSTOP) longer than max_stall, then turns 200 again', async () => {
    const root = await h.tmp('health-livez');
    const file = path.join(root, 'logs', 'app.log');
    writeFileSync(file, lines(0, 10));
    const cfg = await writeConfig(root, { ...baseConfig(root, [{ paths: [file] }]), server: { listen: '127.0.0.1:0', liveness: { max_stall: '2s' } } });
    const proc = h.start(cfg);
    const port = await statusPortOf(proc);
    await until('/livez 200', proc, async () => (await get(port, '/livez')).status === 200);
    proc.child.kill('SIGSTOP');
    let answer: Answer;
    try {
      // Stopped at least this long, however slow the machine: well past max_stall.
      await sleep(5000);
      // Sent while stopped: the kernel queues it; it is answered once the process runs again, before the
      // timer (it is behind) or just after it (the stall it measured is reported for max_stall).
      const pending = get(port, '/livez');
      await sleep(200);
      proc.child.kill('SIGCONT');
      answer = await pending;
    } finally {
      proc.child.kill('SIGCONT');
    }
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/^not live\nevent loop stalled/);
    await until('/livez 200 again', proc, async () => (await get(port, '/livez')).status === 200);
    const stall = await until('the stall logged', proc, () => proc.logRecords().find((r) => r.msg === 'liveness: event loop stalled'));
    expect(stall.stallMs as number).toBeGreaterThan(2000);
    expect((await proc.stop()).code).toBe(0);
  });
});

const IS_ROOT = process.getuid?.() === 0;

describe.skipIf(!IS_ROOT)('health on a full disk (a real 8 MiB tmpfs under buffer.path; skipped unless root, which mounting needs)', () => {
  const h = useHarness();
  let mnt = '';
  beforeAll(() => {
    requireEngine();
    mnt = mkdtempSync(path.join(os.tmpdir(), 'logship-health-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  });
  afterAll(() => {
    if (!mnt) return;
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it('a buffer write waiting for space fails /health with disk_full; /readyz stays 200', async () => {
    const root = await h.tmp('health-disk');
    const file = path.join(root, 'logs', 'app.log');
    // 120,000 lines of 100 bytes: more than the tmpfs holds.
    writeFileSync(file, lines(0, 120_000));
    const { output } = blockedFileOutput(root);
    const cfg = await writeConfig(root, {
      ...baseConfig(root, [{ paths: [file] }], { ...output }),
      buffer: { path: path.join(mnt, 'state'), segment_size: '256KiB' },
      server: server({ output_failure_grace: '1h' }),
    });
    const proc = h.start(cfg);
    const port = await statusPortOf(proc);
    const full = await healthIs(proc, port, 'disk full', 503, (j) => j.problems.some((p) => p.check === 'disk_full'));
    expect(full.problems.find((p) => p.check === 'disk_full')!.reason).toMatch(/^buffer of file-0: disk full/);
    expect(full.outputs[0]!.diskFull).toBe(true);
    expect((await get(port, '/readyz')).status).toBe(200);
    await proc.kill9();
  });
});
