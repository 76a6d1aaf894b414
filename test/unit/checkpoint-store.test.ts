import * as fsp from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckpointEntry } from '../../src/checkpoint/entry.js';
import { CheckpointStore, type CheckpointData } from '../../src/checkpoint/store.js';
import type { Logger } from '../../src/log.js';

// The store's fs calls, recorded (and optionally failed) to check the write protocol.
const fsLog = vi.hoisted(() => ({
  calls: [] as string[],
  record: false,
  failSyncOf: undefined as string | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const note = (s: string) => {
    if (fsLog.record) fsLog.calls.push(s);
  };
  const open: typeof real.open = async (path, flags, mode) => {
    const fh = await real.open(path, flags, mode);
    const p = String(path);
    note(`open ${p} ${String(flags ?? 'r')}`);
    return new Proxy(fh, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        if (prop === 'writeFile' || prop === 'sync' || prop === 'close') {
          return async (...args: unknown[]) => {
            note(`${prop} ${p}`);
            if (prop === 'sync' && fsLog.failSyncOf === p) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return v.bind(target);
      },
    });
  };
  const rename: typeof real.rename = async (a, b) => {
    note(`rename ${String(a)} -> ${String(b)}`);
    return real.rename(a, b);
  };
  return { ...real, default: { ...real, open, rename }, open, rename };
});

function fakeLogger() {
  const errors: { obj: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    error: (obj: Record<string, unknown>, msg: string) => errors.push({ obj, msg }),
    warn: () => {},
    info: () => {},
    debug: () => {},
  } as unknown as Logger;
  return { logger, errors };
}

const entry = (over: Partial<CheckpointEntry> = {}): CheckpointEntry => ({
  key: '0123456789abcdef',
  path: '/var/log/app.log',
  dev: 2049,
  ino: 1234,
  fp_len: 42,
  fp_crc: 3_000_000_000,
  fp_final: true,
  generation: 1,
  offset: 8_000_000_000,
  mtime_ms: 1_700_000_000_123.5,
  ...over,
});

let root: string;
let dir: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logship-store-'));
});
beforeEach(() => {
  dir = join(root, `s${n++}`);
  fsLog.calls = [];
  fsLog.record = false;
  fsLog.failSyncOf = undefined;
});
afterEach(() => {
  fsLog.record = false;
  fsLog.failSyncOf = undefined;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('CheckpointStore: save and load', () => {
  it('the file lives at <dir>/checkpoints.json', () => {
    expect(new CheckpointStore('/state', fakeLogger().logger).file).toBe(join('/state', 'checkpoints.json'));
  });

  it('load of a missing file (and a missing directory) gives {} without logging', async () => {
    const { logger, errors } = fakeLogger();
    expect(await new CheckpointStore(dir, logger).load()).toEqual({});
    expect(errors).toEqual([]);
  });

  it('round-trips every field, several inputs and entries', async () => {
    const { logger } = fakeLogger();
    const store = new CheckpointStore(dir, logger);
    const data: CheckpointData = {
      web: [entry(), entry({ key: '', path: '/var/log/app.log', ino: 1235, offset: 0, fp_final: false, generation: 0 })],
      'db logs': [entry({ path: '/srv/db/ünïcode "quoted".log' })],
      empty: [],
    };
    await store.save(data);
    expect(await store.load()).toEqual(data);
    expect(await new CheckpointStore(dir, logger).load()).toEqual(data);
  });

  it('writes versioned JSON: {"version":1,"inputs":{...}}', async () => {
    const store = new CheckpointStore(dir, fakeLogger().logger);
    await store.save({ a: [entry()] });
    const doc = JSON.parse(await readFile(store.file, 'utf8'));
    expect(doc).toEqual({ version: 1, inputs: { a: [entry()] } });
  });

  it('creates the directory, nested', async () => {
    const deep = join(dir, 'x', 'y');
    const store = new CheckpointStore(deep, fakeLogger().logger);
    await store.save({});
    expect(await readdir(deep)).toEqual(['checkpoints.json']);
  });

  it('a save replaces the previous content and leaves no temp file behind', async () => {
    const store = new CheckpointStore(dir, fakeLogger().logger);
    await store.save({ a: [entry({ offset: 1 })] });
    await store.save({ b: [entry({ offset: 2 })] });
    expect(await store.load()).toEqual({ b: [entry({ offset: 2 })] });
    expect(await readdir(dir)).toEqual(['checkpoints.json']);
  });

  it('a temp file left by a crash mid-save is ignored by load and overwritten by the next save', async () => {
    const store = new CheckpointStore(dir, fakeLogger().logger);
    await store.save({ a: [entry({ offset: 5 })] });
    await writeFile(`${store.file}.tmp`, '{"version":1,"inputs":{"a":[{"tor');
    expect(await store.load()).toEqual({ a: [entry({ offset: 5 })] });
    await store.save({ a: [entry({ offset: 6 })] });
    expect(await store.load()).toEqual({ a: [entry({ offset: 6 })] });
    expect(await readdir(dir)).toEqual(['checkpoints.json']);
  });

  it('an unreadable checkpoint (not ENOENT) is an error, not a silent start-over', async () => {
    const store = new CheckpointStore(dir, fakeLogger().logger);
    await mkdir(store.file, { recursive: true }); // a directory where the file should be: EISDIR
    await expect(store.load()).rejects.toThrow(/cannot read checkpoint file/);
  });
});

describe('CheckpointStore: atomic write protocol', () => {
  it('temp file: write, fsync, close; rename over the file; then fsync the directory', async () => {
    const store = new CheckpointStore(dir, fakeLogger().logger);
    await mkdir(dir, { recursive: true });
    const tmp = `${store.file}.tmp`;
    fsLog.record = true;
    await store.save({ a: [entry()] });
    fsLog.record = false;
    expect(fsLog.calls).toEqual([
      `open ${tmp} w`,
      `writeFile ${tmp}`,
      `sync ${tmp}`,
      `close ${tmp}`,
      `rename ${tmp} -> ${store.file}`,
      `open ${dir} r`,
      `sync ${dir}`,
      `close ${dir}`,
    ]);
  });

  it('when the fsync of the temp file fails, the old checkpoint is untouched and the failure is logged and counted', async () => {
    const { logger, errors } = fakeLogger();
    const store = new CheckpointStore(dir, logger);
    await store.save({ a: [entry({ offset: 1 })] });
    fsLog.failSyncOf = `${store.file}.tmp`;
    await store.save({ a: [entry({ offset: 2 })] });
    expect(errors.map((e) => e.obj.reason)).toEqual(['EIO']);
    expect(store.stats().writeErrors).toEqual({ EIO: 1 });
    fsLog.failSyncOf = undefined;
    expect(await store.load()).toEqual({ a: [entry({ offset: 1 })] });
  });

  it('a reader never sees a torn file while saves run', async () => {
    const store = new CheckpointStore(dir, fakeLogger().logger);
    const big = (i: number): CheckpointData => ({ a: Array.from({ length: 300 }, (_, k) => entry({ offset: i, ino: k })) });
    await store.save(big(0));
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const text = await readFile(store.file, 'utf8');
        const doc = JSON.parse(text) as { inputs: CheckpointData };
        expect(doc.inputs.a).toHaveLength(300);
        reads++;
      }
    })();
    for (let i = 1; i <= 30; i++) await store.save(big(i));
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((await store.load()).a![0]!.offset).toBe(30);
  });
});

