// The rotation module on its own: real files, real renames and truncations,
// each step driven by hand (no poll loop, no timers).
import type { Stats } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InputConfig } from '../../src/config/schema.js';
import { FileOpener } from '../../src/tail/file-opener.js';
import { IgnoredFiles } from '../../src/tail/ignored-files.js';
import type { LineBatch } from '../../src/tail/line-batch.js';
import { PathGroups } from '../../src/tail/path-groups.js';
import type { ResumePoint } from '../../src/tail/resume-point.js';
import { Rotation } from '../../src/tail/rotation.js';
import type { TailedFile } from '../../src/tail/tailed-file.js';
import { capturing } from '../support/log-capture.js';
import { copyTruncate } from '../support/rotate.js';
import { tailerInput } from '../support/tailer-input.js';

let root: string;
let n = 0;
const rigs: Rig[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logship-rotation-'));
});
afterEach(async () => {
  for (const r of rigs.splice(0)) for (const f of [...r.groups.files(), ...r.opened]) await f.close();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Rig {
  path: string;
  input: InputConfig;
  groups: PathGroups;
  opener: FileOpener;
  rotation: Rotation;
  opened: TailedFile[];
  closed: TailedFile[];
  emitted: LineBatch[];
  logs: ReturnType<typeof capturing>['lines'];
}

async function rig(): Promise<Rig> {
  const dir = join(root, `r${n++}`);
  await mkdir(dir);
  const input = tailerInput(dir);
  const { logger, lines: logs } = capturing();
  const groups = new PathGroups();
  const opened: TailedFile[] = [];
  const closed: TailedFile[] = [];
  const emitted: LineBatch[] = [];
  const opener = new FileOpener(input, logger, (f) => opened.push(f));
  const rotation = new Rotation({
    input,
    logger,
    groups,
    opener,
    matches: (p) => p.endsWith('.log'),
    closed: (f) => closed.push(f),
    emit: (b) => emitted.push(b),
    scratch: Buffer.allocUnsafe(input.fingerprint_bytes),
  });
  const r = { path: join(dir, 'app.log'), input, groups, opener, rotation, opened, closed, emitted, logs };
  rigs.push(r);
  return r;
}

/** Opens what `r.path` holds as its current generation. */
async function openCurrent(r: Rig): Promise<TailedFile> {
  const file = (await r.opener.open(r.path, 0))!;
  r.groups.of(r.path).setCurrent(file);
  return file;
}

async function readAll(f: TailedFile): Promise<string[]> {
  const out: string[] = [];
  const buf = Buffer.allocUnsafe(4096);
  for (;;) {
    const batch = await f.read(buf);
    if (batch === null || batch === 'superseded') return out;
    out.push(...batch.texts);
  }
}

const texts = (batches: LineBatch[]) => batches.flatMap((b) => b.texts);

describe('Rotation', () => {
  it('follow: a generation renamed away is read on through its fd; the new file at the path becomes current', async () => {
    const r = await rig();
    await writeFile(r.path, 'one\n');
    const old = await openCurrent(r);
    await rename(r.path, `${r.path}.1`);
    await writeFile(r.path, 'two\n');
    const group = r.groups.get(r.path)!;
    await r.rotation.follow(group, await stat(r.path));
    expect(r.rotation.counts.rotations).toBe(1);
    expect(old.rotated).toBe(true);
    expect(group.files).toHaveLength(2);
    expect(group.files[0]).toBe(old);
    expect(group.current).toBe(group.files[1]);
    expect(await readAll(old)).toEqual(['one']);
    expect(await readAll(group.current!)).toEqual(['two']);
    expect(group.current!.path).toBe(r.path);
  });

  it('follow: a deleted path leaves its generation rotated and the path without a current one', async () => {
    const r = await rig();
    await writeFile(r.path, 'one\n');
    const old = await openCurrent(r);
    await unlink(r.path);
    const group = r.groups.get(r.path)!;
    await r.rotation.follow(group, undefined);
    expect(old.rotated).toBe(true);
    expect(group.current).toBeUndefined();
    expect(group.files).toEqual([old]);
  });

  it('checkTruncation: copytruncate is read on from the copy, under the same key, after what was read', async () => {
    const r = await rig();
    await writeFile(r.path, 'a\nb\n');
    const f = await openCurrent(r);
    expect(await readAll(f)).toEqual(['a', 'b']);
    const group = r.groups.get(r.path)!;
    expect(await r.rotation.checkTruncation(group, f, await stat(r.path))).toBe(false);
    await appendFile(r.path, 'c\n');
    copyTruncate(r.path);
    expect(await r.rotation.checkTruncation(group, f, await stat(r.path))).toBe(true);
    expect(r.rotation.counts).toMatchObject({ truncations: 1, truncationsWithLoss: 0 });
    expect(r.closed).toEqual([f]);
    const [rest, current] = group.files;
    expect(group.files).toHaveLength(2);
    expect(rest!.rotated).toBe(true);
    expect(rest!.key).toBe(f.key);
    expect(rest!.readPos).toBe(4);
    expect(group.current).toBe(current);
    const batch = (await rest!.read(Buffer.allocUnsafe(4096))) as LineBatch;
    expect(batch.texts).toEqual(['c']);
    expect(batch.offsets).toEqual([4]);
    // The truncated generation is known by its inode now: not taken for a new file.
    expect(r.groups.isKnownInode(f.id)).toBe(true);
  });

  it('truncation without a copy: the held partial line is emitted and the unread bytes counted as lost', async () => {
    const r = await rig();
    await writeFile(r.path, 'a\npart');
    const f = await openCurrent(r);
    expect(await readAll(f)).toEqual(['a']);
    f.seenSize = 10; // a poll saw 4 more bytes, not read before the truncation
    await truncate(r.path, 0);
    const group = r.groups.get(r.path)!;
    expect(await r.rotation.checkTruncation(group, f, await stat(r.path))).toBe(true);
    expect(texts(r.emitted)).toEqual(['part']);
    expect(r.rotation.counts).toMatchObject({ truncations: 1, truncationsWithLoss: 1 });
    expect(r.logs.some((l) => l.msg.startsWith('file truncated and no copy'))).toBe(true);
    expect(group.files).toEqual([group.current]);
    expect(group.current).not.toBe(f);
  });

  it('resume: a checkpointed generation renamed while down is read on from its offset; the new one at the path gets the next generation when it starts alike', async () => {
    const r = await rig();
    await writeFile(r.path, 'first\nsecond\n');
    const probe = (await r.opener.open(r.path, 0, { register: false }))!;
    const st = await stat(r.path);
    await probe.close();
    const point: ResumePoint = {
      key: 'feedfacecafebeef',
      path: r.path,
      dev: st.dev,
      ino: st.ino,
      fp_len: probe.id.fp.len,
      fp_crc: probe.id.fp.crc,
      fp_final: probe.id.fp.final,
      generation: 0,
      offset: 6,
      mtime_ms: st.mtimeMs,
    };
    await rename(r.path, `${r.path}.1`);
    await writeFile(r.path, 'first\nthird\n');
    await r.rotation.resume([point]);
    const group = r.groups.get(r.path)!;
    expect(group.files).toHaveLength(2);
    const [found, current] = group.files;
    expect(found!.rotated).toBe(true);
    expect(found!.key).toBe('feedfacecafebeef');
    expect(found!.path).toBe(r.path);
    expect(await readAll(found!)).toEqual(['second']);
    expect(group.current).toBe(current);
    expect(current!.generation).toBe(1);
    expect(await readAll(current!)).toEqual(['first', 'third']);
  });

  it('settleHead: a replacement opened empty reads no further than its provisional head until the head is final', async () => {
    const r = await rig();
    await writeFile(r.path, '');
    const f = await openCurrent(r);
    expect(f.missedSince).toBeDefined();
    await appendFile(r.path, 'x');
    expect(await r.rotation.settleHead(f)).toBe(1);
    expect(f.missedSince).toBeDefined();
    await appendFile(r.path, 'y\n');
    expect(await r.rotation.settleHead(f)).toBeUndefined();
    expect(f.missedSince).toBeUndefined();
    expect(f.id.fp).toMatchObject({ len: 3, final: true });
  });

  it('retire: a rotated generation emits its held partial line and is closed for good', async () => {
    const r = await rig();
    await writeFile(r.path, 'a\ntail');
    const f = await openCurrent(r);
    await readAll(f);
    await unlink(r.path);
    const group = r.groups.get(r.path)!;
    await r.rotation.follow(group, undefined);
    await r.rotation.retire(group, f);
    expect(texts(r.emitted)).toEqual(['tail']);
    expect(r.closed).toEqual([f]);
    expect(group.files).toEqual([]);
  });

  it('reopenParked: a parked generation is found again under its rotated name, or given up with a warning when gone', async () => {
    const r = await rig();
    await writeFile(r.path, 'a\n');
    const f = await openCurrent(r);
    await readAll(f);
    await f.park();
    await rename(r.path, `${r.path}.1`);
    const group = r.groups.get(r.path)!;
    expect(await r.rotation.reopenParked(group, f)).toBe(true);
    expect(f.parked).toBe(false);
    await f.park();
    await unlink(`${r.path}.1`);
    expect(await r.rotation.reopenParked(group, f)).toBe(false);
    expect(r.logs.some((l) => l.msg.startsWith('file closed by max_open_files was deleted or replaced'))).toBe(true);
    expect(group.files).toEqual([]);
    expect(r.closed).toEqual([f]);
  });
});

describe('IgnoredFiles', () => {
  const stats = (size: number, mtimeMs: number, ino = 7) => ({ dev: 1, ino, size, mtimeMs }) as Stats;

  it('leaves an old file closed, looks at it again backing off, and tails what was written once it changes', async () => {
    const { logger } = capturing();
    const input = tailerInput(root, { ignore_older: 1000, poll_interval: 100 });
    const ignored = new IgnoredFiles(input, logger, 1000);
    const p = '/x/old.log';
    expect(ignored.select([{ path: p, st: stats(50, 0) }], 5000)).toEqual([]);
    // Looked at again after 2 poll_intervals, then 4: unchanged files back off.
    expect(ignored.wanted(p, 5100)).toBe(false);
    expect(ignored.wanted(p, 5200)).toBe(true);
    expect(ignored.select([{ path: p, st: stats(50, 0) }], 5200)).toEqual([]);
    expect(ignored.wanted(p, 5500)).toBe(false);
    ignored.hint(p);
    expect(ignored.wanted(p, 5500)).toBe(true);
    expect(ignored.select([{ path: p, st: stats(80, 5400) }], 5500)).toEqual([{ path: p, offset: 50 }]);
    expect(ignored.wanted(p, 5500)).toBe(true);
  });

  it('tails a replaced file from 0, and forgets paths the globs no longer match', async () => {
    const { logger } = capturing();
    const ignored = new IgnoredFiles(tailerInput(root, { ignore_older: 1000 }), logger, 1000);
    ignored.select([{ path: '/x/a.log', st: stats(50, 0) }, { path: '/x/b.log', st: stats(50, 0) }], 5000);
    expect(ignored.select([{ path: '/x/a.log', st: stats(10, 5000, 8) }], 5000)).toEqual([{ path: '/x/a.log', offset: 0 }]);
    ignored.keepOnly(['/x/a.log']);
    expect(ignored.wanted('/x/b.log', 5000)).toBe(true);
    expect(ignored.select([{ path: '/x/b.log', st: stats(60, 5000) }], 5000)).toEqual([{ path: '/x/b.log' }]);
  });
});
