// The buffer's record framing (segment-format.ts) and the segment reader that
// streams it back, resynchronising after damage (segment-reader.ts).
import { framesOf, jsonOf } from '../support/records.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecord, type DecodedRecord, HEADER_BYTES, MAGIC, MAX_RECORD_BYTES, segmentFirstId, segmentName } from '../../src/buffer/segment-format.js';
import { SegmentReader, type ScanItem } from '../../src/buffer/segment-reader.js';

const PAYLOAD_FIXED = 17;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logship-buffer-format-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Byte offsets (from 0 of `buf`) where each record of an encodeRecords buffer starts. */
function recordStarts(buf: Buffer): number[] {
  const starts: number[] = [];
  for (let at = 0; at < buf.length; at += HEADER_BYTES + buf.readUInt32LE(at)) starts.push(at);
  return starts;
}

/** A record framed by hand, with a correct CRC over whatever payload we choose. */
function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

function payload(id: number, time: number, json: string): Buffer {
  const p = Buffer.alloc(PAYLOAD_FIXED + Buffer.byteLength(json));
  p.writeDoubleLE(id, 0);
  p.writeDoubleLE(time, 8);
  p.write(json, PAYLOAD_FIXED, 'utf8');
  return p;
}

const JSONS = ['{"message":"a"}', '{"message":"héllo wörld ✓ 🚀"}', '{}', `{"message":"${'x'.repeat(3000)}"}`];
const TIMES = [1_700_000_000_000, 1_700_000_000_001.5, 0, -5];
const IDS = ['1f3094814577db56000000000000', 'a', '', 'x'.repeat(255)];

