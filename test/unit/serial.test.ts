import { describe, expect, it } from 'vitest';
import { Coalescer, SerialQueue } from '../../src/util/serial.js';

/** A promise settled from outside: the tests decide when each task ends. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run (one macrotask turn). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** What state a promise is in, without waiting for it. */
async function state(p: Promise<unknown>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  let s: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  p.then(
    () => (s = 'fulfilled'),
    () => (s = 'rejected'),
  );
  await settle();
  return s;
}

describe('SerialQueue', () => {
  it('runs tasks one at a time, in the order given, each caller getting its own result', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const results = gates.map((g, i) =>
      q.run(async () => {
        log.push(`start ${i}`);
        await g.promise;
        log.push(`end ${i}`);
        return i * 10;
      }),
    );
    await settle();
    expect(log).toEqual(['start 0']);
    gates[1]!.resolve();
    await settle();
    expect(log).toEqual(['start 0']);
    gates[0]!.resolve();
    await settle();
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2']);
    gates[2]!.resolve();
    await expect(Promise.all(results)).resolves.toEqual([0, 10, 20]);
  });

  it('does not start a task in the caller’s stack, even when idle', async () => {
    const q = new SerialQueue();
    let ran = false;
    const p = q.run(() => {
      ran = true;
    });
    expect(ran).toBe(false);
    await p;
    expect(ran).toBe(true);
  });

  it('by default a failure is its caller’s alone: the next task runs', async () => {
    const q = new SerialQueue();
    const failed = q.run(() => Promise.reject(new Error('disk full')));
    const thrown = q.run(() => {
      throw new Error('sync throw');
    });
    const next = q.run(() => 'ok');
    await expect(failed).rejects.toThrow('disk full');
    await expect(thrown).rejects.toThrow('sync throw');
    await expect(next).resolves.toBe('ok');
  });

  it('with skipAfterFailure, later tasks do not run and fail with the first error', async () => {
    const q = new SerialQueue({ skipAfterFailure: true });
    const ran: number[] = [];
    const first = q.run(() => {
      ran.push(1);
    });
    const failed = q.run(() => Promise.reject(new Error('EIO')));
    const later = [q.run(() => void ran.push(3)), q.run(() => void ran.push(4))];
    await expect(first).resolves.toBeUndefined();
    await expect(failed).rejects.toThrow('EIO');
    for (const p of later) await expect(p).rejects.toThrow('EIO');
    const afterwards = q.run(() => void ran.push(5));
    await expect(afterwards).rejects.toThrow('EIO');
    expect(ran).toEqual([1]);
  });

  it('settled() waits for every task given so far and never rejects', async () => {
    for (const skipAfterFailure of [false, true]) {
      const q = new SerialQueue({ skipAfterFailure });
      const gate = deferred();
      const failing = q.run(async () => {
        await gate.promise;
        throw new Error('boom');
      });
      failing.catch(() => {});
      const settled = q.settled();
      expect(await state(settled)).toBe('pending');
      gate.resolve();
      await expect(settled).resolves.toBeUndefined();
    }
  });
});

describe('Coalescer', () => {
  /** A task whose runs the test ends one by one. */
  function gatedTask() {
    const runs: ReturnType<typeof deferred<number>>[] = [];
    const task = () => {
      const d = deferred<number>();
      runs.push(d);
      return d.promise;
    };
    return { runs, task };
  }

  it('an idle request runs the task once', async () => {
    const { runs, task } = gatedTask();
    const c = new Coalescer(task);
    const p = c.request();
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]!.resolve(7);
    await expect(p).resolves.toBe(7);
  });

  it('while one runs, at most one waits, and every request made meanwhile shares it', async () => {
    const { runs, task } = gatedTask();
    const c = new Coalescer(task);
    const running = c.request();
    await settle();
    const waiting = [c.request(), c.request(), c.request()];
    expect(waiting[1]).toBe(waiting[0]);
    expect(waiting[2]).toBe(waiting[0]);
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]!.resolve(1);
    await expect(running).resolves.toBe(1);
    await settle();
    expect(runs).toHaveLength(2);
    // The waiting run has started: a request now is not covered by it, and waits for a third.
    const third = c.request();
    expect(third).not.toBe(waiting[0]);
    runs[1]!.resolve(2);
    for (const p of waiting) await expect(p).resolves.toBe(2);
    await settle();
    expect(runs).toHaveLength(3);
    runs[2]!.resolve(3);
    await expect(third).resolves.toBe(3);
  });

  it('a failed run fails its own callers only; the waiting run still goes', async () => {
    const { runs, task } = gatedTask();
    const c = new Coalescer(task);
    const running = c.request();
    await settle();
    const waiting = c.request();
    runs[0]!.reject(new Error('fsync failed'));
    await expect(running).rejects.toThrow('fsync failed');
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]!.resolve(5);
    await expect(waiting).resolves.toBe(5);
  });

  it('on a shared queue, its run takes its turn behind the queue’s other tasks', async () => {
    const q = new SerialQueue();
    const { runs, task } = gatedTask();
    const c = new Coalescer(task, q);
    const other = deferred();
    const log: string[] = [];
    const before = q.run(async () => {
      log.push('other');
      await other.promise;
    });
    const coalesced = [c.request(), c.request()];
    expect(coalesced[1]).toBe(coalesced[0]);
    await settle();
    expect(log).toEqual(['other']);
    expect(runs).toHaveLength(0);
    other.resolve();
    await before;
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]!.resolve(9);
    await expect(coalesced[0]).resolves.toBe(9);
  });
});
