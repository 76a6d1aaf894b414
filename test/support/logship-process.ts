// Starts `node dist/cli.js run --config FILE` as a real child process, the way
// a user (or Kubernetes) does, and keeps every child tidy: a test's children
// are killed in afterEach, its temp dir removed (kept when the test failed).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import YAML from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'dist/cli.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Throws a clear "engine not ready" error when `npm run build` has not produced the CLI. */
export function requireEngine(): void {
  if (!existsSync(CLI)) {
    throw new Error(`engine not ready: ${path.relative(REPO_ROOT, CLI)} does not exist; run \`npm run build\` first (npm test does)`);
  }
}

// Every child started by the helpers, so afterEach (and process exit) can end them.
const live = new Set<ChildProcess>();
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}
export async function killAllChildren(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of live) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    waits.push(new Promise((r) => child.once('exit', r)));
    child.kill('SIGKILL');
  }
  await Promise.race([Promise.all(waits), sleep(5000)]);
  live.clear();
}
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const STDERR_KEEP = 256 * 1024;

export class LogshipProcess {
  private stderrBuf = '';
  private stdoutBuf = '';
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  readonly startedAt = Date.now();

  private constructor(readonly child: ChildProcess, readonly configPath: string) {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      this.stderrBuf += s;
      if (this.stderrBuf.length > STDERR_KEEP * 2) this.stderrBuf = this.stderrBuf.slice(-STDERR_KEEP);
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => {
      this.stdoutBuf += s;
      if (this.stdoutBuf.length > STDERR_KEEP * 2) this.stdoutBuf = this.stdoutBuf.slice(-STDERR_KEEP);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  static start(configPath: string, env: NodeJS.ProcessEnv = {}): LogshipProcess {
    requireEngine();
    const child = spawn(process.execPath, [CLI, 'run', '--config', configPath], {
      cwd: path.dirname(configPath),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    return new LogshipProcess(child, configPath);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get stderr(): string {
    return this.stderrBuf;
  }

  get stdout(): string {
    return this.stdoutBuf;
  }

  /** logship's own JSON log lines (non-JSON lines come back as {raw}). */
  logRecords(): Record<string, unknown>[] {
    return this.stderrBuf
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { raw: l };
        }
      });
  }

  /** Last `n` stderr lines, for failure messages. */
  stderrTail(n = 25): string {
    const lines = this.stderrBuf.split('\n').filter((l) => l !== '');
    return lines.slice(-n).map((l) => (l.length > 600 ? l.slice(0, 600) + '…' : l)).join('\n');
  }

  /** Log records at warn level or worse, compactly, for reports. */
  problems(): string[] {
    return this.logRecords()
      .filter((r) => r.raw !== undefined || ['warn', 'error', 'fatal', 40, 50, 60].includes(r.level as string | number))
      .map((r) => JSON.stringify(r).slice(0, 400));
  }

  describe(): string {
    const state = this.exit ? `exited code=${this.exit.code} signal=${this.exit.signal}` : 'running';
    return `logship pid ${this.pid} (${state}); stderr tail:\n${this.stderrTail()}`;
  }

  /** Graceful stop: SIGTERM, wait up to `timeoutMs`, then SIGKILL and throw. */
  async stop(timeoutMs = 30_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const res = await Promise.race([this.exited, sleep(timeoutMs).then(() => undefined)]);
    if (res) return res;
    this.child.kill('SIGKILL');
    await this.exited;
    throw new Error(`logship did not exit within ${timeoutMs} ms of SIGTERM; ${this.describe()}`);
  }

  /** kill -9, and wait for the process to be gone. */
  async kill9(): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/**
 * Polls `probe` until it gives something other than undefined or false, and returns that. Throws, naming `what`
 * (with `detail()`) and with logship's stderr tail, once `proc` exits or `timeoutMs` passes: a generous cap for a
 * state to be reached, never a speed a test asserts.
 */
export async function until<T>(
  what: string,
  proc: LogshipProcess,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 120_000,
  opts: { detail?: () => string; pollMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const detail = () => (opts.detail ? ` ${opts.detail()}` : '');
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (!proc.running) throw new Error(`logship exited while waiting for ${what}${detail()}: ${proc.describe()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s${detail()}: ${proc.describe()}`);
    await sleep(opts.pollMs ?? 100);
  }
}

/** logship's log records whose `msg` is `msg` (a string) or matches it (a RegExp). */
export function logLines(proc: LogshipProcess, msg: string | RegExp): Record<string, unknown>[] {
  return proc.logRecords().filter((r) => (typeof msg === 'string' ? r.msg === msg : msg.test(String(r.msg ?? ''))));
}

/** Writes `config` as YAML to `<dir>/logship.yaml` and returns its path. */
export async function writeConfig(dir: string, config: unknown, name = 'logship.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, YAML.stringify(config));
  return file;
}

export interface InputOptions {
  name?: string;
  paths: string[];
  exclude?: string[];
  start_at?: 'beginning' | 'end';
  poll_interval?: string;
  rescan_interval?: string;
  rotate_wait?: string;
  max_line_bytes?: string;
  partial_line_timeout?: string;
  [key: string]: unknown;
}

/**
 * The config every test starts from: state under `<root>/state`, the file
 * output under `<root>/out`, intervals from the CLI contract.
 */
export function baseConfig(root: string, inputs: InputOptions[], output: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inputs: inputs.map((i, n) => ({
      name: `in${n}`,
      start_at: 'beginning',
      poll_interval: '250ms',
      rescan_interval: '2s',
      rotate_wait: '5s',
      max_line_bytes: '1MiB',
      ...i,
    })),
    buffer: { path: path.join(root, 'state') },
    checkpoint: { interval: '1s' },
    outputs: [{ type: 'file', path: path.join(root, 'out'), prefix: '', sync_interval: '1s', ...output }],
  };
}

/** baseConfig with one input `app` reading `paths` (`input` on top of it) into `output`, `top` beside them, written to `<root>/logship.yaml`. */
export function appConfig(root: string, paths: string[], output: Record<string, unknown>, opts: { input?: Record<string, unknown>; top?: Record<string, unknown> } = {}): Promise<string> {
  return writeConfig(root, { ...baseConfig(root, [{ name: 'app', paths, ...opts.input }]), outputs: [output], ...opts.top });
}

/** A fresh root (`h.tmp(label)`) whose `logs/app.log` is tailed into `output` (appConfig): the file, the state dir and the config. */
export async function appLogScene(h: Harness, label: string, output: Record<string, unknown>): Promise<{ log: string; state: string; cfg: string }> {
  const root = await h.tmp(label);
  const log = path.join(root, 'logs', 'app.log');
  return { log, state: path.join(root, 'state'), cfg: await appConfig(root, [log], output) };
}

export interface Harness {
  /** A fresh temp dir for the current test (with `logs/`, `out/` and `state/` made under it). */
  tmp(label?: string): Promise<string>;
  /** Adds a line to the failure report of the current test (printed when it fails). */
  note(line: string): void;
  /** logship processes of the current test, in order, for failure reports. */
  readonly procs: LogshipProcess[];
  start(configPath: string, env?: NodeJS.ProcessEnv): LogshipProcess;
}

/**
 * Registers beforeEach/afterEach: kills the test's children, removes its temp
 * dirs (keeps and prints them when the test failed, with logship's stderr).
 */
export function useHarness(): Harness {
  let dirs: string[] = [];
  let notes: string[] = [];
  const procs: LogshipProcess[] = [];
  beforeEach(() => {
    dirs = [];
    notes = [];
    procs.length = 0;
  });
  afterEach(async (ctx) => {
    await killAllChildren();
    // The runner marks the test failed before afterEach runs (onTestFailed runs later).
    const failed = ctx.task.result?.state === 'fail';
    if (failed) {
      const report = [
        `kept temp dirs: ${dirs.join(', ')}`,
        ...notes,
        ...procs.map((p, i) => `--- logship run #${i + 1}: ${p.describe()}`),
      ];
      console.log(report.join('\n'));
    } else if (!process.env.LOGSHIP_KEEP_TMP) {
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    }
  });
  return {
    procs,
    async tmp(label = 'it') {
      const dir = await mkdtemp(path.join(os.tmpdir(), `logship-${label}-`));
      dirs.push(dir);
      await Promise.all(['logs', 'out', 'state'].map((d) => mkdir(path.join(dir, d), { recursive: true })));
      return dir;
    },
    note(line: string) {
      notes.push(line);
    },
    start(configPath: string, env?: NodeJS.ProcessEnv) {
      const p = LogshipProcess.start(configPath, env);
      procs.push(p);
      return p;
    },
  };
}
