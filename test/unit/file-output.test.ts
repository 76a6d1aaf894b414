import { eventBatch, texts } from '../support/records.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fileOutputSchema } from '../../outputs/file/config.js';
import { createFileOutput, type FileOutputOptions } from '../../outputs/file/index.js';
import { createObjectFile, formatStamp, objectKey } from '../../outputs/file/object-key.js';
import type { EventBatch, Output } from '../../src/output/contract.js';

// EACCES cannot be provoked for real as root (CI runs as root): injected into open() under one directory.
const fsFault = vi.hoisted(() => ({ eaccesUnder: undefined as string | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (path, flags, mode) => {
    const p = String(path);
    if (fsFault.eaccesUnder !== undefined && p.startsWith(`${fsFault.eaccesUnder}/`)) {
      throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES', errno: -13, syscall: 'open', path: p });
    }
    return real.open(path, flags, mode);
  };
  return { ...real, default: { ...real, open }, open };
});

const logger = pino({ level: 'silent' });
const DAY1 = Date.UTC(2024, 4, 1, 12, 0, 0);
const DAY2 = Date.UTC(2024, 4, 2, 8, 30, 0);

const dirs: string[] = [];
const outputs: Output[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  fsFault.eaccesUnder = undefined;
  await Promise.allSettled(outputs.splice(0).map((o) => o.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  // realpath: /proc/self/fd links show resolved paths.
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'logship-file-')));
  dirs.push(d);
  return d;
}

function setup(raw: Record<string, unknown>, options?: FileOutputOptions) {
  const config = { ...fileOutputSchema.parse({ type: 'file', ...raw }), name: 'test' };
  const durable: number[] = [];
  const out = createFileOutput(config, { logger, counters: { events: {}, requests: {} }, stateDir: tmpdir(), onDurable: (seq) => durable.push(seq) }, options);
  outputs.push(out);
  return { out, durable, root: config.path };
}

let counter = 0;
/** A batch of `n` events, all at `time` unless `times` is given. */
function batch(seq: number, n: number, time = DAY1, times?: number[]): EventBatch {
  const records: string[] = [];
  for (let i = 0; i < n; i++) records.push(JSON.stringify({ '@timestamp': new Date(times?.[i] ?? time).toISOString(), message: `event ${counter++} of batch ${seq}` }));
  return eventBatch(seq, records, { times: times ?? records.map(() => time), ids: records.map((_, i) => `${seq}-${i}`) });
}

/** Object files under root, relative, in key order (stamps sort by creation). */
function objects(root: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else found.push(relative(root, p));
    }
  };
  walk(root);
  return found.sort();
}

function lines(records: readonly string[]): string {
  return records.map((r) => `${r}\n`).join('');
}

function decode(path: string): string {
  const bytes = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
}

