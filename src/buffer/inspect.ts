import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MAGIC, segmentFirstId, segmentName } from './segment-format.js';
import { SegmentReader } from './segment-reader.js';
import { readAck, type AckPosition } from './ack-file.js';
import { impossibleAck, leadingGap, readTailNote } from './continuity.js';

export { readAck, type AckPosition };

/**
 * Read-only scanning of buffers on disk, for `logship buffer inspect` and
 * `logship buffer verify`. Nothing here writes, creates or truncates: it reads
 * segment names, `ack.json`, the `quarantine/` folder and every record of every
 * segment (streamed a chunk at a time by SegmentReader), and reports damage
 * instead of repairing it. Repair is DiskBuffer's job on its next start.
 */

/** The path given does not exist or holds no buffer: exit 1, not a usage error. */
export class BufferPathError extends Error {}

export interface BufferLocation {
  /** The output's name (its directory's name). */
  readonly name: string;
  readonly dir: string;
}

/** One damaged or incomplete place in a segment. */
export interface Damage {
  readonly file: string;
  /** Byte range [offset, end) that holds no valid record. */
  readonly offset: number;
  readonly end: number;
  readonly reason: string;
  /** An incomplete record at the end of the last segment: a crash mid-write, cut on the next start. */
  readonly torn: boolean;
}

export interface SegmentScan {
  readonly file: string;
  readonly firstId: number;
  readonly bytes: number;
  /** Valid records in the segment, and those of them above the acknowledged id. */
  readonly records: number;
  readonly unacked: number;
}

export interface OutputScan {
  readonly name: string;
  readonly dir: string;
  readonly segments: SegmentScan[];
  /** Bytes of the segment files. */
  readonly bytes: number;
  /** Valid records in the segments, and those not yet acknowledged. */
  readonly records: number;
  readonly unacked: number;
  /** The id and event time (epoch ms) of the first unacknowledged record. */
  readonly firstUnackedId: number | undefined;
  /** The oldest event time among unacknowledged records (epoch ms; records without a time are left out). */
  readonly oldestUnackedTime: number | undefined;
  /** The persisted position, undefined when there is no ack.json or it is unreadable. */
  readonly ack: AckPosition | undefined;
  /** Why ack.json could not be used (the buffer then replays everything on its next start). */
  readonly ackError: string | undefined;
  readonly quarantine: { readonly files: number; readonly bytes: number };
  readonly damage: Damage[];
  /** State that contradicts the segments: an impossible ack position, records missing before the first segment. */
  readonly problems: string[];
}

/**
 * The buffers under `path`: the state directory (`buffer.path`, holding
 * `buffers/<output>/`), its `buffers/` directory, or one output's buffer
 * directory (holding `seg-*.log`, `ack.json` or `quarantine/`).
 */
export async function locateBuffers(path: string): Promise<BufferLocation[]> {
  let entries: string[];
  try {
    if (!(await stat(path)).isDirectory()) throw new BufferPathError(`${path} is not a directory`);
    entries = await readdir(path);
  } catch (err) {
    if (err instanceof BufferPathError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BufferPathError(`${path} does not exist`);
    throw new BufferPathError(`${path} cannot be read (${code ?? (err as Error).message})`);
  }
  if (looksLikeBuffer(entries)) return [{ name: basename(path) || path, dir: path }];
  const parent = entries.includes('buffers') ? join(path, 'buffers') : path;
  const found: BufferLocation[] = [];
  const names = parent === path ? entries : await readdir(parent).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const dir = join(parent, name);
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) continue;
    // Under buffers/ every directory is an output's buffer; elsewhere only those that look like one.
    if (parent !== path || looksLikeBuffer(await readdir(dir).catch(() => [] as string[]))) found.push({ name, dir });
  }
  if (found.length === 0) {
    throw new BufferPathError(`${path} holds no buffer (expected buffer.path with buffers/<output>/, or an output's buffer directory with seg-*.log files)`);
  }
  return found;
}

function looksLikeBuffer(entries: readonly string[]): boolean {
  return entries.some((n) => n === 'ack.json' || n === 'quarantine' || segmentFirstId(n) !== undefined);
}

