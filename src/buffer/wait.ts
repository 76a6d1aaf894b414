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
