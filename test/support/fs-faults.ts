// Fault injection for node:fs/promises in unit tests: a test file registers
// the mock with `vi.mock('node:fs/promises', mockFsWithFaults)` and adds rules
// with `injectFault`. A rule fails the matching calls with an errno error,
// `times` times (Infinity: until `clearFaults`). `holdAfterClose` holds the
// caller of a matching FileHandle close after the close itself is done, to
// open a race's window at will. Everything else is real I/O.
import type * as FsPromises from 'node:fs/promises';

export type FaultOp = 'write' | 'writeFile' | 'sync' | 'open' | 'unlink' | 'rename';

interface Rule {
  op: FaultOp;
  match: RegExp;
  code: string;
  times: number;
}

const rules: Rule[] = [];

interface Hold {
  match: RegExp;
  reached: () => void;
  released: Promise<void>;
}
const holds: Hold[] = [];

/** The next close of a FileHandle whose path matches completes, then its caller waits until `release()`. */
export function holdAfterClose(match: RegExp): { reached: Promise<void>; release(): void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  holds.push({ match, reached, released: new Promise<void>((r) => (release = r)) });
  return { reached: reachedP, release };
}

export function injectFault(op: FaultOp, match: RegExp, code: string, times = Infinity): void {
  rules.push({ op, match, code, times });
}

export function clearFaults(): void {
  rules.length = 0;
  holds.length = 0;
}

function fail(op: FaultOp, path: string): void {
  const rule = rules.find((r) => r.op === op && r.times > 0 && r.match.test(path));
  if (!rule) return;
  rule.times--;
  throw Object.assign(new Error(`${rule.code}: injected, ${op} '${path}'`), { code: rule.code });
}

export async function mockFsWithFaults(importOriginal: () => Promise<unknown>): Promise<typeof FsPromises> {
  const real = (await importOriginal()) as typeof FsPromises;
  const open: typeof real.open = async (path, flags, mode) => {
    const p = String(path);
    fail('open', p);
    const fh = await real.open(path, flags, mode);
    return new Proxy(fh, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        if (prop === 'write' || prop === 'writeFile' || prop === 'sync') {
          return async (...args: unknown[]) => {
            fail(prop, p);
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        if (prop === 'close') {
          return async () => {
            await target.close();
            const i = holds.findIndex((h) => h.match.test(p));
            if (i === -1) return;
            const [hold] = holds.splice(i, 1);
            hold!.reached();
            await hold!.released;
          };
        }
        return (v as (...a: unknown[]) => unknown).bind(target);
      },
    });
  };
  const unlink: typeof real.unlink = async (path) => {
    fail('unlink', String(path));
    return real.unlink(path);
  };
  const rename: typeof real.rename = async (a, b) => {
    fail('rename', String(a));
    return real.rename(a, b);
  };
  const mocked = { ...real, open, unlink, rename };
  return { ...mocked, default: mocked } as typeof FsPromises;
}

/** Polls `pred` until it holds; a generous cap names what never happened (no clock in the assertion itself). */
export async function waitUntil(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
