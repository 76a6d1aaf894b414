import { readFileSync } from 'node:fs';
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
 * The CPUs this process may use: the machine's (`os.availableParallelism()`),
 * cut by a CFS quota (cgroup v2 `cpu.max` "quota period", v1
 * `cpu.cfs_quota_us`/`cpu.cfs_period_us`) rounded up: a Kubernetes limit of
 * 500m is one CPU, 1500m two.
 */
export function usableCpus(available: number, read: ReadText = readText): number {
  const quota = cpuQuota(read);
  return quota === undefined ? available : Math.max(1, Math.min(available, Math.ceil(quota)));
}

/** The CFS quota in CPUs, undefined without one. */
function cpuQuota(read: ReadText): number | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    return ratio(quota, period);
  }
  return ratio(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  // v2 writes "max" and v1 "-1" for no quota.
  if (quota === undefined || period === undefined || !/^\d+$/.test(quota) || !/^\d+$/.test(period) || Number(period) === 0) return undefined;
  return Number(quota) / Number(period);
}
