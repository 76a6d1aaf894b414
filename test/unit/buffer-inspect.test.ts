// src/buffer/inspect.ts, the read-only scanning behind `logship buffer inspect|verify`.
import { eventBatch, framesOf } from '../support/records.js';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskBuffer } from '../../src/buffer/disk-buffer.js';
import { BufferPathError, locateBuffers, readAck, scanOutput } from '../../src/buffer/inspect.js';
import { HEADER_BYTES, MAGIC, segmentFirstId } from '../../src/buffer/segment-format.js';
import { recordOffsets, segs, snapshot } from '../support/buffer-test-kit.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'logship-buffer-inspect-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 4, 1, 12);
const batch = (seq: number, from: number, count: number, pad = 0) =>
  eventBatch(seq, Array.from({ length: count }, (_, i) => JSON.stringify({ n: from + i, pad: 'x'.repeat(pad) })), {
    times: Array.from({ length: count }, (_, i) => T0 + (from + i) * 1000),
    ids: Array.from({ length: count }, (_, i) => `e${from + i}`),
  });

/** A real buffer: `batches` of 10 ~1 KiB records, the first `ackThrough + 1` acknowledged. */
async function build(dir: string, batches: number, ackThrough: number): Promise<void> {
  const b = new DiskBuffer({ dir, maxSize: 1024 ** 3, whenFull: 'block', syncInterval: 1_000_000, segmentSize: 64 * 1024, logger: pino({ level: 'silent' }), onDurable: () => {} });
  await b.open();
  for (let s = 0; s < batches; s++) await b.append(batch(s + 1, s * 10, 10, 1000));
  for (let taken = -1; taken < ackThrough; ) {
    const t = await b.take(10, 1 << 30);
    taken = t!.lastId;
    b.ack(taken);
  }
  await b.close();
}




describe('locateBuffers', () => {
  it('finds the outputs under a state dir, under its buffers/ dir, or one output dir', async () => {
    await build(join(root, 'buffers', 'b-out'), 1, -1);
    await build(join(root, 'buffers', 'a-out'), 1, -1);
    const both = [
      { name: 'a-out', dir: join(root, 'buffers', 'a-out') },
      { name: 'b-out', dir: join(root, 'buffers', 'b-out') },
    ];
    expect(await locateBuffers(root)).toEqual(both);
    expect(await locateBuffers(join(root, 'buffers'))).toEqual(both);
    expect(await locateBuffers(join(root, 'buffers', 'b-out'))).toEqual([both[1]]);
  });

  it('rejects a missing path, a file and a directory without a buffer', async () => {
    await expect(locateBuffers(join(root, 'nope'))).rejects.toThrow(BufferPathError);
    await expect(locateBuffers(join(root, 'nope'))).rejects.toThrow(/does not exist/);
    await writeFile(join(root, 'file'), 'x');
    await expect(locateBuffers(join(root, 'file'))).rejects.toThrow(/not a directory/);
    await mkdir(join(root, 'empty', 'sub'), { recursive: true });
    await expect(locateBuffers(join(root, 'empty'))).rejects.toThrow(/holds no buffer/);
    await mkdir(join(root, 'state', 'buffers'), { recursive: true });
    await expect(locateBuffers(join(root, 'state'))).rejects.toThrow(/holds no buffer/);
  });
});

