import type { Logger } from '../log.js';
import { heapFlags, processMemoryBudget, type MemoryBudget } from './memory-budget.js';

/** Set in the re-executed process: its heap is sized, and it must not re-exec again. */
const SIZED_ENV = 'LOGSHIP_HEAP_SIZED';

export type HeapSizing =
  | { readonly state: 'sized'; readonly flags: string[] }
  | { readonly state: 'user'; readonly flags: string[] }
  | { readonly state: 'unsupported'; readonly flags: string[]; readonly reason: string };

/** Heap flags the user already gave, on the command line or in NODE_OPTIONS: theirs win. */
function userHeapFlags(): string[] {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return given.filter((a) => /^--max-(old|semi)-space-size=/.test(a));
}

/**
 * V8 fixes its heap limits when the process starts, so sizing them to the
 * container means starting again with the flags: `process.execve` (Node ≥
 * 22.15) replaces this process in place — same PID, no parent left holding
 * memory — and does not return. On Node 20 there is no execve; a child
 * process would double the idle footprint, so the heap keeps Node's defaults
 * and the start-up log says which flags to set.
 */
export function sizeHeap(budget: MemoryBudget): HeapSizing {
  const flags = heapFlags(budget);
  if (process.env[SIZED_ENV] === '1') return { state: 'sized', flags };
  const user = userHeapFlags();
  if (user.length > 0) return { state: 'user', flags: user };
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function') {
    return { state: 'unsupported', flags, reason: `Node ${process.version} has no process.execve (Node >= 22.15); set NODE_OPTIONS="${flags.join(' ')}"` };
  }
  return execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, [SIZED_ENV]: '1' });
}

/**
 * At `logship run`'s start: reads the container's memory limit, re-executes
 * with a heap sized to it where Node can, and logs the budget either way.
 * Returns an error message for an unreadable `LOGSHIP_MEMORY_LIMIT`.
 */
export function sizeToMemoryLimit(logger: Logger): string | undefined {
  let budget;
  try {
    budget = processMemoryBudget();
  } catch (err) {
    return (err as Error).message;
  }
  if (!budget) {
    logger.debug('no container memory limit found (cgroup, LOGSHIP_MEMORY_LIMIT): Node’s default heap sizing');
    return undefined;
  }
  const heap = sizeHeap(budget);
  const MiB = 1024 ** 2;
  logger.info(
    {
      limitMiB: Math.round(budget.limit.bytes / MiB),
      source: budget.limit.source,
      targetRssMiB: Math.round(budget.targetRss / MiB),
      heap: heap.state,
      v8Flags: heap.flags.join(' '),
      batchBytesPerOutputMiB: +(budget.requestBytes / MiB).toFixed(1),
    },
    heap.state === 'unsupported' ? `memory budget: heap not sized: ${heap.reason}` : 'memory budget',
  );
  return undefined;
}
