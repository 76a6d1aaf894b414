/**
 * Waits until one of `waiters` is called (by whoever has news) or `ms` pass;
 * on a timeout its entry is removed, so idle polling does not grow the list.
 */
export function waitFor(waiters: (() => void)[], ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          const i = waiters.indexOf(wake);
          if (i >= 0) waiters.splice(i, 1);
          resolve();
        }, ms)
      : undefined;
    waiters.push(wake);
  });
}

/**
 * The take() both buffers share: `read` what is there, else wait for news
 * (`waiters`) up to `maxWaitMs`; null once `ended()`, 'idle' on the timeout.
 */
export async function takeOrWait<T>(
  read: () => Promise<T | null> | T | null,
  ended: () => boolean,
  waiters: (() => void)[],
  maxWaitMs: number,
): Promise<T | null | 'idle'> {
  const until = Date.now() + maxWaitMs;
  for (;;) {
    if (ended()) return null;
    const got = await read();
    if (got) return got;
    if (Date.now() >= until) return 'idle';
    // Checked again after the read's await: a close() in between woke no one.
    if (ended()) return null;
    await waitFor(waiters, until - Date.now());
  }
}
