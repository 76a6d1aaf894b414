/** Thrown when a reload step outlives `reload.timeout`: the reload is rolled back. */
export class ReloadTimeout extends Error {}

/**
 * `work`, or a ReloadTimeout once `deadline` (epoch ms) passes. The work is not
 * cancelled: `late` receives its result if it comes after all, to release it.
 */
export function beforeDeadline<T>(work: Promise<T>, deadline: number, what: string, late?: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new ReloadTimeout(`reload.timeout reached while ${what}`));
    }, Math.max(0, deadline - Date.now()));
    // A reload still waiting never holds an exiting process.
    timer.unref();
  });
  work.then(
    (value) => {
      if (timedOut) late?.(value);
    },
    () => {},
  );
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
