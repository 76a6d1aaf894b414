import type { Logger } from '../log.js';
import { heapFlags, processMemoryBudget, type MemoryBudget } from './memory-budget.js';

/**
 * Without a limit only the young generation is sized: Node 24 sizes it from
 * the machine's memory (semi-spaces of up to 64 MiB on a 24 GiB host, a heap
 * of 155 MiB at full speed). 16 MiB is Node 20's and 22's default, and on
 * Node 24 it was faster as well as smaller: 131,000 against 121,000 JSON
 * events/s, peak RSS 310 against 370 MiB (bench/es-e2e.mjs --memory).
 */
const UNLIMITED_HEAP_FLAGS = ['--max-semi-space-size=16'];

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
export function sizeHeap(flags: string[]): HeapSizing {
  if (process.env[SIZED_ENV] === '1') return { state: 'sized', flags };
  const user = userHeapFlags();
  if (user.length > 0) return { state: 'user', flags: user };
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function') {
    return { state: 'unsupported', flags, reason: `Node ${process.version} has no process.execve (Node >= 22.15); set NODE_OPTIONS="${flags.join(' ')}"` };
  }
  return execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, [SIZED_ENV]: '1' });
}

/** The heap flags for this process: its budget's, or without a limit the young generation's cap. */
function flagsFor(budget: MemoryBudget | null): string[] {
  return budget ? heapFlags(budget) : UNLIMITED_HEAP_FLAGS;
}

/**
 * `logship run`'s first step, before the daemon's modules and the config are
 * loaded: the re-execution then costs only Node's own start. An unreadable
 * limit is left to sizeToMemoryLimit, which reports it.
 */
export function sizeHeapFirst(): void {
  let budget;
  try {
    budget = processMemoryBudget();
  } catch {
    return;
  }
  sizeHeap(flagsFor(budget));
}

/**
 * At `logship run`'s start, once the logger exists: logs the budget and what
 * became of the heap flags. sizeHeapFirst has re-executed already where Node
 * can, so this only reports it (it would re-execute were that step skipped).
 * Returns an error message for an unreadable `LOGSHIP_MEMORY_LIMIT`.
 */
export function sizeToMemoryLimit(logger: Logger): string | undefined {
  let budget;
  try {
    budget = processMemoryBudget();
  } catch (err) {
    return (err as Error).message;
  }
  const heap = sizeHeap(flagsFor(budget));
  if (!budget) {
    logger.debug({ heap: heap.state, v8Flags: heap.flags.join(' ') }, 'no container memory limit found (cgroup, LOGSHIP_MEMORY_LIMIT): the old space is Node’s default');
    return undefined;
  }
  const MiB = 1024 ** 2;
  logger.info(
    {
      limitMiB: Math.round(budget.limit.bytes / MiB),
      source: budget.limit.source,
      targetRssMiB: Math.round(budget.targetRss / MiB),
      heap: heap.state,
      v8Flags: heap.flags.join(' '),
      batchBytesPerOutputMiB: +(budget.requestBytes / MiB).toFixed(1),
      parseWorkersAllowed: budget.parseWorkers,
    },
    heap.state === 'unsupported' ? `memory budget: heap not sized: ${heap.reason}` : 'memory budget',
  );
  return undefined;
}
