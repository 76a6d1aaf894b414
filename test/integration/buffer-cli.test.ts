// `logship buffer inspect|verify` (issue 4), driven as a user does: a buffer
// built by real DiskBuffer appends, then `node dist/cli.js buffer …` as a child
// process; exit codes, streams, exact numbers and offsets.
import { eventBatch, texts } from '../support/records.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskBuffer } from '../../src/buffer/disk-buffer.js';
import { HEADER_BYTES, segmentFirstId } from '../../src/buffer/segment-format.js';
import { endWhenIdle, range, recordOffsets, segs, snapshot } from '../support/buffer-test-kit.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli.js');

let tmp: string;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js does not exist: run `npm run build` first (npm test does)');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'logship-buffer-cli-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}
function logship(...args: string[]): Result {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const T0 = Date.UTC(2024, 4, 1, 12);
const silent = pino({ level: 'silent' });
function diskBuffer(dir: string): DiskBuffer {
  return new DiskBuffer({ dir, maxSize: 1024 ** 3, whenFull: 'block', syncInterval: 1_000_000, segmentSize: 64 * 1024, logger: silent, onDurable: () => {} });
}
const batch = (seq: number, from: number, count: number, pad: number) =>
  eventBatch(
    seq,
    Array.from({ length: count }, (_, i) => JSON.stringify({ n: from + i, message: 'm'.repeat(pad) })),
    { times: Array.from({ length: count }, (_, i) => T0 + (from + i) * 1000), ids: Array.from({ length: count }, (_, i) => `e${from + i}`) },
  );

/** Appends `batches` batches of 10, takes and acknowledges the first `ack` records (whole batches). */
async function build(dir: string, batches: number, ack: number, pad = 1000): Promise<void> {
  const b = diskBuffer(dir);
  await b.open();
  for (let s = 0; s < batches; s++) await b.append(batch(s + 1, s * 10, 10, pad));
  for (let done = 0; done < ack; ) {
    const t = await b.take(10, 1 << 30);
    b.ack(t!.lastId);
    done = t!.lastId + 1;
  }
  await b.close();
}

/**
 * Ends a take that is parked waiting for appends (nothing more to read) with stopTaking(),
 * which makes it return null; a take still reading is left alone, so nothing is missed
 * however slow the machine. Peeks at the buffer's private waiter list to know.
 */

/** Takes everything a reopened buffer delivers. */
async function deliverAll(dir: string): Promise<{ ns: number[]; stats: ReturnType<DiskBuffer['stats']> }> {
  const b = diskBuffer(dir);
  await b.open();
  const ns: number[] = [];
  for (;;) {
    const timer = endWhenIdle(b);
    const t = await b.take(1000, 1 << 30);
    clearInterval(timer);
    if (!t) break;
    ns.push(...texts(t).map((r) => (JSON.parse(r) as { n: number }).n));
  }
  const stats = b.stats();
  await b.close();
  return { ns, stats };
}




interface InspectJson {
  path: string;
  outputs: {
    name: string;
    dir: string;
    segments: number;
    records: { unacked: number; total: number };
    bytes: number;
    first_unacked_id: number | null;
    oldest_unacked_time: string | null;
    ack: { acked_id: number; segment: number; segment_file: string; offset: number } | null;
    ack_error: string | null;
    quarantine: { files: number; bytes: number };
    damage: { file: string; offset: number; end: number; reason: string }[];
  }[];
}

describe('logship buffer', () => {
  let state: string;
  let local: string;
  let search: string;

  beforeAll(async () => {
    state = path.join(tmp, 'state');
    local = path.join(state, 'buffers', 'local');
    search = path.join(state, 'buffers', 'search');
    await build(local, 40, 70); // ~400 KiB in 64 KiB segments, 70 records acknowledged
    await build(search, 1, 0, 10);
  });

  it('inspect --json: per output, exact counts, bytes, oldest unacknowledged time, ack position, quarantine', async () => {
    const before = await snapshot(state);
    const r = logship('buffer', 'inspect', '--path', state, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as InspectJson;
    expect(out.outputs.map((o) => o.name)).toEqual(['local', 'search']);

    const files = await segs(local);
    expect(files.length).toBeGreaterThanOrEqual(6);
    let bytes = 0;
    for (const f of files) bytes += (await stat(path.join(local, f))).size;
    const { crc: _crc, ...ack } = JSON.parse(await readFile(path.join(local, 'ack.json'), 'utf8')) as { acked_id: number; segment: number; offset: number; crc: number };
    expect(ack.acked_id).toBe(69);
    // The first segment (records 0..59) was fully acknowledged and deleted: 340 records remain on disk.
    const onDisk = 400 - segmentFirstId(files[0]!)!;
    expect(onDisk).toBe(340);
    expect(out.outputs[0]).toMatchObject({
      name: 'local',
      dir: local,
      segments: files.length,
      records: { unacked: 330, total: onDisk },
      bytes,
      first_unacked_id: 70,
      oldest_unacked_time: new Date(T0 + 70_000).toISOString(),
      ack: { ...ack, segment_file: files.find((f) => segmentFirstId(f) === ack.segment) },
      ack_error: null,
      quarantine: { files: 0, bytes: 0 },
      damage: [],
    });
    expect(out.outputs[1]).toMatchObject({ name: 'search', segments: 1, records: { unacked: 10, total: 10 }, ack: null, oldest_unacked_time: new Date(T0).toISOString() });
    expect(await snapshot(state)).toEqual(before);
  });

  it('inspect: a table by default, for a state dir or one output dir', async () => {
    const r = logship('buffer', 'inspect', '--path', state);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^OUTPUT\s+SEGMENTS\s+UNACKED\s+RECORDS\s+BYTES\s+OLDEST UNACKED\s+ACK POSITION\s+QUARANTINED$/);
    const files = await segs(local);
    const cells = lines[1]!.split(/\s{2,}/);
    expect(cells.slice(0, 4)).toEqual(['local', String(files.length), '330', String(400 - segmentFirstId(files[0]!)!)]);
    expect(cells[4]).toMatch(/^\d+\.\d KiB$/);
    expect(cells[5]).toBe(new Date(T0 + 70_000).toISOString());
    expect(cells[6]).toMatch(/^id 69 in seg-[0-9a-f]{16}\.log at \d+$/);
    expect(cells[7]).toBe('0');
    expect(lines[2]).toMatch(/^search\s+1\s+10\s+10\s+\d+ B\s+\S+\s+none\s+0$/);

    const one = logship('buffer', 'inspect', '--path', search);
    expect(one.code).toBe(0);
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(one.stdout).toMatch(/^search\s+1\s+10\s+10/m);
  });

  it('verify: all good → exit 0 and "N segments, M records, all CRCs good"', async () => {
    const files = await segs(local);
    const before = await snapshot(state);
    const r = logship('buffer', 'verify', '--path', state);
    expect(r.stderr).toBe('');
    const records = 400 - segmentFirstId(files[0]!)! + 10;
    expect(r.stdout).toBe(`${files.length + 1} segments, ${records} records, all CRCs good\n`);
    expect(r.code).toBe(0);
    expect(logship('buffer', 'verify', '--path', search).stdout).toBe('1 segments, 10 records, all CRCs good\n');
    expect(await snapshot(state)).toEqual(before);
  });

  it('verify: a corrupted byte mid-segment and segments truncated mid-record → exit 1, each file and offset named; a restart quarantines them and delivers the rest', async () => {
    const dir = path.join(tmp, 'damaged');
    await build(dir, 40, 0);
    const files = await segs(dir);
    expect(files.length).toBeGreaterThanOrEqual(5);
    const file = (i: number) => path.join(dir, files[i]!);
    const firstId = (i: number) => segmentFirstId(files[i]!)!;

    // One byte flipped in the JSON of the 4th record of segment 1.
    const b1 = await readFile(file(1));
    const o1 = recordOffsets(b1);
    b1[o1[3]! + HEADER_BYTES + 16 + 20]! ^= 0x04;
    await writeFile(file(1), b1);
    // Segment 2 (closed) cut in the middle of its 6th record.
    const b2 = await readFile(file(2));
    const o2 = recordOffsets(b2);
    const cut2 = o2[5]! + 300;
    await truncate(file(2), cut2);
    // The last segment cut in the middle of its last record: a torn tail.
    const last = files.length - 1;
    const bl = await readFile(file(last));
    const ol = recordOffsets(bl);
    const cutLast = ol.at(-1)! + 40;
    await truncate(file(last), cutLast);

    const before = await snapshot(dir);
    const r = logship('buffer', 'verify', '--path', dir);
    expect(r.code).toBe(1);
    expect(await snapshot(dir)).toEqual(before);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `logship: ${file(1)}: offset ${o1[3]}: CRC mismatch (${o1[4]! - o1[3]!} bytes up to offset ${o1[4]})`,
      `logship: ${file(2)}: offset ${o2[5]}: incomplete record at the end of a closed segment (300 bytes up to offset ${cut2})`,
      `logship: ${file(last)}: offset ${ol.at(-1)}: torn record at the end of the last segment (a crash mid-write; cut on the next start) (40 bytes up to offset ${cutLast})`,
    ]);
    const seg2Lost = firstId(3) - firstId(2) - 5;
    const good = 400 - 1 - seg2Lost - 1;
    expect(r.stdout).toBe(`${files.length} segments, ${good} good records, 3 damaged places\n`);

    // inspect still works on a damaged buffer, and says so.
    const inspect = logship('buffer', 'inspect', '--path', dir, '--json');
    expect(inspect.code).toBe(0);
    const out = (JSON.parse(inspect.stdout) as InspectJson).outputs[0]!;
    expect(out.records).toEqual({ unacked: good, total: good });
    expect(out.damage.map((d) => [d.file, d.offset])).toEqual([
      [file(1), o1[3]],
      [file(2), o2[5]],
      [file(last), ol.at(-1)],
    ]);
    expect(logship('buffer', 'inspect', '--path', dir).stdout).toMatch(/^damaged: 3 damaged place\(s\) in the segments; see logship buffer verify/m);

    // Restart: the torn tail is cut, the damage quarantined and counted, every other record delivered.
    const { ns, stats } = await deliverAll(dir);
    const lostIds = [firstId(1) + 3, ...range(firstId(2) + 5, firstId(3)), 399];
    expect(ns).toEqual(range(0, 400).filter((n) => !lostIds.includes(n)));
    expect(stats.quarantinedPlaces).toBe(2);
    expect(await readdir(path.join(dir, 'quarantine'))).toHaveLength(2);
    expect((await stat(file(last))).size).toBe(ol.at(-1));

    // After the restart the torn tail is gone; the quarantined places are still in their segments.
    const after = logship('buffer', 'verify', '--path', dir);
    expect(after.code).toBe(1);
    expect(after.stderr).not.toMatch(/torn record/);
    expect(after.stderr.trimEnd().split('\n')).toHaveLength(2);
    const inspected = (JSON.parse(logship('buffer', 'inspect', '--path', dir, '--json').stdout) as InspectJson).outputs[0]!;
    expect(inspected.quarantine.files).toBe(2);
    expect(inspected.quarantine.bytes).toBe(o1[4]! - o1[3]! + 300);
  });

  it('verify: an unreadable ack.json is reported (the next start replays everything)', async () => {
    const dir = path.join(tmp, 'badack');
    await build(dir, 2, 10, 10);
    await writeFile(path.join(dir, 'ack.json'), '{"acked_id": 9, "seg');
    const r = logship('buffer', 'verify', '--path', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^logship: ${path.join(dir, 'ack.json').replace(/[/\\.]/g, '\\$&')}: unreadable \\(.+\\): the next start replays the whole buffer`));
    const inspect = logship('buffer', 'inspect', '--path', dir);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/\bunreadable\b/);
  });

  it('usage errors exit 2; a missing path or one without a buffer exits 1; one line on stderr each', async () => {
    const cases: [string[], number, RegExp][] = [
      [['buffer'], 2, /missing subcommand/],
      [['buffer', 'inspect'], 2, /missing --path/],
      [['buffer', 'verify'], 2, /missing --path/],
      [['buffer', 'repair', '--path', state], 2, /unknown subcommand "repair"/],
      [['buffer', 'inspect', '--path'], 2, /--path needs a value/],
      [['buffer', 'inspect', '--path', state, '--bogus'], 2, /unknown option --bogus/],
      [['buffer', 'verify', '--path', state, '--json'], 2, /--json/],
      [['buffer', 'inspect', 'extra', '--path', state], 2, /unexpected argument "extra"/],
      [['buffer', 'verify', '--path', path.join(tmp, 'nowhere')], 1, /does not exist/],
      [['buffer', 'inspect', '--path', path.join(tmp, 'nowhere')], 1, /does not exist/],
    ];
    await mkdir(path.join(tmp, 'nobuffer', 'x'), { recursive: true });
    cases.push([['buffer', 'verify', '--path', path.join(tmp, 'nobuffer')], 1, /holds no buffer/]);
    for (const [args, code, message] of cases) {
      const r = logship(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stdout, args.join(' ')).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(/^logship: /);
      expect(lines[0]).toMatch(message);
    }
  });

  it('help: logship buffer --help, and the command in logship --help', () => {
    const r = logship('buffer', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: logship buffer inspect --path DIR/);
    expect(r.stdout).toMatch(/logship buffer verify --path DIR/);
    expect(logship('buffer', 'inspect', '--help').stdout).toBe(r.stdout);
    expect(logship('--help', 'buffer').stdout).toBe(r.stdout);
    expect(logship('--help').stdout).toMatch(/^ {2}buffer {5}/m);
  });
});
