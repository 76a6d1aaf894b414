import type { BatchLimits } from '../output/contract.js';
import { memoryLimit, type MemoryLimit } from './container-limits.js';

const MiB = 1024 ** 2;

/** RSS logship aims to stay under: room for the kernel's page cache accounting and bursts. */
const TARGET_SHARE = 0.75;
/** Node's own resident memory before any heap: code, the runtime, libuv and zlib (measured: bare Node ~39 MiB). */
const NATIVE_BASE = 40 * MiB;
/**
 * The old space never goes below this: at 10k events/s on Node 24 the live
 * heap reached 45–55 MiB (measured), and a heap too small ends the process.
 */
const MIN_OLD_SPACE_MIB = 48;
/**
 * Anonymous memory above bare Node of one thread parsing, buffering and
 * delivering at full speed under a budget (96–108 MiB measured at 128Mi–256Mi
 * on Node 24: `bench/es-e2e.mjs --memory --workers 0`).
 */
const ONE_THREAD_MIB = 96;
/** What a parse worker adds at full speed: its heap, its own parser modules, the batches it holds (37–46 MiB measured: `--workers 1`). */
const PARSE_WORKER_MIB = 40;

/**
 * How logship sizes itself to a container memory limit (Vector does not:
 * vectordotdev/vector#11942). Without a limit there is no budget (heap-reexec.ts
 * still caps the young generation).
 */
export interface MemoryBudget {
  readonly limit: MemoryLimit;
  /** The RSS to stay under: 75 % of the limit. */
  readonly targetRss: number;
  /** `--max-old-space-size`, MiB. */
  readonly oldSpaceMiB: number;
  /** `--max-semi-space-size`, MiB: the young generation is three of these. */
  readonly semiSpaceMiB: number;
  /** The most batch bytes one output may hold at once (its batches in flight, before compression). */
  readonly requestBytes: number;
  /** Parse workers the budget leaves room for beside the main thread (`pipeline.workers: auto` takes no more). */
  readonly parseWorkers: number;
}

export function memoryBudget(limit: MemoryLimit): MemoryBudget {
  const targetRss = Math.floor(limit.bytes * TARGET_SHARE);
  const free = Math.max(24 * MiB, targetRss - NATIVE_BASE);
  // Node 24 sizes the young generation from the machine (128 MiB seen here): that alone would break a 128Mi limit.
  const semiSpaceMiB = Math.max(1, Math.min(8, Math.floor(free / MiB / 16)));
  const oldSpaceMiB = Math.max(MIN_OLD_SPACE_MIB, Math.floor((free / MiB) * 0.65));
  const parseWorkers = Math.max(0, Math.floor((free / MiB - ONE_THREAD_MIB) / PARSE_WORKER_MIB));
  return { limit, targetRss, oldSpaceMiB, semiSpaceMiB, requestBytes: Math.max(4 * MiB, Math.floor(free * 0.3)), parseWorkers };
}

/** The V8 flags that size the heap for `budget`. */
export function heapFlags(budget: MemoryBudget): string[] {
  return [`--max-old-space-size=${budget.oldSpaceMiB}`, `--max-semi-space-size=${budget.semiSpaceMiB}`];
}

/**
 * The largest batch one output may take: `requestBytes` split over what it
 * holds at once (the batches it keeps in flight, each with the copies it
 * makes of it, and the next batch filling), never above what its config
 * allows. Without a budget the config stands.
 */
export function fitToMemory(limits: BatchLimits, budget: MemoryBudget | null): BatchLimits {
  if (!budget) return limits;
  const held = Math.max(1, limits.inFlight) * (limits.heldPerByte ?? 1) + 1;
  const cap = Math.max(64 * 1024, Math.floor(budget.requestBytes / held));
  return cap < limits.maxBytes ? { ...limits, maxBytes: cap } : limits;
}

let processBudget: MemoryBudget | null | undefined;

/**
 * This process's budget, from its container's limit (read once: the limit is
 * the process's, not any one component's); null without a limit. Throws on an
 * unreadable `LOGSHIP_MEMORY_LIMIT`.
 */
export function processMemoryBudget(): MemoryBudget | null {
  if (processBudget === undefined) {
    const limit = memoryLimit();
    processBudget = limit ? memoryBudget(limit) : null;
  }
  return processBudget;
}