/** Paths under root that this process holds open (Linux /proc). */
function openFilesUnder(root: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(root + '/')) open.push(target);
    } catch {
      // fd closed while listing
    }
  }
  return open;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('file output', () => {
  it('writes one event per line as NDJSON under a creation-stamped key', async () => {
    const { out, root } = setup({ path: tempDir(), sync_interval: '1h' });
    await out.start();
    const b1 = batch(1, 3);
    const b2 = batch(2, 2);
    await out.write(b1);
    await out.write(b2);
    await out.flush();
    const files = objects(root);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{8}T\d{9}Z-0\.ndjson$/);
    expect(readFileSync(join(root, files[0]!), 'utf8')).toBe(lines([...texts(b1), ...texts(b2)]));
  });

  it('creates nested directories, including the root', async () => {
    const root = join(tempDir(), 'a', 'b');
    const { out } = setup({ path: root, prefix: 'x/%Y/', sync_interval: '1h' });
    await out.start();
    await out.write(batch(1, 1));
    await out.close();
    expect(objects(root)[0]).toMatch(/^x\/2024\/\d{8}T\d{9}Z-0\.ndjson$/);
  });

  it('ends a gzip member at every sync point, so each synced state decodes whole and in order', async () => {
    const { out, root } = setup({ path: tempDir(), compression: 'gzip', sync_interval: '1h' });
    await out.start();
    const all: string[] = [];
    const sizes: number[] = [];
    for (let round = 1; round <= 4; round++) {
      for (let k = 0; k < 3; k++) {
        const b = batch(round * 10 + k, 50);
        all.push(...texts(b));
        await out.write(b);
      }
      await out.flush();
      const [file] = objects(root);
      expect(file).toMatch(/\.ndjson\.gz$/);
      // What a crash right after this fsync would leave is a complete gzip file.
      expect(decode(join(root, file!))).toBe(lines(all));
      sizes.push(statSync(join(root, file!)).size);
    }
    await out.close();
    const bytes = readFileSync(join(root, objects(root)[0]!));
    // The first member alone decodes to the first round: members really end at sync points.
    expect(gunzipSync(bytes.subarray(0, sizes[0])).toString()).toBe(lines(all.slice(0, 150)));
    expect(gunzipSync(bytes).toString()).toBe(lines(all));
  });

  it('reports a seq durable only after an fsync that follows its write', async () => {
    // Record fsyncs of every FileHandle, in order with writes and reports.
    const events: string[] = [];
    const probe = await open(process.execPath, 'r');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const realSync = proto.sync;
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: unknown) {
      await realSync.call(this);
      events.push('fsync');
    });

    const root = tempDir();
    const config = { ...fileOutputSchema.parse({ type: 'file', path: root, sync_interval: '1h' }), name: 't' };
    const durable: number[] = [];
    const out = createFileOutput(config, {
      logger,
      counters: { events: {}, requests: {} },
      stateDir: tmpdir(),
      onDurable: (seq) => {
        durable.push(seq);
        events.push(`durable ${seq}`);
      },
    });
    outputs.push(out);
    await out.start();
    for (const seq of [1, 2, 3]) {
      await out.write(batch(seq, 5));
      events.push(`write ${seq}`);
    }
    expect(durable).toEqual([]);
    await out.flush();
    expect(durable).toEqual([3]);
    await out.write(batch(4, 5));
    events.push('write 4');
    await out.write(batch(7, 5));
    events.push('write 7');
    expect(durable).toEqual([3]);
    await out.close();
    expect(durable).toEqual([3, 7]);
    // Every report comes after an fsync that comes after the reported write.
    for (const seq of durable) {
      const reported = events.indexOf(`durable ${seq}`);
      const written = events.indexOf(`write ${seq}`);
      expect(events.slice(written, reported)).toContain('fsync');
    }
  });

  it('does not report a batch appended while an fsync is in flight', async () => {
    const probe = await open(process.execPath, 'r');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const realSync = proto.sync;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let syncing = false;
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: unknown) {
      syncing = true;
      await gate;
      await realSync.call(this);
    });
    const { out, durable } = setup({ path: tempDir(), sync_interval: '1h' });
    await out.start();
    await out.write(batch(1, 2));
    const first = out.flush();
    await waitFor('the fsync to start', () => syncing);
    await out.write(batch(2, 2));
    release();
    await first;
    expect(durable).toEqual([1]);
    await out.flush();
    expect(durable).toEqual([1, 2]);
  });

  it('syncs from write when unsynced bytes pass the threshold, without waiting for the timer', async () => {
    const { out, durable } = setup({ path: tempDir(), sync_interval: '1h' });
    await out.start();
    const big = 'x'.repeat(1000);
    const records = Array.from({ length: 9000 }, (_, i) => JSON.stringify({ i, big }));
    await out.write(eventBatch(1, records, { times: records.map(() => DAY1), ids: records.map((_, i) => `id-${i}`) }));
    expect(durable).toEqual([1]);
  });

  it('reports durability from the timer, monotonically, never ahead of what was written', async () => {
    const root = tempDir();
    const config = { ...fileOutputSchema.parse({ type: 'file', path: root, sync_interval: '20ms' }), name: 't' };
    let written = 0;
    const durable: number[] = [];
    const out = createFileOutput(config, {
      logger,
      counters: { events: {}, requests: {} },
      stateDir: tmpdir(),
      onDurable: (seq) => {
        expect(seq).toBeLessThanOrEqual(written);
        durable.push(seq);
      },
    });
    outputs.push(out);
    await out.start();
    for (let seq = 1; seq <= 30; seq++) {
      await out.write(batch(seq, 10));
      written = seq;
      if (seq % 5 === 0) await new Promise((r) => setTimeout(r, 25));
    }
    await waitFor('seq 30 durable', () => durable.at(-1) === 30);
    expect(durable.length).toBeGreaterThan(1);
    for (let i = 1; i < durable.length; i++) expect(durable[i]).toBeGreaterThan(durable[i - 1]!);
  });

  it('rolls over by size, keeping every event once and in order', async () => {
    const { out, root } = setup({ path: tempDir(), object: { max_bytes: 300 }, sync_interval: '1h' });
    await out.start();
    const all: string[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      const b = batch(seq, 2);
      all.push(...texts(b));
      await out.write(b);
    }
    await out.close();
    const files = objects(root);
    expect(files.length).toBeGreaterThan(3);
    const biggestBatch = 2 * (Math.max(...all.map((r) => r.length)) + 1);
    for (const f of files) expect(statSync(join(root, f)).size).toBeLessThan(300 + biggestBatch);
    expect(files.map((f) => decode(join(root, f))).join('')).toBe(lines(all));
  });

  it('rolls gzip objects over by compressed size', async () => {
    const { out, root } = setup({ path: tempDir(), compression: 'gzip', object: { max_bytes: 200 }, sync_interval: '1h' });
    await out.start();
    const all: string[] = [];
    for (let seq = 1; seq <= 8; seq++) {
      const b = batch(seq, 20);
      all.push(...texts(b));
      await out.write(b);
      await out.flush(); // compressed sizes are known once written
    }
    await out.close();
    const files = objects(root);
    expect(files.length).toBeGreaterThan(1);
    expect(files.map((f) => decode(join(root, f))).join('')).toBe(lines(all));
  });

  it('closes an idle object when it reaches max_age, and the next event opens a new one', async () => {
    const { out, root, durable } = setup({ path: tempDir(), object: { max_age: '100ms' }, sync_interval: '20ms' });
    await out.start();
    const b1 = batch(1, 3);
    await out.write(b1);
    await waitFor('the object to be created', () => openFilesUnder(root).length === 1);
    await waitFor('the idle object to close', () => openFilesUnder(root).length === 0);
    await waitFor('seq 1 durable', () => durable.includes(1));
    expect(objects(root)).toHaveLength(1);
    const b2 = batch(2, 3);
    await out.write(b2);
    await out.flush();
    const files = objects(root);
    expect(files).toHaveLength(2);
    expect(decode(join(root, files[0]!))).toBe(lines(texts(b1)));
    expect(decode(join(root, files[1]!))).toBe(lines(texts(b2)));
  });

  it('renders the prefix from each event time: two days land in two directories', async () => {
    const { out, root } = setup({ path: tempDir(), prefix: 'app/%Y/%m/%d/', sync_interval: '1h' });
    await out.start();
    const times = [DAY1, DAY2, DAY1, DAY2, DAY2];
    const b = batch(1, 5, undefined, times);
    await out.write(b);
    await out.close();
    const files = objects(root);
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^app\/2024\/05\/01\/\d{8}T\d{9}Z-0\.ndjson$/);
    expect(files[1]).toMatch(/^app\/2024\/05\/02\/\d{8}T\d{9}Z-0\.ndjson$/);
    expect(decode(join(root, files[0]!))).toBe(lines([texts(b)[0]!, texts(b)[2]!]));
    expect(decode(join(root, files[1]!))).toBe(lines([texts(b)[1]!, texts(b)[3]!, texts(b)[4]!]));
  });

  it('bounds open objects, closing the least recently used', async () => {
    const { out, root } = setup({ path: tempDir(), prefix: '%F/', sync_interval: '1h' }, { maxOpenObjects: 2 });
    await out.start();
    const days = [0, 1, 2, 3, 4].map((d) => DAY1 + d * 86_400_000);
    const b = batch(1, 5, undefined, days);
    await out.write(b);
    await out.flush();
    expect(openFilesUnder(root).length).toBeLessThanOrEqual(2);
    await out.close();
    expect(openFilesUnder(root)).toEqual([]);
    const files = objects(root);
    expect(files.map((f) => f.slice(0, 10))).toEqual(['2024-05-01', '2024-05-02', '2024-05-03', '2024-05-04', '2024-05-05']);
    expect(files.map((f) => decode(join(root, f))).join('')).toBe(lines(texts(b)));
  });

  it('never overwrites an existing object after a restart (EEXIST bumps the counter)', async () => {
    const root = tempDir();
    const now = Date.UTC(2024, 4, 1, 12, 0, 0, 5);
    const taken = objectKey('', now, 0, 'none');
    writeFileSync(join(root, taken), 'from the previous run\n');
    const { out } = setup({ path: root, sync_interval: '1h' }, { now: () => now });
    await out.start();
    const b = batch(1, 2);
    await out.write(b);
    await out.close();
    expect(readFileSync(join(root, taken), 'utf8')).toBe('from the previous run\n');
    const next = `${formatStamp(now)}-1.ndjson`;
    expect(next).toBe('20240501T120000005Z-1.ndjson');
    expect(readFileSync(join(root, next), 'utf8')).toBe(lines(texts(b)));
  });

  it('createObjectFile creates exclusively and bumps n', async () => {
    const root = tempDir();
    const a = await createObjectFile('t', root, 'p/', DAY1, 'gzip');
    const b = await createObjectFile('t', root, 'p/', DAY1, 'gzip');
    await a.fh.close();
    await b.fh.close();
    expect(a.key).toBe('p/20240501T120000000Z-0.ndjson.gz');
    expect(b.key).toBe('p/20240501T120000000Z-1.ndjson.gz');
  });

  it('rejects write and flush with an error naming the path when the directory cannot be created', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'blocked'), 'a file where a directory should be');
    const { out, durable } = setup({ path: root, prefix: 'blocked/%Y/', sync_interval: '1h' });
    await out.start();
    await out.write(batch(1, 1)); // buffered; the object opens in the background
    const flushed = out.flush();
    await expect(flushed).rejects.toThrow(/file output "test": cannot create directory .*\/blocked\/2024: ENOTDIR/);
    await expect(out.write(batch(2, 1))).rejects.toThrow(/blocked\/2024/);
    await expect(out.flush()).rejects.toThrow(/blocked\/2024/);
    await expect(out.close()).rejects.toThrow(/blocked\/2024/);
    expect(durable).toEqual([]);
  });

  it('rejects start with an error naming the root when it cannot be created', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), '');
    const { out } = setup({ path: join(base, 'file', 'out') });
    await expect(out.start()).rejects.toThrow(`cannot create directory ${join(base, 'file', 'out')}: ENOTDIR`);
  });

  it('rejects with EACCES naming the file in a directory it may not write to', async () => {
    const root = tempDir();
    fsFault.eaccesUnder = root;
    const { out } = setup({ path: root, sync_interval: '1h' });
    await out.start();
    await out.write(batch(1, 1));
    await expect(out.flush()).rejects.toThrow(new RegExp(`cannot create ${root}/\\d{8}T\\d{9}Z-0\\.ndjson: EACCES`));
    expect(objects(root), 'nothing created').toEqual([]);
  });

  it('rejects a bad prefix pattern when created', () => {
    expect(() => setup({ path: tempDir(), prefix: '%Y/%Q/' })).toThrow(/unknown specifier %Q/);
  });

  it('close is idempotent and later writes reject', async () => {
    const { out, root, durable } = setup({ path: tempDir(), sync_interval: '1h' });
    await out.start();
    await out.write(batch(1, 1));
    await Promise.all([out.close(), out.close()]);
    await out.close();
    await out.flush();
    expect(durable).toEqual([1]);
    await expect(out.write(batch(2, 1))).rejects.toThrow(/write after close/);
    expect(openFilesUnder(root)).toEqual([]);
    expect(existsSync(root)).toBe(true);
  });
});
