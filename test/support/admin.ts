// Talks to logship's admin listener (server.admin_listen) in tests: its port
// from the start-up log line, /api/status, and /api/tap streams collected line
// by line. Every wait is for a state, with a generous overall timeout.
import http from 'node:http';
import type { LogshipProcess } from './logship-process.js';
import { sleep } from './logship-process.js';

/** Polls `check` until it returns a value other than undefined; throws `describe()` after `timeoutMs`. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, describe: () => string, timeoutMs = 60_000, proc?: LogshipProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (proc && !proc.running) throw new Error(`logship exited while waiting: ${describe()}\n${proc.describe()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${describe()}${proc ? `\n${proc.describe()}` : ''}`);
    await sleep(200);
  }
}

/** The port a listener logged (`msg` of its start-up line). */
export function portOf(proc: LogshipProcess, msg: string): Promise<number> {
  return until(() => proc.logRecords().find((r) => r.msg === msg)?.port as number | undefined, () => `no "${msg}" line in stderr`, 60_000, proc);
}

export const adminPortOf = (proc: LogshipProcess) => portOf(proc, 'admin listener listening (/ /api/status /api/tap)');
export const statusPortOf = (proc: LogshipProcess) => portOf(proc, 'status server listening (/livez /readyz /metrics)');

/** The parts of /api/status the tests read. */
export interface Status {
  phase: string;
  ready: boolean;
  notReady: { check: string; output: string | null; reason: string }[];
  inputs: { name: string; filesTracked: number; lagBytes: number; lines: number; events: number; parseFailures: number; files: { path: string; offset: number; size: number; lagBytes: number }[] }[];
  outputs: { name: string; type: string; acknowledged: number; pendingEvents: number; bufferBytes: number; oldestAgeSeconds: number | null; failure: string | null; retries: number }[];
  lastErrors: { time: string; source: string; message: string }[];
  history: { intervalSeconds: number; outputs: Record<string, { eventsPerSecond: number[]; bufferBytes: number[] }> };
}

export async function getStatus(port: number): Promise<Status> {
  const res = await fetch(`http://127.0.0.1:${port}/api/status`);
  if (res.status !== 200) throw new Error(`/api/status: HTTP ${res.status}`);
  return (await res.json()) as Status;
}

/** One /api/tap stream: its lines as they come; `pause()`/`resume()` stop and restart reading the socket. */
export class TapStream {
  readonly lines: Record<string, unknown>[] = [];
  status: number | undefined;
  body = '';
  ended = false;
  private res: http.IncomingMessage | undefined;
  private rest = '';
  private readonly req: http.ClientRequest;

  constructor(port: number, query: string) {
    this.req = http.get(`http://127.0.0.1:${port}/api/tap?${query}`, (res) => {
      this.res = res;
      this.status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (this.status !== 200) {
          this.body += chunk;
          return;
        }
        const parts = (this.rest + chunk).split('\n');
        this.rest = parts.pop()!;
        for (const p of parts) if (p !== '') this.lines.push(JSON.parse(p) as Record<string, unknown>);
      });
      res.on('end', () => (this.ended = true));
      res.on('error', () => (this.ended = true));
    });
    this.req.on('error', () => (this.ended = true));
  }

  get events(): Record<string, unknown>[] {
    return this.lines.filter((l) => l.tap === undefined);
  }

  notices(kind: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.tap === kind);
  }

  /** Waits for the server's `attached` notice: events from now on reach this tap. */
  attached(proc?: LogshipProcess): Promise<true> {
    return until(() => (this.notices('attached').length > 0 ? true : undefined), () => `tap not attached (status ${this.status}, ${this.lines.length} lines)`, 60_000, proc);
  }

  pause(): void {
    this.res?.pause();
  }

  resume(): void {
    this.res?.resume();
  }

  close(): void {
    this.req.destroy();
  }
}
