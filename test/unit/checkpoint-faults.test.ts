// CheckpointStore under faults and bad state (issue 9 items 2 and 3, issue 10 §3):
// a failed save never throws (logged once per run of failures, counted, the
// old file kept, no temp file left to hold space), the log never claims a
// move that failed, and impossible entries resume their file from the start.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckpointEntry } from '../../src/checkpoint/entry.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { capturing } from '../support/log-capture.js';
import { clearFaults, injectFault } from '../support/fs-faults.js';

vi.mock('node:fs/promises', async (orig) => (await import('../support/fs-faults.js')).mockFsWithFaults(orig));

const entry = (over: Partial<CheckpointEntry> = {}): CheckpointEntry => ({
  key: '0123456789abcdef',
  path: '/var/log/app.log',
  dev: 2049,
  ino: 1234,
  fp_len: 42,
  fp_crc: 3_000_000_000,
  fp_final: true,
  generation: 1,
  offset: 4096,
  mtime_ms: 1_700_000_000_123.5,
  ...over,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logship-checkpoint-faults-'));
});
afterEach(async () => {
  clearFaults();
  await rm(dir, { recursive: true, force: true });
});

function store() {
  const { logger, lines } = capturing();
  return { s: new CheckpointStore(dir, logger), lines, errors: () => lines.filter((l) => l.level >= 50) };
}

describe('CheckpointStore.save failures', () => {
  it.each([
    ['ENOSPC writing the temp file', 'writeFile' as const, /\.tmp$/, 'ENOSPC'],
    ['EDQUOT writing the temp file', 'writeFile' as const, /\.tmp$/, 'EDQUOT'],
    ['EIO on the rename', 'rename' as const, /\.tmp$/, 'EIO'],
    ['EIO on the directory fsync', 'sync' as const, /checkpoint-faults-[^/]*$/, 'EIO'],
  ])('%s: never throws, the old file stays, no temp file is left, logged once and counted; the next save recovers', async (_l, op, match, code) => {
    const { s, lines, errors } = store();
    await s.save({ a: [entry({ offset: 1 })] });
    injectFault(op, match, code);
    for (let i = 0; i < 3; i++) await s.save({ a: [entry({ offset: 2 })] });
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ path: s.file, op: 'save', reason: code });
    expect(s.stats()).toEqual({ writeErrors: { [code]: 3 }, diskFull: code === 'ENOSPC' || code === 'EDQUOT' });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    if (op !== 'sync') expect(await s.load()).toEqual({ a: [entry({ offset: 1 })] });
    clearFaults();
    await s.save({ a: [entry({ offset: 3 })] });
    expect(s.stats().diskFull).toBe(false);
    expect(lines.some((l) => l.msg === 'checkpoint: save works again')).toBe(true);
    expect(await s.load()).toEqual({ a: [entry({ offset: 3 })] });
  });
});

describe('CheckpointStore.load: bad state', () => {
  it('a corrupt file that cannot be moved aside: the log says so and does not claim movedTo', async () => {
    const { s, errors } = store();
    await writeFile(s.file, '{"version": 1, "inputs": ');
    injectFault('rename', /checkpoints\.json$/, 'EACCES');
    expect(await s.load()).toEqual({});
    expect(errors()).toHaveLength(1);
    expect(errors()[0]!.movedTo).toBeUndefined();
    expect(errors()[0]).toMatchObject({ renameError: expect.stringContaining('EACCES') });
    expect(await readFile(s.file, 'utf8')).toBe('{"version": 1, "inputs": ');
  });

  it.each([
    ['a negative offset', { offset: -100 }],
    ['a fractional offset', { offset: 10.5 }],
    ['fp_final not a boolean', { fp_final: 'yes' as unknown as boolean }],
    ['fp_final missing', { fp_final: undefined as unknown as boolean }],
  ])('%s: the entry is logged and resumes its file from offset 0 (read again, never skipped)', async (_l, bad) => {
    const { s, errors } = store();
    const good = entry({ path: '/var/log/good.log', ino: 7 });
    await writeFile(s.file, JSON.stringify({ version: 1, inputs: { a: [entry(bad), good] } }));
    const loaded = await s.load();
    expect(loaded.a).toHaveLength(2);
    expect(loaded.a![0]).toMatchObject({ offset: 0, path: '/var/log/app.log', ino: 1234 });
    expect(typeof loaded.a![0]!.fp_final).toBe('boolean');
    expect(loaded.a![1]).toEqual(good);
    expect(errors()).toEqual([expect.objectContaining({ file: s.file, entry: 'inputs.a[0] (/var/log/app.log)', msg: 'checkpoint entry invalid; that file is read again from its start' })]);
  });
});
