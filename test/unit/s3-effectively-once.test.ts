// Effectively-once uploads of the `s3` output (outputs/s3/upload-journal.ts): an object recorded before its final
// upload is rebuilt exactly by a replay of its records, whatever the batch boundaries; records of an object already
// uploaded are not uploaded again; multipart uploads left open are aborted on start. Through the real SDK against
// s3rver behind the test proxy (test/support/s3-h.server.ts), which records every content written per key and can
// hold a request so a "crash" (an output abandoned mid-upload) happens at a chosen moment.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createS3Output } from '../../outputs/s3/index.js';
import { journalPath } from '../../outputs/s3/upload-journal.js';
import type { EventBatch, OutputBufferView } from '../../src/output/contract.js';
import { eventBatch } from '../support/records.js';
import { useS3Harness } from '../support/s3-unit.js';

const DAY1 = Date.UTC(2024, 4, 1, 10, 0, 0);
const HOUR = 3_600_000;

const h = useS3Harness('s3-once');

interface Logged {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** An s3 output as the pipeline builds it, over `stateDir`, with a log kept in `logs`. */
function output(stateDir: string, base: string, raw: Record<string, unknown>, opts: { now?: () => number; buffer?: OutputBufferView; track?: boolean } = {}) {
  const config = h.config({ prefix: `${base}%H/`, request_timeout: '5s', ...raw });
  const logs: Logged[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Logged) });
  const durable: number[] = [];
  const out = createS3Output(config, { logger, counters: { events: {}, requests: {} }, stateDir, onDurable: (seq) => durable.push(seq), ...(opts.buffer && { buffer: opts.buffer }) }, opts.now ? { now: opts.now } : {});
  // An abandoned ("crashed") output is not closed: closing would upload what it holds.
  if (opts.track !== false) h.track(out);
  return { out, durable, logs };
}

/** Buffer records `first..last` as one batch (seq = the last id), in hour `hourOf(id)`, with incompressible text. */
function records(first: number, last: number, hourOf: (id: number) => number = () => 0, pad = 40): EventBatch {
  const jsons: string[] = [];
  const times: number[] = [];
  const ids: string[] = [];
  for (let id = first; id <= last; id++) {
    const t = DAY1 + hourOf(id) * HOUR + id;
    ids.push(`e${id}`);
    times.push(t);
    jsons.push(JSON.stringify({ '@timestamp': new Date(t).toISOString(), event: { id: `e${id}` }, message: `record ${id} ${textOf(id, pad)}` }));
  }
  return eventBatch(last, jsons, { times, ids });
}

/** Deterministic incompressible-looking text per record (the same record must encode alike in every run). */
function textOf(id: number, bytes: number): string {
  let x = (id + 1) * 2654435761;
  let out = '';
  while (out.length < bytes) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += x.toString(36);
  }
  return out.slice(0, bytes);
}

