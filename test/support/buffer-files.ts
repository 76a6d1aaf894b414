// Reads logship's on-disk state the way a test (not logship) sees it: the
// buffer's segment files decoded independently of src/buffer (so a test does
// not trust the code it checks), ack.json, checkpoints.json, directory sizes,
// the `final stats` log lines, and a process's RSS. Also a collector for
// logship's stdout that can stop reading (a slow output).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { LogshipProcess } from './logship-process.js';
import { field, parseNumbered } from './output.js';

/** Segment format (src/buffer/segment-format.ts): MAGIC, then u32 len | u32 crc32(payload) | payload(f64 id, f64 time, u8 n, event id (n bytes), json). */
export const SEGMENT_MAGIC = Buffer.from('LSBUF\x00\x02\n', 'latin1');
export const RECORD_HEADER = 8;
export const PAYLOAD_FIXED = 17;

export interface SegmentRecord {
  id: number;
  time: number;
  eventId: string;
  json: string;
  /** Byte range of the whole record (header included) in its segment. */
  start: number;
  end: number;
}

export interface SegmentFile {
  file: string;
  name: string;
  firstId: number;
  size: number;
  records: SegmentRecord[];
  /** Bytes after the last whole record that are not one (a torn write, or damage). */
  trailing: number;
  /** Offsets where a record failed its CRC or length check (decoding stops there). */
  damageAt: number | undefined;
}

/** `<state>/buffers/<output>` */
export function bufferDir(stateDir: string, output: string): string {
  return path.join(stateDir, 'buffers', output);
}

/** Decodes one segment file front to back; stops at the first record that is not whole and valid. */
export function readSegment(file: string): SegmentFile {
  const buf = readFileSync(file);
  const name = path.basename(file);
  const m = /^seg-([0-9a-f]{16})\.log$/.exec(name);
  const seg: SegmentFile = {
    file,
    name,
    firstId: m ? Number.parseInt(m[1]!, 16) : NaN,
    size: buf.length,
    records: [],
    trailing: 0,
    damageAt: undefined,
  };
  if (buf.length < SEGMENT_MAGIC.length || !buf.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) {
    seg.trailing = buf.length;
    return seg;
  }
  let at = SEGMENT_MAGIC.length;
  while (at < buf.length) {
    if (buf.length - at < RECORD_HEADER) break;
    const len = buf.readUInt32LE(at);
    if (len < PAYLOAD_FIXED || at + RECORD_HEADER + len > buf.length) break;
    const payload = buf.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len);
    if (crc32(payload) !== buf.readUInt32LE(at + 4)) {
      seg.damageAt = at;
      break;
    }
    const end = at + RECORD_HEADER + len;
    const jsonAt = PAYLOAD_FIXED + payload[16]!;
    seg.records.push({
      id: payload.readDoubleLE(0),
      time: payload.readDoubleLE(8),
      eventId: payload.toString('latin1', PAYLOAD_FIXED, jsonAt),
      json: payload.toString('utf8', jsonAt),
      start: at,
      end,
    });
    at = end;
  }
  seg.trailing = buf.length - at;
  return seg;
}

export function segmentFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^seg-[0-9a-f]{16}\.log$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

/** Every segment of `dir`; one that a running logship deletes (acknowledged) between the listing and the read is left out. */
export function readSegments(dir: string): SegmentFile[] {
  const out: SegmentFile[] = [];
  for (const file of segmentFiles(dir)) {
    try {
      out.push(readSegment(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

export interface AckFile {
  acked_id: number;
  segment: number;
  offset: number;
}

export function readAck(dir: string): AckFile | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'ack.json'), 'utf8')) as AckFile;
  } catch {
    return undefined;
  }
}

/** Sum of the sizes of the segment files (what max_size bounds) and of every file under `dir`. */
export function bufferBytes(dir: string): { segments: number; all: number } {
  let segments = 0;
  let all = 0;
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else {
        let size = 0;
        try {
          size = statSync(full).size;
        } catch {
          continue; // unlinked between readdir and stat
        }
        all += size;
        if (d === dir && /^seg-[0-9a-f]{16}\.log$/.test(e.name)) segments += size;
      }
    }
  };
  walk(dir);
  return { segments, all };
}

export interface CheckpointEntryLite {
  path: string;
  offset: number;
  key: string;
}

/** Every checkpoint entry of `<state>/checkpoints.json` (empty when none was written yet). */
export function readCheckpoints(stateDir: string): CheckpointEntryLite[] {
  try {
    const doc = JSON.parse(readFileSync(path.join(stateDir, 'checkpoints.json'), 'utf8')) as { inputs?: Record<string, CheckpointEntryLite[]> };
    return Object.values(doc.inputs ?? {}).flat();
  } catch {
    return [];
  }
}

