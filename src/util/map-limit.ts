/**
 * `fn` over `items`, at most `limit` at once, results in the items' order.
 * For many small fs calls: one at a time, each waits a thread-pool round trip
 * (long on a loaded node); all at once, thousands of promises and fds.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
