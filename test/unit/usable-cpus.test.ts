// The CPUs a parse-worker count is made from: the machine's, cut by a CFS quota (cgroup v2 or v1).
import { describe, expect, it } from 'vitest';
import { usableCpus } from '../../src/runtime/container-limits.js';

const files = (entries: Record<string, string>) => (path: string) => entries[path];

describe('usableCpus', () => {
  it('is the machine when no quota is set (no cgroup files, v2 "max", v1 -1)', () => {
    expect(usableCpus(8, files({}))).toBe(8);
    expect(usableCpus(8, files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }))).toBe(8);
    expect(usableCpus(8, files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBe(8);
  });

  it('rounds a cgroup v2 quota up: 500m is one CPU, 1500m two, never more than the machine', () => {
    expect(usableCpus(8, files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }))).toBe(1);
    expect(usableCpus(8, files({ '/sys/fs/cgroup/cpu.max': '150000 100000' }))).toBe(2);
    expect(usableCpus(2, files({ '/sys/fs/cgroup/cpu.max': '400000 100000' }))).toBe(2);
    expect(usableCpus(8, files({ '/sys/fs/cgroup/cpu.max': '1000 100000' }))).toBe(1);
  });

  it('reads cgroup v1 quota and period', () => {
    expect(usableCpus(4, files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '200000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBe(2);
  });

  it('ignores what it cannot read as numbers', () => {
    expect(usableCpus(4, files({ '/sys/fs/cgroup/cpu.max': 'garbage' }))).toBe(4);
    expect(usableCpus(4, files({ '/sys/fs/cgroup/cpu.max': '50000 0' }))).toBe(4);
  });
});
