import { describe, expect, it } from 'vitest';
import { memoryLimit } from '../../src/runtime/container-limits.js';
import { fitToMemory, heapFlags, memoryBudget } from '../../src/runtime/memory-budget.js';
import type { BatchLimits } from '../../src/output/contract.js';

const MiB = 1024 ** 2;
const files = (map: Record<string, string>) => (path: string) => map[path];

describe('container memory limit', () => {
  it('takes LOGSHIP_MEMORY_LIMIT first, in bytes (Downward API) or as a size', () => {
    const cgroup = files({ '/sys/fs/cgroup/memory.max': String(512 * MiB) });
    expect(memoryLimit({ LOGSHIP_MEMORY_LIMIT: '134217728' }, cgroup)).toEqual({ bytes: 128 * MiB, source: 'LOGSHIP_MEMORY_LIMIT' });
    expect(memoryLimit({ LOGSHIP_MEMORY_LIMIT: '128Mi' }, cgroup)?.bytes).toBe(128 * MiB);
    expect(memoryLimit({ LOGSHIP_MEMORY_LIMIT: '1GiB' }, cgroup)?.bytes).toBe(1024 * MiB);
  });

  it('rejects an unreadable LOGSHIP_MEMORY_LIMIT by name rather than ignoring it', () => {
    expect(() => memoryLimit({ LOGSHIP_MEMORY_LIMIT: 'lots' }, files({}))).toThrow(/LOGSHIP_MEMORY_LIMIT: expected a size .* got "lots"/);
    expect(() => memoryLimit({ LOGSHIP_MEMORY_LIMIT: '0' }, files({}))).toThrow(/LOGSHIP_MEMORY_LIMIT/);
  });

  it('reads cgroup v2 memory.max, where "max" means no limit', () => {
    expect(memoryLimit({}, files({ '/sys/fs/cgroup/memory.max': '268435456' }))).toEqual({ bytes: 256 * MiB, source: 'cgroup v2 memory.max' });
    expect(memoryLimit({}, files({ '/sys/fs/cgroup/memory.max': 'max', '/sys/fs/cgroup/memory/memory.limit_in_bytes': '1048576' }))).toBeUndefined();
  });

  it('reads cgroup v1 limit_in_bytes, where the page-rounded 2^63 means no limit', () => {
    expect(memoryLimit({}, files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '134217728' }))?.source).toBe('cgroup v1 memory.limit_in_bytes');
    expect(memoryLimit({}, files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).toBeUndefined();
    expect(memoryLimit({}, files({}))).toBeUndefined();
  });

});

describe('memory budget', () => {
  it('aims at 75 % of the limit and sizes both heap generations inside it for a 128Mi sidecar', () => {
    const b = memoryBudget({ bytes: 128 * MiB, source: 'LOGSHIP_MEMORY_LIMIT' });
    expect(b.targetRss).toBe(96 * MiB);
    expect(b.semiSpaceMiB).toBeGreaterThanOrEqual(1);
    expect(b.semiSpaceMiB).toBeLessThanOrEqual(8);
    expect(b.oldSpaceMiB).toBeGreaterThanOrEqual(48);
    expect(b.oldSpaceMiB * MiB + 3 * b.semiSpaceMiB * MiB).toBeLessThan(b.targetRss);
    expect(heapFlags(b)).toEqual([`--max-old-space-size=${b.oldSpaceMiB}`, `--max-semi-space-size=${b.semiSpaceMiB}`]);
  });

  it('grows with the limit', () => {
    const small = memoryBudget({ bytes: 128 * MiB, source: 'LOGSHIP_MEMORY_LIMIT' });
    const big = memoryBudget({ bytes: 1024 * MiB, source: 'LOGSHIP_MEMORY_LIMIT' });
    expect(big.oldSpaceMiB).toBeGreaterThan(small.oldSpaceMiB);
    expect(big.requestBytes).toBeGreaterThan(small.requestBytes);
  });

  it('leaves room for a parse worker (~40 MiB at full speed) only when the limit has it', () => {
    const workers = (mib: number) => memoryBudget({ bytes: mib * MiB, source: 'LOGSHIP_MEMORY_LIMIT' }).parseWorkers;
    expect(workers(128)).toBe(0);
    expect(workers(192)).toBe(0);
    expect(workers(256)).toBe(1);
    expect(workers(1024)).toBeGreaterThanOrEqual(4);
  });

  it('caps a batch at the output\'s share of the budget, never raises one', () => {
    const limits: BatchLimits = { maxEvents: 20_000, maxBytes: 100 * MiB, lingerMs: 1000, idleGapMs: 50, recordOverhead: 40, inFlight: 4 };
    const b = memoryBudget({ bytes: 128 * MiB, source: 'LOGSHIP_MEMORY_LIMIT' });
    // Four batches in flight and the one filling.
    expect(fitToMemory(limits, b).maxBytes).toBe(Math.floor(b.requestBytes / 5));
    // An output that builds a body beside each batch holds more per batch byte.
    expect(fitToMemory({ ...limits, heldPerByte: 2.25 }, b).maxBytes).toBe(Math.floor(b.requestBytes / 10));
    expect(fitToMemory({ ...limits, maxBytes: 1 * MiB }, b).maxBytes).toBe(1 * MiB);
    expect(fitToMemory(limits, null)).toBe(limits);
  });
});
