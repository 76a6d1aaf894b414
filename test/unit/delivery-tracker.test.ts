import { describe, expect, it } from 'vitest';
import { DeliveryTracker } from '../../src/checkpoint/delivery-tracker.js';
import type { CheckpointEntry } from '../../src/checkpoint/entry.js';
import type { TailedFile } from '../../src/tail/tailed-file.js';

interface FakeFile {
  readPos: number;
  resumeOffset: number;
  key: string;
  path: string;
  id: { dev: number; ino: number; fp: { len: number; crc: number; final: boolean } };
  generation: number;
  lastMtimeMs: number;
}

let ino = 100;
/** The fields DeliveryTracker reads from a TailedFile. */
function fakeFile(over: Partial<FakeFile> = {}): FakeFile & TailedFile {
  const n = ino++;
  const f: FakeFile = {
    readPos: 0,
    resumeOffset: 0,
    key: `key${n}`,
    path: `/var/log/app${n}.log`,
    id: { dev: 7, ino: n, fp: { len: 12, crc: 0xabcdef, final: true } },
    generation: 0,
    lastMtimeMs: 1_700_000_000_000 + n,
    ...over,
  };
  return f as unknown as FakeFile & TailedFile;
}

/** Offsets per path in a snapshot, for compact assertions. */
function offsets(t: DeliveryTracker): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entries of Object.values(t.snapshot())) for (const e of entries) out[e.path] = e.offset;
  return out;
}