describe('CheckpointStore: a corrupt file is moved aside', () => {
  const bad: [string, string][] = [
    ['not JSON', 'garbage{{{'],
    ['empty', ''],
    ['torn JSON', '{"version":1,"inputs":{"a":[{"key":"k","pa'],
    ['wrong version', JSON.stringify({ version: 2, inputs: {} })],
    ['no version', JSON.stringify({ inputs: {} })],
    ['no inputs', JSON.stringify({ version: 1 })],
    ['inputs null', JSON.stringify({ version: 1, inputs: null })],
    ['an input that is not a list', JSON.stringify({ version: 1, inputs: { a: { offset: 1 } } })],
    ['a null entry', JSON.stringify({ version: 1, inputs: { a: [null] } })],
    ['an entry that is a number', JSON.stringify({ version: 1, inputs: { a: [5] } })],
    ['offset as a string', JSON.stringify({ version: 1, inputs: { a: [{ ...entry(), offset: '10' }] } })],
    ['offset missing', JSON.stringify({ version: 1, inputs: { a: [{ ...entry(), offset: undefined }] } })],
    ['ino null', JSON.stringify({ version: 1, inputs: { a: [{ ...entry(), ino: null }] } })],
    ['path missing', JSON.stringify({ version: 1, inputs: { a: [{ ...entry(), path: undefined }] } })],
    ['key not a string', JSON.stringify({ version: 1, inputs: { a: [{ ...entry(), key: 7 }] } })],
    ['JSON null', 'null'],
  ];
  for (const [name, text] of bad) {
    it(`${name}: load gives {}, logs an error, keeps the bytes in checkpoints.json.corrupt-<ts>`, async () => {
      const { logger, errors } = fakeLogger();
      const store = new CheckpointStore(dir, logger);
      await mkdir(dir, { recursive: true });
      await writeFile(store.file, text);
      const before = Date.now();
      expect(await store.load()).toEqual({});
      const after = Date.now();

      const names = await readdir(dir);
      expect(names).toHaveLength(1);
      const m = /^checkpoints\.json\.corrupt-(\d+)$/.exec(names[0]!);
      expect(m, `moved-aside name: ${names[0]}`).not.toBeNull();
      const ts = Number(m![1]);
      expect(ts).toBeGreaterThanOrEqual(before);
      expect(ts).toBeLessThanOrEqual(after);
      expect(await readFile(join(dir, names[0]!), 'utf8')).toBe(text);

      expect(errors).toHaveLength(1);
      expect(errors[0]!.obj).toMatchObject({ file: store.file, movedTo: join(dir, names[0]!) });
      expect(typeof errors[0]!.obj.reason).toBe('string');
      expect(errors[0]!.msg).toMatch(/corrupt/);

      // and the next start is clean: nothing to load, a save works
      expect(await store.load()).toEqual({});
      await store.save({ a: [entry()] });
      expect(await store.load()).toEqual({ a: [entry()] });
    });
  }

  it('a good file with extra fields loads as is', async () => {
    const store = new CheckpointStore(dir, fakeLogger().logger);
    await mkdir(dir, { recursive: true });
    await writeFile(store.file, JSON.stringify({ version: 1, inputs: { a: [entry()] }, written_by: 'x' }));
    expect(await store.load()).toEqual({ a: [entry()] });
    expect(await readdir(dir)).toEqual(['checkpoints.json']);
  });
});

// The protocol tests above trust the mock: the store must go through it, and what it does not wrap must be the real module.
it('fs mock sanity: the store\'s open and rename go through the mock, everything else is the real node:fs/promises', async () => {
  const real = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
  expect(fsp.stat).toBe(real.stat);
  expect(fsp.readFile).toBe(real.readFile);
  expect(fsp.open).not.toBe(real.open);
  fsLog.record = true;
  await new CheckpointStore(dir, fakeLogger().logger).save({ a: [entry()] });
  fsLog.record = false;
  const file = join(dir, 'checkpoints.json');
  expect(fsLog.calls.filter((c) => c.startsWith('open ') || c.startsWith('rename ')), fsLog.calls.join('\n')).toEqual([
    `open ${file}.tmp w`,
    `rename ${file}.tmp -> ${file}`,
    `open ${dir} r`,
  ]);
});