describe('scanOutput', () => {
  it('counts segments, bytes, valid and unacknowledged records, the oldest unacknowledged time and the ack position', async () => {
    const dir = join(root, 'out');
    await build(dir, 20, 49);
    const files = await segs(dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    let bytes = 0;
    for (const f of files) bytes += (await stat(join(dir, f))).size;
    const { crc: _crc, ...ack } = JSON.parse(await readFile(join(dir, 'ack.json'), 'utf8')) as { acked_id: number; segment: number; offset: number; crc: number };
    const scan = await scanOutput({ name: 'out', dir });
    expect(scan).toMatchObject({
      name: 'out',
      bytes,
      records: 200,
      unacked: 150,
      firstUnackedId: 50,
      oldestUnackedTime: T0 + 50 * 1000,
      ack,
      ackError: undefined,
      quarantine: { files: 0, bytes: 0 },
      damage: [],
    });
    expect(ack.acked_id).toBe(49);
    expect(scan.segments.map((s) => s.firstId)).toEqual(files.map((f) => segmentFirstId(f)));
    expect(scan.segments.reduce((n, s) => n + s.records, 0)).toBe(200);
  });

  it('takes the oldest event time among unacknowledged records, not the first one', async () => {
    const dir = join(root, 'out');
    await mkdir(dir);
    const body = framesOf(0, ['{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}'], [T0 + 5000, T0 + 9000, T0 + 3000, 0]);
    await writeFile(join(dir, 'seg-0000000000000000.log'), Buffer.concat([MAGIC, body]));
    await writeFile(join(dir, 'ack.json'), JSON.stringify({ acked_id: 0, segment: 0, offset: 8 }));
    const scan = await scanOutput({ name: 'out', dir });
    expect(scan).toMatchObject({ records: 4, unacked: 3, firstUnackedId: 1, oldestUnackedTime: T0 + 3000 });
  });

  it('reports an unreadable ack.json, counting every record as unacknowledged (what the buffer will replay)', async () => {
    const dir = join(root, 'out');
    await build(dir, 2, 9);
    await writeFile(join(dir, 'ack.json'), '{"acked_id":9,');
    const scan = await scanOutput({ name: 'out', dir });
    expect(scan.ack).toBeUndefined();
    expect(scan.ackError).toMatch(/JSON/);
    expect(scan.unacked).toBe(20);
    expect((await readAck(dir)).error).toBeDefined();
    await writeFile(join(dir, 'ack.json'), '{"acked_id":9}');
    expect((await readAck(dir)).error).toMatch(/missing/);
  });

  it('names each damaged place: CRC mismatch, damaged length, closed-segment cut, torn tail, bad header', async () => {
    const dir = join(root, 'out');
    await build(dir, 30, -1);
    const files = await segs(dir);
    expect(files.length).toBeGreaterThanOrEqual(5);
    const path = (i: number) => join(dir, files[i]!);
    const read = async (i: number) => readFile(path(i));

    // 0: a flipped JSON byte in record 2.
    let b = await read(0);
    let o = recordOffsets(b);
    b[o[2]! + HEADER_BYTES + 30]! ^= 0x40;
    await writeFile(path(0), b);
    const crc = { file: path(0), offset: o[2]!, end: o[3]!, torn: false, reason: 'CRC mismatch' };
    // 1: record 4's length made to run past the segment's end (valid records follow).
    b = await read(1);
    o = recordOffsets(b);
    b[o[4]! + 2]! ^= 0x01;
    await writeFile(path(1), b);
    const length = { file: path(1), offset: o[4]!, end: o[5]!, torn: false };
    // 2: cut in the middle of its record 7 (a closed segment).
    b = await read(2);
    o = recordOffsets(b);
    await writeFile(path(2), b.subarray(0, o[7]! + 100));
    const cut = { file: path(2), offset: o[7]!, end: o[7]! + 100, torn: false, reason: 'incomplete record at the end of a closed segment' };
    // 3: a damaged magic header; its records are still read.
    b = await read(3);
    b[3]! ^= 0xff;
    await writeFile(path(3), b);
    const header = { file: path(3), offset: 0, end: MAGIC.length, torn: false };
    // last: half a record appended (a crash mid-write).
    const last = files.length - 1;
    const lastSize = (await stat(path(last))).size;
    await appendFile(path(last), framesOf(999, ['{"half":true}'], []).subarray(0, 20));
    const torn = { file: path(last), offset: lastSize, end: lastSize + 20, torn: true };

    const before = await snapshot(root);
    const scan = await scanOutput({ name: 'out', dir });
    expect(await snapshot(root)).toEqual(before); // read-only

    expect(scan.damage).toHaveLength(5);
    expect(scan.damage[0]).toEqual(crc);
    expect(scan.damage[1]).toMatchObject(length);
    expect(scan.damage[1]!.reason).toMatch(/record length \d+ runs past the end of the segment/);
    expect(scan.damage[2]).toEqual(cut);
    expect(scan.damage[3]).toMatchObject(header);
    expect(scan.damage[3]!.reason).toMatch(/bad segment header/);
    expect(scan.damage[4]).toMatchObject(torn);
    expect(scan.damage[4]!.reason).toMatch(/^torn record at the end of the last segment/);
    // 300 records less the CRC-damaged one, the one behind the damaged length, and the cut-off end of segment 2.
    const seg2Total = segmentFirstId(files[3]!)! - segmentFirstId(files[2]!)!;
    expect(scan.segments[2]!.records).toBe(7);
    expect(scan.records).toBe(300 - 1 - 1 - (seg2Total - 7));
    expect(scan.unacked).toBe(scan.records);
  });

  it('reports records missing between segments: a closed segment cut short at a record boundary', async () => {
    const dir = join(root, 'out');
    await build(dir, 12, -1);
    const [first, second] = await segs(dir);
    const path = join(dir, first!);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, recordOffsets(bytes)[5]!));
    const next = segmentFirstId(second!)!;
    const scan = await scanOutput({ name: 'out', dir });
    expect(scan.damage).toEqual([
      { file: path, offset: recordOffsets(bytes)[5]!, end: recordOffsets(bytes)[5]!, torn: false, reason: `segment ends at record 4 but the next starts at ${next}: ${next - 5} records cut off` },
    ]);
  });

  it('reports a segment shorter than its header', async () => {
    const dir = join(root, 'out');
    await build(dir, 1, -1);
    await writeFile(join(dir, 'seg-000000000000000a.log'), '');
    const scan = await scanOutput({ name: 'out', dir });
    expect(scan.damage).toEqual([
      { file: join(dir, 'seg-000000000000000a.log'), offset: 0, end: 0, torn: true, reason: 'segment shorter than its header (a crash while it was created)' },
    ]);
    expect(scan.records).toBe(10);
  });

  it('counts quarantined files and bytes', async () => {
    const dir = join(root, 'out');
    await build(dir, 1, -1);
    await mkdir(join(dir, 'quarantine'));
    await writeFile(join(dir, 'quarantine', 'seg-0000000000000000.log@8-60.bad'), Buffer.alloc(52));
    await writeFile(join(dir, 'quarantine', 'seg-0000000000000000.log@99-100.bad'), Buffer.alloc(1));
    expect((await scanOutput({ name: 'out', dir })).quarantine).toEqual({ files: 2, bytes: 53 });
  });
});