/** The records' ids in every object under `base`, and each key's lines. */
async function bucketIds(base: string): Promise<{ ids: number[]; keys: string[] }> {
  const keys = await h.server.list(base);
  const ids: number[] = [];
  for (const key of keys) {
    const { body } = await h.server.get(key);
    const text = (key.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8');
    for (const l of text.split('\n')) if (l !== '') ids.push(Number((JSON.parse(l) as { event: { id: string } }).event.id.slice(1)));
  }
  return { ids, keys };
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Every key under `base` was written with one content only. */
function oneContentPerKey(base: string): void {
  const bucketBase = `${base}`;
  const written = [...h.server.proxy!.contents].filter(([k]) => k.startsWith(bucketBase));
  expect(written.length).toBeGreaterThan(0);
  for (const [key, digests] of written) expect(digests, key).toHaveLength(1);
}

const isPut = (base: string) => (method: string, url: string) => method === 'PUT' && url.startsWith(`/${h.server.bucket}/${base}`) && !url.includes('uploadId');

describe('s3 output, effectively once', () => {
  it('an object recorded before its PutObject is rebuilt byte for byte under its key by a replay cut into other batches', async ({ skip }) => {
    if (h.server.proxy === undefined) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const state = h.tempDir();
    let clock = DAY1;
    // The first run: an object of records 0..99 closes on age when record 100 arrives; its PutObject reaches the
    // server, which stores it, but the answer never comes back: the process "dies" there.
    const held = h.server.proxy.hold(isPut(base), 'after');
    const a = output(state, base, { object: { max_age: '10s' } }, { now: () => clock, track: false });
    await a.out.start();
    // ~4 KiB records: the object is more than one gzip member.
    await a.out.write(records(0, 99, undefined, 4000));
    clock += 11_000;
    await a.out.write(records(100, 149, undefined, 4000));
    await held.reached;
    expect(a.durable).toEqual([]);
    const journal = JSON.parse(readFileSync(journalPath(state, 'archive'), 'utf8')) as { entries: { first: number; last: number; prefix: string }[] };
    expect(journal.entries).toEqual([expect.objectContaining({ prefix: `${base}10/`, first: 0, last: 99 })]);

    // The next run replays records 0..199 in batches of 7, syncing after each, with no age rollover: without the
    // journal its first object would hold 0..199 under the key of record 0, a second content for that key; with
    // gzip members ending where syncs fall, the same records would encode to other bytes.
    const b = output(state, base, { object: { max_age: '10s' } }, { now: () => DAY1 });
    await b.out.start();
    for (let first = 0; first <= 199; first += 7) {
      await b.out.write(records(first, Math.min(199, first + 6), undefined, 4000));
      await b.out.flush();
    }
    await b.out.close();
    expect(b.durable.at(-1)).toBe(199);

    const { ids, keys } = await bucketIds(base);
    expect(ids.sort((x, y) => x - y)).toEqual(range(0, 199));
    expect(keys).toHaveLength(2);
    oneContentPerKey(base);
    expect(b.logs.some((l) => /1 recorded object\(s\) will be rebuilt/.test(l.msg))).toBe(true);
  }, 60_000);

  it('a recorded object only partly replayed when the output stops is not uploaded short, and its records stay unacknowledged', async ({ skip }) => {
    if (h.server.proxy === undefined) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const state = h.tempDir();
    let clock = DAY1;
    const held = h.server.proxy.hold(isPut(base), 'after');
    const a = output(state, base, { object: { max_age: '10s' } }, { now: () => clock, track: false });
    await a.out.start();
    await a.out.write(records(0, 99));
    clock += 11_000;
    await a.out.write(records(100, 109));
    await held.reached;
    // Stopped after half of the recorded object's records: nothing of it uploaded or acknowledged.
    const b = output(state, base, { object: { max_age: '10s' } }, { now: () => DAY1 });
    await b.out.start();
    await b.out.write(records(0, 49));
    await b.out.close();
    expect(b.durable.filter((s) => s >= 0)).toEqual([]);
    const c = output(state, base, { object: { max_age: '10s' } }, { now: () => DAY1 });
    await c.out.start();
    await c.out.write(records(0, 109));
    await c.out.close();
    expect(c.durable.at(-1)).toBe(109);
    const { ids } = await bucketIds(base);
    expect(ids.sort((x, y) => x - y)).toEqual(range(0, 109));
    oneContentPerKey(base);
  }, 60_000);

  it('records of an object uploaded before the crash are not uploaded again when the replay starts inside its range', async ({ skip }) => {
    if (h.server.proxy === undefined) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const state = h.tempDir();
    // Hour 0 holds records 0..99 and 200..299, hour 1 holds 100..199. The hour-0 object ends on max_events (200)
    // and is uploaded while the hour-1 object is still open, so only records up to 99 are acknowledged.
    const hourOf = (id: number): number => (id >= 100 && id < 200 ? 1 : 0);
    const a = output(state, base, { object: { max_events: 200 } }, { track: false });
    await a.out.start();
    for (const first of [0, 100, 200]) await a.out.write(records(first, first + 99, hourOf));
    await a.out.flush();
    expect(a.durable.at(-1)).toBe(99);
    expect((await h.server.list(base)).length).toBe(1);

    // The replay starts at record 100 (the buffer's oldest unacknowledged): 200..299 are in the bucket already.
    const b = output(state, base, { object: { max_events: 200 } });
    await b.out.start();
    await b.out.write(records(100, 199, hourOf));
    await b.out.write(records(200, 299, hourOf));
    await b.out.close();
    expect(b.durable.at(-1)).toBe(299);
    const { ids } = await bucketIds(base);
    expect(ids.sort((x, y) => x - y)).toEqual(range(0, 299));
    oneContentPerKey(base);
  }, 60_000);

  it('a multipart upload recorded before its Complete is rebuilt whole; the one left open is aborted on start', async ({ skip }) => {
    if (h.server.proxy === undefined) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const state = h.tempDir();
    // Uncompressed records of ~1 KiB: 6,000 of them make one 5 MiB part and a last one.
    const raw = { compression: 'none', part_size: '5MiB', object: { max_events: 6000 } };
    const held = h.server.proxy.hold((m, u) => m === 'POST' && u.startsWith(`/${h.server.bucket}/${base}`) && u.includes('uploadId'), 'before');
    const a = output(state, base, raw, { track: false });
    await a.out.start();
    await a.out.write(records(0, 2999, undefined, 1000));
    await a.out.write(records(3000, 6999, undefined, 1000));
    await held.reached;
    const uploadId = [...h.server.proxy.openUploads].find(([, k]) => k.startsWith(base))?.[0];
    expect(uploadId).toBeDefined();

    const b = output(state, base, raw);
    await b.out.start();
    // Aborted on start, by the UploadId the journal kept.
    expect(h.server.proxy.abortedUploads.has(uploadId!)).toBe(true);
    await b.out.write(records(0, 6999, undefined, 1000));
    await b.out.close();
    const { ids, keys } = await bucketIds(base);
    expect(ids.sort((x, y) => x - y)).toEqual(range(0, 6999));
    expect(keys).toHaveLength(2);
    oneContentPerKey(base);
    expect([...h.server.proxy.openUploads.values()].filter((k) => k.startsWith(base))).toEqual([]);
  }, 120_000);

  it('a crash while a recorded object is rebuilt leaves it recorded: the next run rebuilds the same range again', async ({ skip }) => {
    if (h.server.proxy === undefined) return skip();
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const state = h.tempDir();
    const raw = (maxEvents: number) => ({ compression: 'none', part_size: '5MiB', object: { max_events: maxEvents } });
    const isComplete = (m: string, u: string): boolean => m === 'POST' && u.startsWith(`/${h.server.bucket}/${base}`) && u.includes('uploadId');
    const isPart = (m: string, u: string): boolean => m === 'PUT' && u.startsWith(`/${h.server.bucket}/${base}`) && u.includes('uploadId');
    // Run 1 records records 0..5999 as one object and dies before its Complete.
    const completeHeld = h.server.proxy.hold(isComplete, 'before');
    const a = output(state, base, raw(6000), { track: false });
    await a.out.start();
    await a.out.write(records(0, 6999, undefined, 1000));
    await completeHeld.reached;
    // Run 2 rebuilds it and dies during its first part (after CreateMultipartUpload).
    const partHeld = h.server.proxy.hold(isPart, 'before');
    const b = output(state, base, raw(6000), { track: false });
    await b.out.start();
    await b.out.write(records(0, 6999, undefined, 1000));
    await partHeld.reached;
    // Run 3, with another max_events, still cuts the recorded object at 5999.
    const c = output(state, base, raw(7000));
    await c.out.start();
    await c.out.write(records(0, 6999, undefined, 1000));
    await c.out.close();
    const keys = await h.server.list(base);
    expect(keys).toHaveLength(2);
    const first = keys.find((k) => k.includes('-0-e0.'))!;
    expect((await h.server.get(first)).body.toString('utf8').split('\n').filter((l) => l !== '')).toHaveLength(6000);
    const { ids } = await bucketIds(base);
    expect(ids.sort((x, y) => x - y)).toEqual(range(0, 6999));
  }, 120_000);

  it('finds an upload created just before the crash with ListMultipartUploads; a refused list is logged once and skipped', async ({ skip }) => {
    if (h.server.proxy === undefined) return skip();
    for (const denied of [false, true]) {
      const base = `logship-test-${randomBytes(6).toString('hex')}/`;
      const state = h.tempDir();
      const raw = { compression: 'none', part_size: '5MiB', object: { max_events: 6000 } };
      // CreateMultipartUpload is stored but its answer (the UploadId) never arrives.
      const held = h.server.proxy.hold((m, u) => m === 'POST' && u.startsWith(`/${h.server.bucket}/${base}`) && u.includes('uploads'), 'after');
      const a = output(state, base, raw, { track: false });
      await a.out.start();
      await a.out.write(records(0, 5999, undefined, 1000));
      await held.reached;
      const left = [...h.server.proxy.openUploads].filter(([, k]) => k.startsWith(base));
      expect(left).toHaveLength(1);

      h.server.proxy.denyList = denied;
      try {
        const b = output(state, base, raw);
        await b.out.start();
        expect(h.server.proxy.abortedUploads.has(left[0]![0])).toBe(!denied);
        const warned = b.logs.filter((l) => /cannot list the multipart uploads/.test(l.msg));
        expect(warned).toHaveLength(denied ? 1 : 0);
        await b.out.write(records(0, 5999, undefined, 1000));
        await b.out.close();
        expect(b.durable.at(-1)).toBe(5999);
      } finally {
        h.server.proxy.denyList = false;
      }
      const { ids } = await bucketIds(base);
      expect(ids.sort((x, y) => x - y)).toEqual(range(0, 5999));
    }
  }, 180_000);

  it('a damaged journal is reported by name and set aside; the output goes on and delivers everything', async () => {
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const state = h.tempDir();
    const file = journalPath(state, 'archive');
    const a = output(state, base, {});
    await a.out.start();
    await a.out.write(records(0, 9));
    await a.out.close();
    writeFileSync(file, '{"version":1,"process":"x","entries":[{"key":');
    const b = output(state, base, {});
    await b.out.start();
    const error = b.logs.find((l) => l.level >= 50 && l.msg.includes(file));
    expect(error?.msg).toMatch(/is damaged \(moved to .*\.corrupt\)/);
    expect(existsSync(`${file}.corrupt`)).toBe(true);
    await b.out.write(records(10, 19));
    await b.out.close();
    expect(b.durable.at(-1)).toBe(19);
    const { ids } = await bucketIds(base);
    expect(ids.sort((x, y) => x - y)).toEqual(range(0, 19));
  }, 60_000);

  it('closes at max_events, keeps at most max_open_objects open, and closes the oldest early when the buffer nears full', async () => {
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    let fill = 0;
    const buffer: OutputBufferView = { fill: () => fill, durableAckId: () => undefined };
    const { out, durable } = output(h.tempDir(), base, { object: { max_events: 40 }, max_open_objects: 2 }, { buffer });
    await out.start();
    // Hours 0, 1, 2 in turn: the third prefix closes the least recently used (hour 0).
    await out.write(records(0, 9, () => 0));
    await out.write(records(10, 19, () => 1));
    await out.write(records(20, 29, () => 2));
    await out.flush();
    expect(durable.at(-1)).toBe(9);
    // Hour 1 (records 10..19) holds the oldest records; a nearly full buffer closes it with the next write.
    fill = 0.85;
    await out.write(records(30, 39, () => 2));
    await out.flush();
    expect(durable.at(-1)).toBe(19);
    fill = 0;
    // 30 more in hour 2 make 50: one object of 40, then one of 10.
    await out.write(records(40, 69, () => 2));
    await out.close();
    const keys = await h.server.list(base);
    const sizes: number[] = [];
    for (const k of keys) sizes.push(gunzipSync((await h.server.get(k)).body).toString('utf8').split('\n').filter((l) => l !== '').length);
    expect(sizes.sort((x, y) => x - y)).toEqual([10, 10, 10, 40]);
    const { ids } = await bucketIds(base);
    expect(ids.sort((x, y) => x - y)).toEqual(range(0, 69));
  }, 60_000);
});