describe('DeliveryTracker', () => {
  it('rejects more than 30 outputs', () => {
    expect(() => new DeliveryTracker(31)).toThrow(/30 outputs/);
    expect(() => new DeliveryTracker(30)).not.toThrow();
  });

  it('a snapshot entry carries the file identity and starts at the position reading started from', () => {
    const t = new DeliveryTracker(1);
    const f = fakeFile({
      readPos: 4096,
      key: 'abcdef0123456789',
      path: '/var/log/app.log',
      id: { dev: 2049, ino: 555, fp: { len: 30, crc: 123456, final: true } },
      generation: 2,
      lastMtimeMs: 1_700_000_123_456,
    });
    t.opened('app', f);
    expect(t.snapshot()).toEqual({
      app: [
        {
          key: 'abcdef0123456789',
          path: '/var/log/app.log',
          dev: 2049,
          ino: 555,
          fp_len: 30,
          fp_crc: 123456,
          fp_final: true,
          generation: 2,
          offset: 4096,
          mtime_ms: 1_700_000_123_456,
        } satisfies CheckpointEntry,
      ],
    });
  });

  it('reflects the file identity as it is at snapshot time (key settled, fingerprint extended, mtime)', () => {
    const t = new DeliveryTracker(1);
    const f = fakeFile({ key: '', id: { dev: 1, ino: 9, fp: { len: 3, crc: 1, final: false } } });
    t.opened('in', f);
    f.key = 'settled';
    f.id.fp = { len: 10, crc: 2, final: true };
    f.lastMtimeMs = 42;
    const [e] = t.snapshot().in!;
    expect(e).toMatchObject({ key: 'settled', fp_len: 10, fp_crc: 2, fp_final: true, mtime_ms: 42 });
  });

  it('groups entries by input', () => {
    const t = new DeliveryTracker(1);
    const a = fakeFile({ path: '/a' });
    const b = fakeFile({ path: '/b' });
    const c = fakeFile({ path: '/c' });
    t.opened('one', a);
    t.opened('two', b);
    t.opened('one', c);
    const snap = t.snapshot();
    expect(Object.keys(snap).sort()).toEqual(['one', 'two']);
    expect(snap.one!.map((e) => e.path).sort()).toEqual(['/a', '/c']);
    expect(snap.two!.map((e) => e.path)).toEqual(['/b']);
  });

  it('sequences batches globally from 1', () => {
    const t = new DeliveryTracker(1);
    const a = fakeFile();
    const b = fakeFile();
    t.opened('in', a);
    t.opened('in', b);
    expect(t.dispatched(a, 10, 1)).toBe(1);
    expect(t.dispatched(b, 20, 1)).toBe(2);
    expect(t.dispatched(a, 30, 1)).toBe(3);
    expect(t.inFlight()).toBe(3);
  });

  it('the offset moves only when the output reports the batch durable', () => {
    const t = new DeliveryTracker(1);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    const s1 = t.dispatched(f, 100, 0b1);
    expect(offsets(t)).toEqual({ '/f': 0 });
    t.durable(0, s1);
    expect(offsets(t)).toEqual({ '/f': 100 });
    expect(t.inFlight()).toBe(0);
  });

  it('"durable through N" covers every earlier batch, and advances to the last one covered', () => {
    const t = new DeliveryTracker(1);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    t.dispatched(f, 10, 1);
    const s2 = t.dispatched(f, 20, 1);
    t.dispatched(f, 30, 1);
    t.durable(0, s2);
    expect(offsets(t)).toEqual({ '/f': 20 });
    expect(t.inFlight()).toBe(1);
  });

  it('stale or repeated durability reports change nothing', () => {
    const t = new DeliveryTracker(1);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    const s1 = t.dispatched(f, 10, 1);
    const s2 = t.dispatched(f, 20, 1);
    t.durable(0, s2);
    t.durable(0, s1);
    t.durable(0, s2);
    expect(offsets(t)).toEqual({ '/f': 20 });
    const s3 = t.dispatched(f, 30, 1);
    t.durable(0, s1);
    expect(offsets(t)).toEqual({ '/f': 20 });
    t.durable(0, s3);
    expect(offsets(t)).toEqual({ '/f': 30 });
  });

  it('with two outputs, a batch for both waits for the slower one', () => {
    const t = new DeliveryTracker(2);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    const s1 = t.dispatched(f, 100, 0b11);
    const s2 = t.dispatched(f, 200, 0b11);
    t.durable(0, s2);
    expect(offsets(t)).toEqual({ '/f': 0 });
    t.durable(1, s1);
    expect(offsets(t)).toEqual({ '/f': 100 });
    t.durable(1, s2);
    expect(offsets(t)).toEqual({ '/f': 200 });
  });

  it('a batch bound for some outputs does not wait for the others', () => {
    const t = new DeliveryTracker(3);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    const s1 = t.dispatched(f, 100, 0b100); // only output 2
    t.durable(2, s1);
    expect(offsets(t)).toEqual({ '/f': 100 });
    const s2 = t.dispatched(f, 200, 0b101);
    t.durable(2, s2);
    t.durable(1, s2); // output 1 is not in the mask: does not help
    expect(offsets(t)).toEqual({ '/f': 100 });
    t.durable(0, s2);
    expect(offsets(t)).toEqual({ '/f': 200 });
  });

  it('the highest output index works (bit 29)', () => {
    const t = new DeliveryTracker(30);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    const s = t.dispatched(f, 5, 1 << 29);
    t.durable(0, s);
    expect(offsets(t)).toEqual({ '/f': 0 });
    t.durable(29, s);
    expect(offsets(t)).toEqual({ '/f': 5 });
  });

  it('files advance independently; a seq covering another file\'s batch does not move this one past its own', () => {
    const t = new DeliveryTracker(2);
    const a = fakeFile({ path: '/a' });
    const b = fakeFile({ path: '/b' });
    t.opened('in', a);
    t.opened('in', b);
    const a1 = t.dispatched(a, 10, 0b11); // 1
    const b1 = t.dispatched(b, 50, 0b01); // 2: output 0 only
    const a2 = t.dispatched(a, 20, 0b11); // 3
    t.durable(0, a2);
    expect(offsets(t)).toEqual({ '/a': 0, '/b': 50 });
    t.durable(1, b1); // output 1 through 2 covers a1 only
    expect(offsets(t)).toEqual({ '/a': 10, '/b': 50 });
    expect(a1).toBe(1);
    t.durable(1, a2);
    expect(offsets(t)).toEqual({ '/a': 20, '/b': 50 });
  });

  it('a batch for no output at all is durable at once', () => {
    const t = new DeliveryTracker(1);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    t.dispatched(f, 100, 0);
    expect(offsets(t)).toEqual({ '/f': 100 });
    expect(t.inFlight()).toBe(0);
  });

  // Regression (fixed in e332d23): dispatched(..., mask 0) used to set the durable
  // offset directly, even when earlier batches of the same file were still waiting for
  // an output. The checkpoint then skipped lines no output had made durable (lost on a
  // crash), and moved backwards when the earlier batch became durable.
  it('a batch for no output does not move the offset past earlier batches still in flight', () => {
    const t = new DeliveryTracker(1);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    const s1 = t.dispatched(f, 100, 1);
    t.dispatched(f, 200, 0);
    expect(offsets(t)).toEqual({ '/f': 0 });
    t.durable(0, s1);
    expect(offsets(t)).toEqual({ '/f': 200 });
    expect(t.inFlight()).toBe(0);
  });

  it('no-output batches queued behind an in-flight one resolve with it, in order, and not before', () => {
    const t = new DeliveryTracker(2);
    const f = fakeFile({ path: '/f' });
    t.opened('in', f);
    const s1 = t.dispatched(f, 100, 0b11);
    t.dispatched(f, 150, 0);
    const s3 = t.dispatched(f, 300, 0b01);
    t.dispatched(f, 350, 0);
    expect(t.inFlight()).toBe(4);
    t.durable(0, s3);
    expect(offsets(t)).toEqual({ '/f': 0 });
    t.durable(1, s1);
    expect(offsets(t)).toEqual({ '/f': 350 });
    expect(t.inFlight()).toBe(0);
    // nothing in flight again: a no-output batch is durable at once
    t.dispatched(f, 400, 0);
    expect(offsets(t)).toEqual({ '/f': 400 });
  });

  it('reports for unknown files or before any dispatch are harmless', () => {
    const t = new DeliveryTracker(1);
    t.durable(0, 5);
    const stray = fakeFile();
    expect(t.dispatched(stray, 10, 1)).toBe(1); // never opened: sequenced, not tracked
    expect(t.inFlight()).toBe(0);
    expect(t.snapshot()).toEqual({});
  });

  describe('closed files', () => {
    it('a closed file whose lines are all durable is forgotten', () => {
      const t = new DeliveryTracker(1);
      const f = fakeFile({ path: '/f' });
      const g = fakeFile({ path: '/g' });
      t.opened('in', f);
      t.opened('in', g);
      const s = t.dispatched(f, 100, 1);
      t.durable(0, s);
      f.resumeOffset = 100;
      t.closed(f);
      expect(offsets(t)).toEqual({ '/g': 0 });
      expect(offsets(t)).toEqual({ '/g': 0 });
    });

    it('a closed file stays in the checkpoint until its last batch is durable', () => {
      const t = new DeliveryTracker(2);
      const f = fakeFile({ path: '/f' });
      t.opened('in', f);
      t.dispatched(f, 100, 0b11);
      const s2 = t.dispatched(f, 250, 0b11);
      f.resumeOffset = 250;
      t.closed(f);
      expect(offsets(t)).toEqual({ '/f': 0 });
      t.durable(0, s2);
      expect(offsets(t)).toEqual({ '/f': 0 });
      t.durable(1, s2 - 1);
      expect(offsets(t)).toEqual({ '/f': 100 });
      t.durable(1, s2);
      expect(offsets(t)).toEqual({});
    });

    it('the close offset is taken at close time, not later', () => {
      const t = new DeliveryTracker(1);
      const f = fakeFile({ path: '/f', resumeOffset: 60 });
      t.opened('in', f);
      const s = t.dispatched(f, 60, 1);
      t.closed(f);
      f.resumeOffset = 1000; // must not matter any more
      t.durable(0, s);
      expect(offsets(t)).toEqual({});
    });

    it('a file closed without reading anything (opened at its end) is forgotten at once', () => {
      const t = new DeliveryTracker(1);
      const f = fakeFile({ path: '/f', readPos: 500, resumeOffset: 500 });
      t.opened('in', f);
      expect(offsets(t)).toEqual({ '/f': 500 });
      t.closed(f);
      expect(offsets(t)).toEqual({});
    });

    it('an open file is never forgotten, even when everything read is durable', () => {
      const t = new DeliveryTracker(1);
      const f = fakeFile({ path: '/f' });
      t.opened('in', f);
      t.durable(0, t.dispatched(f, 10, 1));
      expect(offsets(t)).toEqual({ '/f': 10 });
      expect(offsets(t)).toEqual({ '/f': 10 });
    });

    it('closing an unknown file is a no-op', () => {
      const t = new DeliveryTracker(1);
      t.closed(fakeFile());
      expect(t.snapshot()).toEqual({});
    });
  });

  it('two generations of one path (rotation) are tracked separately', () => {
    const t = new DeliveryTracker(1);
    const old = fakeFile({ path: '/var/log/app.log', key: 'old', generation: 0 });
    const cur = fakeFile({ path: '/var/log/app.log', key: 'new', generation: 0 });
    t.opened('in', old);
    t.opened('in', cur);
    const s1 = t.dispatched(old, 900, 1);
    t.dispatched(cur, 40, 1);
    t.durable(0, s1);
    const entries = t.snapshot().in!;
    expect(entries.map((e) => [e.key, e.offset])).toEqual([
      ['old', 900],
      ['new', 0],
    ]);
  });
});
