// The admin listener (docs/live-view.md): /api/status figures against what
// a real run read and delivered, `logship top --once`, and `logship tap` at
// each stage with its filters, limit, the raw-line guard and drops for a slow
// reader. Nothing of it is on server.listen.
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminPortOf, getStatus, statusPortOf, TapStream, until } from '../support/admin.js';
import { baseConfig, CLI, requireEngine, track, useHarness, writeConfig } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

/** Runs `logship ARGS` to its end: exit code, stdout, stderr. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = track(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const json = (i: number, text = `event ${i}`) => `${JSON.stringify({ level: 'info', message: text })}\n`;

describe('admin listener', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('serves /api/status with the figures of the run, the page and top, and nothing of it on server.listen', async () => {
    const root = await h.tmp('admin-status');
    const file = path.join(root, 'logs', 'app.log');
    let text = '';
    for (let i = 0; i < 500; i++) text += json(i);
    text += 'not json 1\nnot json 2\nnot json 3\n';
    writeFileSync(file, text);
    const config = { ...baseConfig(root, [{ name: 'app', paths: [file], parser: 'json' }]), server: { listen: '127.0.0.1:0', admin_listen: '127.0.0.1:0' } };
    const proc = h.start(await writeConfig(root, config));
    const admin = await adminPortOf(proc);
    const listen = await statusPortOf(proc);

    const status = await until(
      async () => {
        const s = await getStatus(admin);
        return s.inputs[0]?.events === 503 && s.outputs[0]?.acknowledged === 503 && s.outputs[0].pendingEvents === 0 ? s : undefined;
      },
      () => 'status showing 503 events read and acknowledged',
      60_000,
      proc,
    );
    const [input] = status.inputs;
    expect(input).toMatchObject({ name: 'app', filesTracked: 1, lagBytes: 0, lines: 503, events: 503, parseFailures: 3 });
    expect(input!.files).toEqual([{ path: file, offset: text.length, size: text.length, lagBytes: 0 }]);
    expect(status.outputs[0]).toMatchObject({ name: 'file-0', type: 'file', failure: null, oldestAgeSeconds: null });
    expect(status.ready).toBe(true);
    expect(status.lastErrors.some((e) => e.source === 'input app' && e.message.startsWith('parse failure'))).toBe(true);
    expect(status.history.intervalSeconds).toBe(1);
    expect(status.history.outputs['file-0']!.bufferBytes.length).toBeGreaterThan(0);

    const page = await fetch(`http://127.0.0.1:${admin}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<title>logship status</title>');
    // The probes' listener (the pod IP) shows none of it.
    for (const p of ['/', '/api/status', '/api/tap?stage=parsed']) expect((await fetch(`http://127.0.0.1:${listen}${p}`)).status).toBe(404);
    // Raw lines are refused unless admin_allow_raw; a name that is not there is named.
    const raw = await fetch(`http://127.0.0.1:${admin}/api/tap?stage=read`);
    expect(raw.status).toBe(403);
    expect(await raw.text()).toContain('server.admin_allow_raw: true');
    const rawCli = await cli(['tap', '--server', `127.0.0.1:${admin}`, '--stage', 'read']);
    expect(rawCli.code).toBe(1);
    expect(rawCli.stderr).toContain('set server.admin_allow_raw: true');
    const unknown = await fetch(`http://127.0.0.1:${admin}/api/tap?input=nope`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('no input named \\"nope\\" (inputs: app)');

    // top: one plain frame with --once (and when stdout is not a terminal, as here).
    const top = await cli(['top', '--server', `127.0.0.1:${admin}`, '--once']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^logship at 127\.0\.0\.1:\d+: ready, running/);
    expect(top.stdout).toMatch(/^app +1 +[\d.]+ +[\d.]+ +503 +0 B +3$/m);
    expect(top.stdout).toMatch(/^file-0 +file +[\d.]+ +503 +[\d.]+ \w+ \/ 1\.0 GiB +- +0 +0 +-$/m);
    expect(top.stdout).not.toContain('\x1b[');
    const piped = await cli(['top', '--server', `127.0.0.1:${admin}`]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain('OUTPUT');

    // On a terminal (a pty made by util-linux's script): the frame is redrawn in place, every second, until stopped.
    const tty = track(spawn('script', ['-qfec', `${process.execPath} ${CLI} top --server 127.0.0.1:${admin}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] }));
    let screen = '';
    tty.stdout!.on('data', (d: Buffer) => (screen += d.toString()));
    const frames = () => screen.split('\x1b[H\x1b[2J').length - 1;
    await until(() => (frames() >= 2 ? true : undefined), () => `${frames()} frames drawn: ${JSON.stringify(screen.slice(-300))}`, 60_000, proc);
    expect(screen).toMatch(/\x1b\[H\x1b\[2Jlogship at 127\.0\.0\.1:\d+: ready/);
    tty.kill('SIGTERM');

    expect((await proc.stop()).code).toBe(0);
    const gone = await cli(['top', '--server', `127.0.0.1:${admin}`, '--once']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`cannot reach the admin listener at http://127.0.0.1:${admin}`);
    expect(gone.stderr).toContain('server.admin_listen');
  });

  it('taps events at each stage with the filters and the limit', async () => {
    const root = await h.tmp('admin-tap');
    const a = path.join(root, 'logs', 'a.log');
    const b = path.join(root, 'logs', 'b.log');
    writeFileSync(a, '');
    writeFileSync(b, '');
    const base = baseConfig(root, [
      { name: 'a', paths: [a], parser: 'json' },
      { name: 'b', paths: [b], parser: 'json', processors: [{ redact: { patterns: ['email'] } }] },
    ]);
    const outputs = [
      { type: 'file', name: 'all', path: path.join(root, 'out'), prefix: '', sync_interval: '1s' },
      { type: 'file', name: 'bonly', inputs: ['b'], path: path.join(root, 'out-b'), prefix: '', sync_interval: '1s' },
    ];
    const config = { ...base, outputs, server: { listen: '127.0.0.1:0', admin_listen: '127.0.0.1:0', admin_allow_raw: true } };
    const proc = h.start(await writeConfig(root, config));
    const port = await adminPortOf(proc);

    const parsedA = new TapStream(port, 'stage=parsed&input=a&limit=5');
    const parsedForB = new TapStream(port, 'stage=parsed&output=bonly&limit=5');
    const shippedB = new TapStream(port, 'stage=shipped&output=bonly&limit=4');
    const readB = new TapStream(port, 'stage=read&input=b&limit=3');
    for (const t of [parsedA, parsedForB, shippedB, readB]) await t.attached(proc);
    const cliTap = cli(['tap', '--server', `127.0.0.1:${port}`, '--stage', 'shipped', '--output', 'all', '--limit', '3', '--format', 'pretty']);
    await until(() => (proc.logRecords().filter((r) => r.msg === 'tap attached').length >= 5 ? true : undefined), () => 'five taps attached', 60_000, proc);

    for (let i = 0; i < 10; i++) appendFileSync(a, json(i, `a ${i}`));
    for (let i = 0; i < 10; i++) appendFileSync(b, json(i, `b ${i} mail me at someone@example.com`));

    const streams = { parsedA, parsedForB, shippedB, readB };
    await until(() => (Object.values(streams).every((t) => t.ended) ? true : undefined), () => Object.entries(streams).map(([n, t]) => `${n}: ${t.events.length} events, ended ${t.ended}`).join('; '), 60_000, proc);

    expect(parsedA.events).toHaveLength(5);
    for (const e of parsedA.events) expect(e).toMatchObject({ stage: 'parsed', input: 'a', event: { message: expect.stringMatching(/^a \d$/) } });
    expect(parsedForB.events).toHaveLength(5);
    for (const e of parsedForB.events) {
      expect(e).toMatchObject({ stage: 'parsed', input: 'b' });
      // After the processors: redacted.
      expect((e.event as { message: string }).message).toMatch(/^b \d mail me at \[REDACTED:email\]$/);
    }
    expect(shippedB.events).toHaveLength(4);
    for (const e of shippedB.events) expect(e).toMatchObject({ stage: 'shipped', output: 'bonly', event: { message: expect.stringMatching(/^b \d mail me at \[REDACTED:email\]$/) } });
    // Raw lines as read: before redaction, with file and offset.
    expect(readB.events).toEqual([0, 1, 2].map((i) => ({ stage: 'read', input: 'b', file: b, offset: i * json(0, 'b 0 mail me at someone@example.com').length, line: json(i, `b ${i} mail me at someone@example.com`).trimEnd() })));

    const pretty = await cliTap;
    expect(pretty.code).toBe(0);
    const lines = pretty.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^\S+ shipped→all INFO [ab] \d/);
    expect((await proc.stop()).code).toBe(0);
  });

  it('never waits for a tap that reads too slowly: drops are counted and told', async () => {
    const root = await h.tmp('admin-slow-tap');
    const file = path.join(root, 'logs', 'app.log');
    const config = { ...baseConfig(root, [{ name: 'app', paths: [path.join(root, 'logs', '*.log')] }]), server: { listen: '127.0.0.1:0', admin_listen: '127.0.0.1:0' } };
    const proc = h.start(await writeConfig(root, config));
    const port = await adminPortOf(proc);
    const tap = new TapStream(port, 'stage=parsed');
    await tap.attached(proc);
    tap.pause();

    // Far more than the socket buffers and the tap's queue hold: ~16 MB of tapped events.
    const N = 30_000;
    const pad = 'x'.repeat(300);
    const chunks: string[] = [];
    for (let i = 0; i < N; i++) chunks.push(`line ${i} ${pad}\n`);
    writeFileSync(file, chunks.join(''));
    // The pipeline delivers everything while the tap is stalled.
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.length >= N, () => `${reader.events.length} of ${N} events delivered`, { proc, what: 'every event', timeoutMs: 120_000 });

    tap.resume();
    const droppedTotal = () => Math.max(0, ...tap.notices('dropped').map((n) => n.droppedTotal as number));
    await until(() => (tap.events.length + droppedTotal() === N ? true : undefined), () => `${tap.events.length} received + ${droppedTotal()} dropped of ${N}`, 60_000, proc);
    expect(droppedTotal()).toBeGreaterThan(0);
    expect(tap.notices('dropped')[0]).toMatchObject({ reason: expect.stringContaining('did not wait') });
    tap.close();
    expect((await proc.stop()).code).toBe(0);
  });

  it('stops at start, in one line, when the admin address is taken', async () => {
    const root = await h.tmp('admin-in-use');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const file = path.join(root, 'logs', 'app.log');
      writeFileSync(file, 'one\n');
      const config = { ...baseConfig(root, [{ name: 'app', paths: [file] }]), server: { listen: '127.0.0.1:0', admin_listen: `127.0.0.1:${port}` } };
      const proc = h.start(await writeConfig(root, config));
      expect((await proc.exited).code).toBe(1);
      const fatal = proc.logRecords().find((r) => r.level === 'fatal');
      expect(fatal?.msg).toBe(`logship cannot run: server.admin_listen 127.0.0.1:${port}: address already in use (EADDRINUSE)`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
