import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseSize } from '../../parsers/units.js';

/** Where a limit was read from, for the start-up log. */
export type LimitSource = 'LOGSHIP_MEMORY_LIMIT' | 'cgroup v2 memory.max' | 'cgroup v1 memory.limit_in_bytes';

export interface MemoryLimit {
  readonly bytes: number;
  readonly source: LimitSource;
}

/** cgroup v1 reports "no limit" as a page-rounded 2^63-1; anything from 2^60 up means none. */
const UNLIMITED_V1 = 2 ** 60;

type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/**
 * The container's memory limit: `LOGSHIP_MEMORY_LIMIT` first (a Downward API
 * `resourceFieldRef` gives bytes; `128Mi`-style sizes are read too), then the
 * cgroup v2 `memory.max`, then cgroup v1's `memory.limit_in_bytes`. Undefined
 * when none is set. An unreadable variable throws: a limit the user set must
 * not be silently ignored.
 */
export function memoryLimit(env: NodeJS.ProcessEnv = process.env, read: ReadText = readText): MemoryLimit | undefined {
  const given = env.LOGSHIP_MEMORY_LIMIT?.trim();
  if (given) {
    const bytes = parseSize(given.replace(/i$/, 'iB'));
    if (bytes === undefined || bytes <= 0) throw new Error(`LOGSHIP_MEMORY_LIMIT: expected a size like 134217728, 128Mi or 128MiB, got ${JSON.stringify(given)}`);
    return { bytes, source: 'LOGSHIP_MEMORY_LIMIT' };
  }
  const v2 = read('/sys/fs/cgroup/memory.max');
  if (v2 !== undefined) return v2 === 'max' || !/^\d+$/.test(v2) ? undefined : { bytes: Number(v2), source: 'cgroup v2 memory.max' };
  const v1 = read('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  if (v1 !== undefined && /^\d+$/.test(v1) && Number(v1) < UNLIMITED_V1) return { bytes: Number(v1), source: 'cgroup v1 memory.limit_in_bytes' };
  return undefined;
}

/**
 * CPUs this process may use: the cgroup CPU quota (v2 `cpu.max`, v1
 * `cpu.cfs_quota_us`/`cpu.cfs_period_us`) rounded up, capped by the CPUs
 * the scheduler gives it. A pod limited to 500m counts as one.
 */
export function usableCpus(read: ReadText = readText): number {
  const cpus = availableParallelism();
  let quota: number | undefined;
  const v2 = read('/sys/fs/cgroup/cpu.max')?.split(/\s+/);
  if (v2 && v2[0] !== 'max' && v2.length === 2) quota = Number(v2[0]) / Number(v2[1]);
  else {
    const q = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
    const p = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
    if (q > 0 && p > 0) quota = q / p;
  }
  return quota !== undefined && Number.isFinite(quota) && quota > 0 ? Math.max(1, Math.min(cpus, Math.ceil(quota))) : cpus;
}