describe('encodeRecords / decodeRecord', () => {
  it('round-trips ids, times, event ids, JSON (multi-byte UTF-8) and end offsets', () => {
    const buf = framesOf(41, JSONS, TIMES, IDS);
    const expectedLen = JSONS.reduce((n, j, i) => n + HEADER_BYTES + PAYLOAD_FIXED + IDS[i]!.length + Buffer.byteLength(j), 0);
    expect(buf.length).toBe(expectedLen);
    const base = 1000; // as if the buffer sat at file offset 1000
    let at = 0;
    for (let i = 0; i < JSONS.length; i++) {
      const r = decodeRecord(buf, at, buf.length - at, base + at);
      expect(r.kind).toBe('record');
      if (r.kind !== 'record') return;
      expect(r.record.id).toBe(41 + i);
      expect(r.record.time).toBe(TIMES[i]);
      expect(r.record.eventId).toBe(IDS[i]);
      expect(jsonOf(r.record)).toBe(JSONS[i]);
      const len = HEADER_BYTES + PAYLOAD_FIXED + IDS[i]!.length + Buffer.byteLength(JSONS[i]!);
      expect(r.record.end).toBe(base + at + len);
      at += len;
    }
    expect(at).toBe(buf.length);
  });

  it('writes time 0 and an empty event id as they are, and an empty run as an empty buffer', () => {
    const buf = framesOf(0, ['{"a":1}'], [0], ['']);
    const r = decodeRecord(buf, 0, buf.length, 0);
    expect(r).toMatchObject({ kind: 'record', record: { id: 0, time: 0, eventId: '' } });
    expect(r.kind === 'record' && jsonOf(r.record)).toBe('{"a":1}');
    expect(framesOf(5, [], []).length).toBe(0);
  });

  it('refuses an event id that is not ASCII or longer than its length byte', () => {
    expect(() => framesOf(0, ['{}'], [0], ['x'.repeat(256)])).toThrow(/at most 255 bytes/);
    expect(() => framesOf(0, ['{}'], [0], ['é'])).toThrow(/not ASCII/);
  });

  it('reports an event id length that runs past the record as damage', () => {
    const buf = framesOf(0, ['{}'], [0], ['abc']);
    buf[8 + 16] = 250; // the id length byte
    buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
    expect(decodeRecord(buf, 0, buf.length, 0)).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/event id length 250/) });
  });

  it('frames length and CRC32 of the payload in little endian', () => {
    const buf = framesOf(7, ['{"x":1}'], [123]);
    const len = buf.readUInt32LE(0);
    expect(len).toBe(PAYLOAD_FIXED + 7);
    expect(buf.readUInt32LE(4)).toBe(crc32(buf.subarray(8, 8 + len)));
    expect(buf.readDoubleLE(8)).toBe(7);
    expect(buf.readDoubleLE(16)).toBe(123);
  });

  it('asks for more bytes when the header or the payload is incomplete', () => {
    const buf = framesOf(0, ['{"message":"incomplete"}'], [1]);
    expect(decodeRecord(buf, 0, 0, 0)).toEqual({ kind: 'incomplete', need: HEADER_BYTES });
    expect(decodeRecord(buf, 0, HEADER_BYTES - 1, 0)).toEqual({ kind: 'incomplete', need: HEADER_BYTES });
    expect(decodeRecord(buf, 0, HEADER_BYTES, 0)).toEqual({ kind: 'incomplete', need: buf.length });
    expect(decodeRecord(buf, 0, buf.length - 1, 0)).toEqual({ kind: 'incomplete', need: buf.length });
    // `available` bounds the record even when the Buffer itself is longer.
    expect(decodeRecord(Buffer.concat([buf, Buffer.alloc(100)]), 0, buf.length - 1, 0).kind).toBe('incomplete');
    expect(decodeRecord(buf, 0, buf.length, 0).kind).toBe('record');
  });

  it('reports a flipped byte anywhere in the payload, or in the CRC, as a CRC mismatch', () => {
    const good = framesOf(3, ['{"message":"flip me"}'], [99]);
    for (let i = HEADER_BYTES - 4; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 0x10;
      expect(decodeRecord(bad, 0, bad.length, 0), `byte ${i}`).toEqual({ kind: 'corrupt', reason: 'CRC mismatch' });
    }
  });

  it('reports impossible lengths as corrupt without waiting for bytes', () => {
    const buf = framesOf(0, ['{}'], [0]);
    const short = Buffer.from(buf);
    short.writeUInt32LE(PAYLOAD_FIXED - 1, 0);
    expect(decodeRecord(short, 0, short.length, 0)).toEqual({ kind: 'corrupt', reason: `impossible record length ${PAYLOAD_FIXED - 1}` });
    const huge = Buffer.from(buf);
    huge.writeUInt32LE(MAX_RECORD_BYTES + 1, 0);
    expect(decodeRecord(huge, 0, HEADER_BYTES, 0)).toEqual({ kind: 'corrupt', reason: `impossible record length ${MAX_RECORD_BYTES + 1}` });
  });

  it('rejects a CRC-valid payload whose id is not a non-negative safe integer', () => {
    for (const id of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      const rec = frame(payload(id, 0, '{}'));
      const r = decodeRecord(rec, 0, rec.length, 0);
      expect(r.kind, `id ${id}`).toBe('corrupt');
      if (r.kind === 'corrupt') expect(r.reason).toMatch(/^impossible record id/);
    }
    const ok = frame(payload(2 ** 53 - 1, 0, '{}'));
    expect(decodeRecord(ok, 0, ok.length, 0)).toMatchObject({ kind: 'record', record: { id: 2 ** 53 - 1 } });
  });

  it('decodes at an inner position of a larger buffer', () => {
    const buf = framesOf(10, ['{"a":1}', '{"b":2}', '{"c":3}'], [1, 2, 3]);
    const starts = recordStarts(buf);
    const r = decodeRecord(buf, starts[2]!, buf.length - starts[2]!, 500 + starts[2]!);
    expect(r).toMatchObject({ kind: 'record', record: { id: 12, end: 500 + buf.length } });
    expect(r.kind === 'record' && jsonOf(r.record)).toBe('{"c":3}');
  });
});