/** Scans one output's buffer directory: every record of every segment, read-only. */
export async function scanOutput(loc: BufferLocation): Promise<OutputScan> {
  const { ack, error: ackError } = await readAck(loc.dir);
  const ackedId = ack?.acked_id ?? -1;
  const names = (await readdir(loc.dir))
    .flatMap((n) => {
      const id = segmentFirstId(n);
      return id === undefined ? [] : [{ name: n, firstId: id }];
    })
    .sort((a, b) => a.firstId - b.firstId);

  const segments: SegmentScan[] = [];
  const damage: Damage[] = [];
  let bytes = 0;
  let records = 0;
  let unacked = 0;
  let firstUnackedId: number | undefined;
  let oldestUnackedTime: number | undefined;
  let lastRecordId = -1;
  for (const [i, { name, firstId }] of names.entries()) {
    const file = join(loc.dir, name);
    const size = (await stat(file)).size;
    let segRecords = 0;
    let segUnacked = 0;
    let lastId = firstId - 1;
    const damageBefore = damage.length;
    await scanSegment(file, size, i === names.length - 1, damage, (id, time) => {
      segRecords++;
      lastId = Math.max(lastId, id);
      if (id <= ackedId) return;
      segUnacked++;
      if (firstUnackedId === undefined || id < firstUnackedId) firstUnackedId = id;
      if (Number.isFinite(time) && time > 0 && (oldestUnackedTime === undefined || time < oldestUnackedTime)) oldestUnackedTime = time;
    });
    // A closed segment must reach the next one's first id; short of it, records are gone (cut on disk).
    const nextFirst = names[i + 1]?.firstId;
    // (A tail already reported as damaged covers the record it cut.)
    const tailReported = damage.slice(damageBefore).some((d) => d.end === size);
    if (nextFirst !== undefined && !tailReported && lastId + 1 < nextFirst && nextFirst - 1 > ackedId) {
      damage.push({ file, offset: size, end: size, torn: false, reason: `segment ends at record ${lastId} but the next starts at ${nextFirst}: ${nextFirst - 1 - Math.max(lastId, ackedId)} records cut off` });
    }
    segments.push({ file, firstId, bytes: size, records: segRecords, unacked: segUnacked });
    lastRecordId = Math.max(lastRecordId, lastId);
    bytes += size;
    records += segRecords;
    unacked += segUnacked;
  }
  return {
    name: loc.name,
    dir: loc.dir,
    problems: await stateProblems(loc.dir, ack, ackError, segments, lastRecordId, damage.some((d) => d.torn)),
    segments,
    bytes,
    records,
    unacked,
    firstUnackedId,
    oldestUnackedTime,
    ack,
    ackError,
    quarantine: await quarantineStats(loc.dir),
    damage,
  };
}

/** What DiskBuffer.open would reject or report as lost (continuity.ts), worded for `buffer verify`. */
async function stateProblems(dir: string, ack: AckPosition | undefined, ackError: string | undefined, segments: SegmentScan[], lastId: number, tornTail: boolean): Promise<string[]> {
  if (ackError !== undefined) return [];
  const extents = segments.map((s) => ({ firstId: s.firstId, size: s.bytes }));
  const tail = await readTailNote(dir);
  const knownLast = Math.max(lastId, (tail?.next_id ?? 0) - 1);
  const impossible = ack && impossibleAck(ack, extents, knownLast);
  if (impossible) return [`${join(dir, 'ack.json')}: impossible ack position: ${impossible}: the next start replays the whole buffer (duplicates, not loss)`];
  const ackedId = ack?.acked_id ?? -1;
  const problems: string[] = [];
  const lost = (first: number, last: number, where: string) => problems.push(`${dir}: records ${first}..${last} are missing ${where}: ${last - first + 1} records lost`);
  const gap = leadingGap(ackedId, segments[0]?.firstId, tail?.next_id);
  if (gap) lost(gap.first, gap.last, segments[0] ? `before the first segment ${segments[0].file}` : `(no segment files; tail.json says the next record is ${tail!.next_id})`);
  const endFirst = Math.max(lastId, ackedId) + 1;
  // (A torn last record, already reported, is the one missing.)
  if (segments.length > 0 && !tornTail && knownLast >= endFirst) lost(endFirst, knownLast, `after the last segment (tail.json says the next record is ${knownLast + 1})`);
  return problems;
}

async function quarantineStats(dir: string): Promise<{ files: number; bytes: number }> {
  const qdir = join(dir, 'quarantine');
  const names = await readdir(qdir).catch(() => [] as string[]);
  let files = 0;
  let bytes = 0;
  for (const n of names) {
    const s = await stat(join(qdir, n)).catch(() => undefined);
    if (!s?.isFile()) continue;
    files++;
    bytes += s.size;
  }
  return { files, bytes };
}

/**
 * Streams every record of one segment to `onRecord` and every damaged place to
 * `damage`, with the same reader the buffer delivers through (a damaged length
 * followed by valid records is damage; only a record cut at the very end is torn).
 */
export async function scanSegment(
  file: string,
  size: number,
  isLast: boolean,
  damage: Damage[],
  onRecord: (id: number, time: number) => void,
): Promise<void> {
  if (size < MAGIC.length) {
    damage.push({
      file,
      offset: 0,
      end: size,
      torn: isLast,
      reason: isLast ? 'segment shorter than its header (a crash while it was created)' : 'segment shorter than its header',
    });
    return;
  }
  const reader = await SegmentReader.open(file, 0);
  try {
    for (let item = await reader.next(size, true); item; item = await reader.next(size, true)) {
      if (item.kind === 'record') onRecord(item.record.id, item.record.time);
      else if (item.kind === 'damage') damage.push({ file, offset: item.start, end: item.end, torn: false, reason: item.reason });
      else {
        damage.push({
          file,
          offset: item.start,
          end: size,
          torn: isLast,
          reason: isLast ? 'torn record at the end of the last segment (a crash mid-write; cut on the next start)' : 'incomplete record at the end of a closed segment',
        });
      }
    }
  } finally {
    await reader.close();
  }
}

/** `seg-….log` for an ack position's segment id. */
export function ackSegmentName(ack: AckPosition): string {
  return segmentName(ack.segment);
}
