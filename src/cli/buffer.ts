import { join } from 'node:path';
import { BufferPathError, locateBuffers, scanOutput, type BufferLocation, type Damage, type OutputScan } from '../buffer/inspect.js';
import { segmentName } from '../buffer/segment-format.js';
import { formatBytes } from './human-units.js';

/**
 * `logship buffer inspect|verify --path DIR`. Both only read: they never cut a
 * torn tail, quarantine or delete anything (DiskBuffer does that on its next
 * start). Exit 1 when DIR does not exist or holds no buffer, and for verify
 * when any damage is found.
 */

export async function bufferInspectCommand(path: string, json: boolean): Promise<number> {
  const scans = await scanAll(path);
  if (!scans) return 1;
  if (json) {
    process.stdout.write(`${JSON.stringify({ path, outputs: scans.map(toJson) }, null, 2)}\n`);
    return 0;
  }
  const notes: string[] = [];
  for (const s of scans) {
    if (s.ackError) notes.push(`${s.name}: ack.json unreadable (${s.ackError}): the next start replays the whole buffer`);
    for (const p of s.problems) notes.push(`${s.name}: ${p}`);
    if (s.damage.length > 0) notes.push(`${s.name}: ${s.damage.length} damaged place(s) in the segments; see logship buffer verify --path ${path}`);
  }
  process.stdout.write(table(scans) + (notes.length > 0 ? `\n${notes.join('\n')}\n` : ''));
  return 0;
}

export async function bufferVerifyCommand(path: string): Promise<number> {
  const scans = await scanAll(path);
  if (!scans) return 1;
  let segments = 0;
  let records = 0;
  const problems: string[] = [];
  for (const s of scans) {
    segments += s.segments.length;
    records += s.records;
    if (s.ackError) problems.push(`${join(s.dir, 'ack.json')}: unreadable (${s.ackError}): the next start replays the whole buffer (duplicates, not loss)`);
    problems.push(...s.problems);
    for (const d of s.damage) problems.push(damageLine(d));
  }
  if (problems.length === 0) {
    process.stdout.write(`${segments} segments, ${records} records, all CRCs good\n`);
    return 0;
  }
  process.stderr.write(problems.map((p) => `logship: ${p}\n`).join(''));
  process.stdout.write(`${segments} segments, ${records} good records, ${problems.length} damaged place${problems.length === 1 ? '' : 's'}\n`);
  return 1;
}

/** `…/seg-0000000000000000.log: offset 1234: CRC mismatch (52 bytes up to offset 1286)` */
export function damageLine(d: Damage): string {
  return `${d.file}: offset ${d.offset}: ${d.reason} (${d.end - d.offset} bytes up to offset ${d.end})`;
}

async function scanAll(path: string): Promise<OutputScan[] | undefined> {
  let locations: BufferLocation[];
  try {
    locations = await locateBuffers(path);
  } catch (err) {
    if (!(err instanceof BufferPathError)) throw err;
    process.stderr.write(`logship: ${err.message}\n`);
    return undefined;
  }
  const scans: OutputScan[] = [];
  for (const loc of locations) scans.push(await scanOutput(loc));
  return scans;
}

function toJson(s: OutputScan) {
  return {
    name: s.name,
    dir: s.dir,
    segments: s.segments.length,
    records: { unacked: s.unacked, total: s.records },
    bytes: s.bytes,
    first_unacked_id: s.firstUnackedId ?? null,
    oldest_unacked_time: s.oldestUnackedTime === undefined ? null : new Date(s.oldestUnackedTime).toISOString(),
    ack: acknowledged(s) ? { acked_id: s.ack.acked_id, segment: s.ack.segment, segment_file: segmentName(s.ack.segment), offset: s.ack.offset } : null,
    ack_error: s.ackError ?? null,
    problems: s.problems,
    quarantine: s.quarantine,
    damage: s.damage.map((d) => ({ file: d.file, offset: d.offset, end: d.end, bytes: d.end - d.offset, reason: d.reason, torn: d.torn })),
    segment_files: s.segments.map((g) => ({ file: g.file, first_id: g.firstId, bytes: g.bytes, records: g.records, unacked: g.unacked })),
  };
}

/** acked_id -1 is no position: ack.json exists from the first start on, before anything is acknowledged. */
function acknowledged(s: OutputScan): s is OutputScan & { ack: NonNullable<OutputScan['ack']> } {
  return s.ack !== undefined && s.ack.acked_id >= 0;
}

function table(scans: OutputScan[]): string {
  const header = ['OUTPUT', 'SEGMENTS', 'UNACKED', 'RECORDS', 'BYTES', 'OLDEST UNACKED', 'ACK POSITION', 'QUARANTINED'];
  const rows = scans.map((s) => [
    s.name,
    String(s.segments.length),
    String(s.unacked),
    String(s.records),
    formatBytes(s.bytes),
    s.oldestUnackedTime === undefined ? '-' : new Date(s.oldestUnackedTime).toISOString(),
    acknowledged(s) ? `id ${s.ack.acked_id} in ${segmentName(s.ack.segment)} at ${s.ack.offset}` : s.ackError ? 'unreadable' : 'none',
    s.quarantine.files === 0 ? '0' : `${s.quarantine.files} files, ${formatBytes(s.quarantine.bytes)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