/** The checkpoint offset of `file` (0 when it has none). */
export function checkpointOffset(stateDir: string, file: string): number {
  let best = 0;
  for (const e of readCheckpoints(stateDir)) if (e.path === file) best = Math.max(best, e.offset);
  return best;
}

/** Waits (bounded) until the checkpoint of `file` is at least `offset`; throws with `proc`'s stderr otherwise. */
export async function waitForCheckpoint(stateDir: string, file: string, offset: number, proc: LogshipProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (checkpointOffset(stateDir, file) < offset) {
    if (!proc.running) throw new Error(`logship exited before checkpointing ${file} at ${offset}: ${proc.describe()}`);
    if (Date.now() > deadline) throw new Error(`no checkpoint of ${file} at ${offset} within ${timeoutMs / 1000} s (at ${checkpointOffset(stateDir, file)}): ${proc.describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface BufferStatsLine {
  bytes: number;
  pending: number;
  droppedEvents: number;
  quarantinedPlaces: number;
  quarantinedBytes: number;
}

/** The `buffer` object of the last `msg` (default `final stats`) line logged for `output`. */
export function outputStats(proc: LogshipProcess, output: string, msg = 'final stats'): BufferStatsLine | undefined {
  let found: BufferStatsLine | undefined;
  for (const r of proc.logRecords()) if (r.msg === msg && r.output === output && r.buffer) found = r.buffer as BufferStatsLine;
  return found;
}

/** The `final stats` line of `input`. */
export function inputStats(proc: LogshipProcess, input: string, msg = 'final stats'): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  for (const r of proc.logRecords()) if (r.msg === msg && r.input === input) found = r;
  return found;
}

/** VmRSS of a live process in bytes (undefined once it is gone). */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function fileSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

export const MiB = 1024 * 1024;
export const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** What the test keeps of one event read from logship's stdout. */
export interface StdoutEvent {
  /** Line number of a numbered line (NaN for anything else). */
  n: number;
  prefix: string;
  path: string | undefined;
  id: string | undefined;
}

/**
 * Reads logship's stdout (the `stdout` output) incrementally and keeps a
 * compact record per event. `pause()` stops reading the pipe, so logship's
 * writes to stdout stop draining once the pipe and its stream buffer fill:
 * the slow (stalled) output. Attach right after the process starts, in the
 * same tick, so no chunk is missed.
 */
export class StdoutCollector {
  readonly events: StdoutEvent[] = [];
  readonly badLines: string[] = [];
  bytes = 0;
  private rest = '';
  private ended = false;
  readonly done: Promise<void>;

  constructor(private readonly stream: Readable) {
    // LogshipProcess already set utf8 encoding and a 'data' listener; chunks are strings.
    stream.on('data', (chunk: string | Buffer) => this.onData(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
    this.done = new Promise((resolve) => {
      const finish = () => {
        if (this.ended) return;
        this.ended = true;
        if (this.rest.trim() !== '') this.badLines.push(`unterminated last line: ${this.rest.slice(0, 200)}`);
        this.rest = '';
        resolve();
      };
      stream.once('end', finish);
      stream.once('close', finish);
    });
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  get paused(): boolean {
    return this.stream.isPaused();
  }

  private onData(s: string): void {
    this.bytes += Buffer.byteLength(s);
    const text = this.rest + s;
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      this.rest = text;
      return;
    }
    this.rest = text.slice(cut + 1);
    let from = 0;
    while (from <= cut) {
      const nl = text.indexOf('\n', from);
      const line = text.slice(from, nl);
      from = nl + 1;
      if (line.trim() === '') continue;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        if (this.badLines.length < 20) this.badLines.push(line.slice(0, 300));
        continue;
      }
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        if (this.badLines.length < 20) this.badLines.push(line.slice(0, 300));
        continue;
      }
      const obj = raw as Record<string, unknown>;
      const message = field(obj, 'message');
      const num = typeof message === 'string' ? parseNumbered(message) : undefined;
      const p = field(obj, 'log.file.path');
      const id = field(obj, 'event.id');
      this.events.push({
        n: num ? num.n : NaN,
        prefix: num ? num.prefix : '',
        path: typeof p === 'string' ? p : undefined,
        id: typeof id === 'string' ? id : undefined,
      });
    }
  }
}

/** Waits (bounded) until `proc` logged a line with `msg`; throws with its stderr otherwise. */
export async function waitForLog(proc: LogshipProcess, msg: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.logRecords().some((r) => r.msg === msg)) {
    if (!proc.running) throw new Error(`logship exited before logging "${msg}": ${proc.describe()}`);
    if (Date.now() > deadline) throw new Error(`logship did not log "${msg}" within ${timeoutMs / 1000} s: ${proc.describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
