// TypeScript side of numbered-writer.mjs: start it as a child process, answer
// its rotation handshakes, and format lines the same way it does.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { track } from './logship-process.js';

export const WRITER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'numbered-writer.mjs');

export type RotationMode = 'none' | 'rename' | 'copytruncate' | 'truncate-rewrite';

export interface WriterOptions {
  file: string;
  start?: number;
  count: number;
  prefix?: string;
  lineBytes?: number;
  mode?: RotationMode;
  rotateEvery?: number;
  rotateAt?: number[];
  /** Number the copies as logrotate does (newest is `.1`, older ones shift up), keeping this many. */
  keep?: number;
  /** Lines per second; as fast as it can when left out. */
  rate?: number;
  /**
   * Called before each rotation (after line `after` was written); the writer
   * rotates when the returned promise resolves.
   */
  beforeRotate?: (after: number) => Promise<void>;
}

export interface WriterResult {
  written: number;
  first: number;
  last: number;
  rotations: { after: number; to?: string }[];
  ms: number;
}

export interface RunningWriter {
  readonly pid: number | undefined;
  readonly done: Promise<WriterResult>;
  kill(): void;
  /** Ends the writer after the line it is writing (SIGTERM); resolves with how far it got. */
  stop(): Promise<WriterResult>;
  /**
   * Holds the writer (SIGSTOP) while the reader is more than `maxAhead` lines
   * behind it, and lets it go on (SIGCONT) once the reader has made up half of
   * that: a slow machine gets a smaller backlog, not a longer test. Call it
   * from the test's polling loop.
   */
  pace(linesAhead: number, maxAhead: number): void;
}

/** Formats line `n` exactly as numbered-writer.mjs does (with its trailing newline). */
export function formatLine(n: number, prefix = '', lineBytes = 100): string {
  const head = `${prefix}line-${String(n).padStart(6, '0')} `;
  const pad = Math.max(0, lineBytes - Buffer.byteLength(head) - 1);
  return head + 'x'.repeat(pad) + '\n';
}

/** Lines first..last (inclusive), joined. */
export function formatLines(first: number, last: number, prefix = '', lineBytes = 100): string {
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(formatLine(n, prefix, lineBytes));
  return out.join('');
}

export function startWriter(opts: WriterOptions): RunningWriter {
  const args = [WRITER_SCRIPT, '--file', opts.file, '--count', String(opts.count)];
  if (opts.start !== undefined) args.push('--start', String(opts.start));
  if (opts.prefix) args.push('--prefix', opts.prefix);
  if (opts.lineBytes !== undefined) args.push('--line-bytes', String(opts.lineBytes));
  if (opts.mode) args.push('--mode', opts.mode);
  if (opts.rotateEvery) args.push('--rotate-every', String(opts.rotateEvery));
  if (opts.rotateAt?.length) args.push('--rotate-at', opts.rotateAt.join(','));
  if (opts.rate) args.push('--rate', String(opts.rate));
  if (opts.keep) args.push('--keep', String(opts.keep));
  if (opts.beforeRotate) args.push('--handshake');
  const child = spawn(process.execPath, args, {
    stdio: opts.beforeRotate ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  if (opts.beforeRotate) {
    const hook = opts.beforeRotate;
    child.on('message', (m: { type?: string; after?: number }) => {
      if (m?.type !== 'rotate') return;
      hook(m.after!).then(
        () => child.connected && child.send('go'),
        (err) => {
          stderr += `beforeRotate failed: ${err}\n`;
          child.kill('SIGKILL');
        },
      );
    });
  }
  const done = new Promise<WriterResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) {
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()!) as WriterResult);
        } catch (err) {
          reject(new Error(`numbered-writer printed no summary: ${stdout} ${stderr} ${err}`));
        }
      } else {
        reject(new Error(`numbered-writer exited code=${code} signal=${signal}: ${stderr.trim()}`));
      }
    });
  });
  // A rejected writer is reported by the test that awaits it; avoid an unhandled rejection meanwhile.
  done.catch(() => {});
  let held = false;
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid,
    done,
    kill: () => child.kill('SIGKILL'),
    stop: () => {
      if (running()) {
        if (held) child.kill('SIGCONT');
        child.kill('SIGTERM');
      }
      return done;
    },
    pace: (linesAhead, maxAhead) => {
      if (!running()) return;
      if (!held && linesAhead > maxAhead) child.kill('SIGSTOP');
      else if (held && linesAhead <= maxAhead / 2) child.kill('SIGCONT');
      else return;
      held = !held;
    },
  };
}

/** Runs the writer to completion. */
export function runWriter(opts: WriterOptions): Promise<WriterResult> {
  return startWriter(opts).done;
}