describe('segment names', () => {
  it('round-trips first ids through 16 hex digits, sorting in id order', () => {
    for (const id of [0, 1, 255, 4096, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      const name = segmentName(id);
      expect(name).toMatch(/^seg-[0-9a-f]{16}\.log$/);
      expect(segmentFirstId(name)).toBe(id);
    }
    const ids = [300, 2, 70_000, 16, 0];
    const byName = ids.map(segmentName).sort().map((n) => segmentFirstId(n));
    expect(byName).toEqual([...ids].sort((a, b) => a - b));
    expect(segmentName(0)).toBe('seg-0000000000000000.log');
  });

  it('ignores files that are not segments', () => {
    for (const n of ['ack.json', 'ack.json.tmp', 'seg-0.log', 'seg-000000000000000G.log', 'seg-0000000000000000.log.tmp', 'quarantine', 'seg-0000000000000000.LOG']) {
      expect(segmentFirstId(n), n).toBeUndefined();
    }
  });
});

/** The record with its JSON copied out of the reader's buffer. */
function ownBytes(r: DecodedRecord): DecodedRecord {
  return { ...r, buf: Buffer.from(r.buf.subarray(r.jsonStart, r.jsonEnd)), jsonStart: 0, jsonEnd: r.jsonEnd - r.jsonStart };
}

describe('SegmentReader', () => {
  let n = 0;
  async function segment(body: Buffer, withMagic = true): Promise<{ path: string; size: number }> {
    const path = join(dir, `seg-${n++}.log`);
    const bytes = withMagic ? Buffer.concat([MAGIC, body]) : body;
    await writeFile(path, bytes);
    return { path, size: bytes.length };
  }

  async function readAll(path: string, limit: number, final = true, offset = 0): Promise<ScanItem[]> {
    const reader = await SegmentReader.open(path, offset);
    const items: ScanItem[] = [];
    try {
      // A record's bytes live in the reader's buffer until its next read: keep a copy of each.
      for (let item = await reader.next(limit, final); item; item = await reader.next(limit, final)) items.push(item.kind === 'record' ? { kind: 'record', record: ownBytes(item.record) } : item);
    } finally {
      await reader.close();
    }
    return items;
  }

  const ids = (items: ScanItem[]) => items.flatMap((i) => (i.kind === 'record' ? [i.record.id] : []));
  const jsons = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `{"n":${from + i},"pad":"${'p'.repeat(i % 7)}"}`);

  it('streams every record of a segment with its file offsets', async () => {
    const body = framesOf(100, jsons(50), []);
    const { path, size } = await segment(body);
    const items = await readAll(path, size);
    expect(ids(items)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
    const starts = recordStarts(body);
    items.forEach((it, i) => {
      if (it.kind === 'record') expect(it.record.end).toBe(MAGIC.length + (starts[i + 1] ?? body.length));
    });
  });

  it('reads records across its 1 MiB chunks, and one record larger than a chunk', async () => {
    const big = `{"message":"${'b'.repeat(2.5 * 1024 * 1024)}"}`;
    const many = jsons(20_000); // ~0.8 MiB of small records on either side of the big one
    const body = Buffer.concat([framesOf(0, many, []), framesOf(20_000, [big], []), framesOf(20_001, many, [])]);
    const { path, size } = await segment(body);
    const items = await readAll(path, size);
    expect(items.every((i) => i.kind === 'record')).toBe(true);
    expect(ids(items)).toEqual(Array.from({ length: 40_001 }, (_, i) => i));
    const bigItem = items[20_000]!;
    expect(bigItem.kind === 'record' && jsonOf(bigItem.record)).toBe(big);
  });

  it('starts at a given record offset', async () => {
    const body = framesOf(0, jsons(10), []);
    const { path, size } = await segment(body);
    const starts = recordStarts(body);
    expect(ids(await readAll(path, size, true, MAGIC.length + starts[6]!))).toEqual([6, 7, 8, 9]);
  });

  it('stops at `limit`, the known end of the segment, even when the file is longer', async () => {
    const body = framesOf(0, jsons(10), []);
    const { path } = await segment(body);
    const starts = recordStarts(body);
    expect(ids(await readAll(path, MAGIC.length + starts[4]!))).toEqual([0, 1, 2, 3]);
  });

  it('resynchronises on the next good record after a corrupted byte, reporting the damaged range', async () => {
    const body = framesOf(0, jsons(10), []);
    const starts = recordStarts(body);
    const bad = Buffer.from(body);
    bad[starts[4]! + HEADER_BYTES + PAYLOAD_FIXED + 2]! ^= 0xff; // inside record 4's JSON
    const { path, size } = await segment(bad);
    const items = await readAll(path, size);
    expect(ids(items)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    const damage = items.filter((i) => i.kind === 'damage');
    expect(damage).toEqual([{ kind: 'damage', start: MAGIC.length + starts[4]!, end: MAGIC.length + starts[5]!, reason: 'CRC mismatch' }]);
    expect(items[4]).toEqual(damage[0]); // in place, between records 3 and 5
  });

  it('resynchronises after a record cut short in the middle of a segment', async () => {
    const body = framesOf(0, jsons(10), []);
    const starts = recordStarts(body);
    // Record 3 loses its second half; record 4 follows directly.
    const cut = Buffer.concat([body.subarray(0, starts[3]! + 12), body.subarray(starts[4]!)]);
    const { path, size } = await segment(cut);
    const items = await readAll(path, size);
    expect(ids(items)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(items.filter((i) => i.kind === 'damage')).toEqual([
      { kind: 'damage', start: MAGIC.length + starts[3]!, end: MAGIC.length + starts[3]! + 12, reason: 'CRC mismatch' },
    ]);
  });

  it('reports damage up to the end when no good record follows it', async () => {
    const body = framesOf(0, jsons(3), []);
    const starts = recordStarts(body);
    const bad = Buffer.from(body);
    bad[starts[2]! + HEADER_BYTES + 3]! ^= 1;
    const { path, size } = await segment(bad);
    const items = await readAll(path, size);
    expect(ids(items)).toEqual([0, 1]);
    expect(items.at(-1)).toEqual({ kind: 'damage', start: MAGIC.length + starts[2]!, end: size, reason: 'CRC mismatch' });
  });

  it('reports a truncated last record as torn when final, and waits for it otherwise', async () => {
    const body = framesOf(0, jsons(5), []);
    const starts = recordStarts(body);
    const cut = body.subarray(0, starts[4]! + 10);
    const { path, size } = await segment(cut);
    const items = await readAll(path, size, true);
    expect(ids(items)).toEqual([0, 1, 2, 3]);
    expect(items.at(-1)).toEqual({ kind: 'torn', start: MAGIC.length + starts[4]! });

    // The active segment: an incomplete record is a write still to come, not damage.
    const reader = await SegmentReader.open(path, 0);
    try {
      for (let i = 0; i < 4; i++) expect((await reader.next(size, false))?.kind).toBe('record');
      expect(await reader.next(size, false)).toBeNull();
      expect(reader.pos).toBe(MAGIC.length + starts[4]!);
      // ...and when the rest of it arrives (the limit grows), it is read.
      await writeFile(path, Buffer.concat([MAGIC, body]));
      const r = await reader.next(MAGIC.length + body.length, false);
      expect(r?.kind === 'record' && r.record.id).toBe(4);
    } finally {
      await reader.close();
    }
  });

  it('reports a torn header (fewer than 8 bytes) as torn', async () => {
    const body = framesOf(0, jsons(2), []);
    const starts = recordStarts(body);
    const { path, size } = await segment(body.subarray(0, starts[1]! + 5));
    expect(await readAll(path, size)).toEqual([
      expect.objectContaining({ kind: 'record' }),
      { kind: 'torn', start: MAGIC.length + starts[1]! },
    ]);
  });

  it('reports a damaged segment header as damage and still reads the records after it', async () => {
    const { path } = await segment(Buffer.concat([Buffer.from('NOTMAGIC'), framesOf(0, jsons(1), [])]), false);
    const reader = await SegmentReader.open(path, 0);
    const size = (await import('node:fs')).statSync(path).size;
    expect(await reader.next(size, true)).toEqual({ kind: 'damage', start: 0, end: 8, reason: 'bad segment header (not a logship buffer segment)' });
    const item = await reader.next(size, true);
    expect(item?.kind).toBe('record');
    await reader.close();
  });

  it('reads an empty segment (magic only) as no records', async () => {
    const { path, size } = await segment(Buffer.alloc(0));
    expect(await readAll(path, size)).toEqual([]);
  });
});
