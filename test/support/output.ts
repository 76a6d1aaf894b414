// Reads what the `file` output wrote (every object under its directory,
// `.ndjson` read incrementally, `.ndjson.gz` gunzipped) and checks numbered
// lines: present, missing, duplicated, ids consistent.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import type { LogshipProcess } from './logship-process.js';
import { sleep } from './logship-process.js';

export interface ShippedEvent {
  raw: Record<string, unknown>;
  message: string;
  path: string | undefined;
  offset: number | undefined;
  id: string | undefined;
  tags: string[];
  /** The object (file under the output dir) it was read from. */
  object: string;
}

/** Reads `a.b.c` nested, or as a flat dotted key. */
export function field(obj: Record<string, unknown>, dotted: string): unknown {
  if (dotted in obj) return obj[dotted];
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function toEvent(raw: Record<string, unknown>, object: string): ShippedEvent {
  const message = field(raw, 'message');
  const p = field(raw, 'log.file.path');
  const offset = field(raw, 'log.offset');
  const id = field(raw, 'event.id');
  const tags = field(raw, 'tags');
  return {
    raw,
    message: typeof message === 'string' ? message : String(message),
    path: typeof p === 'string' ? p : undefined,
    offset: typeof offset === 'number' ? offset : undefined,
    id: typeof id === 'string' ? id : undefined,
    tags: Array.isArray(tags) ? tags.map(String) : [],
    object,
  };
}

const isObject = (name: string) => name.endsWith('.ndjson') || name.endsWith('.ndjson.gz');

function walk(dir: string, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.isFile() && isObject(e.name)) out.push(full);
  }
  return out;
}

export interface BadLine {
  object: string;
  line: string;
}

/**
 * Incremental reader of an output directory. Plain objects are read from where
 * the last poll stopped (an unterminated last line is held back until its
 * newline arrives); gzip objects are re-read whole when they change.
 */
export class OutputReader {
  private plain = new Map<string, { offset: number; events: ShippedEvent[] }>();
  private gz = new Map<string, { size: number; mtimeMs: number; events: ShippedEvent[]; bad: BadLine[] }>();
  private plainBad: BadLine[] = [];
  private cached: ShippedEvent[] | undefined;

  constructor(readonly dir: string) {}

  /** Reads whatever is new; returns the number of events now known. */
  poll(): number {
    for (const file of walk(this.dir)) {
      if (file.endsWith('.gz')) this.readGz(file);
      else this.readPlain(file);
    }
    this.cached = undefined;
    return this.events.length;
  }

  get events(): ShippedEvent[] {
    if (!this.cached) {
      const all: ShippedEvent[] = [];
      for (const { events } of this.plain.values()) for (const e of events) all.push(e);
      for (const { events } of this.gz.values()) for (const e of events) all.push(e);
      this.cached = all;
    }
    return this.cached;
  }

  /** Lines that are not a JSON object (torn or glued writes), with their object. */
  get badLines(): BadLine[] {
    return [...this.plainBad, ...[...this.gz.values()].flatMap((g) => g.bad)];
  }

  /** Objects whose last line has no newline (a torn write, e.g. after kill -9). */
  tornTails(): BadLine[] {
    const out: BadLine[] = [];
    for (const [file, st] of this.plain) {
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        continue;
      }
      if (size > st.offset) {
        const fd = openSync(file, 'r');
        try {
          const buf = Buffer.alloc(Math.min(size - st.offset, 300));
          readSync(fd, buf, 0, buf.length, st.offset);
          out.push({ object: file, line: buf.toString('utf8') });
        } finally {
          closeSync(fd);
        }
      }
    }
    return out;
  }

  private parseLines(text: string, object: string, into: ShippedEvent[], bad: BadLine[]): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const raw = JSON.parse(line) as unknown;
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not an object');
        into.push(toEvent(raw as Record<string, unknown>, object));
      } catch {
        bad.push({ object, line: line.length > 300 ? line.slice(0, 300) + '…' : line });
      }
    }
  }

  private readPlain(file: string): void {
    let st = this.plain.get(file);
    if (!st) {
      st = { offset: 0, events: [] };
      this.plain.set(file, st);
    }
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return; // renamed or removed between walk and open
    }
    try {
      const size = fstatSync(fd).size;
      if (size < st.offset) {
        // Rewritten in place (not expected of an output): start over.
        st.offset = 0;
        st.events.length = 0;
      }
      if (size === st.offset) return;
      const buf = Buffer.alloc(size - st.offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, st.offset + got);
        if (n === 0) break;
        got += n;
      }
      const end = buf.lastIndexOf(0x0a, got - 1);
      if (end < 0) return;
      this.parseLines(buf.toString('utf8', 0, end), file, st.events, this.plainBad);
      st.offset += end + 1;
    } finally {
      closeSync(fd);
    }
  }

  private readGz(file: string): void {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return;
    }
    const prev = this.gz.get(file);
    if (prev && prev.size === stat.size && prev.mtimeMs === stat.mtimeMs) return;
    let text: string;
    try {
      // An object still being written is a truncated stream: take what is there.
      text = gunzipSync(readFileSync(file), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      return;
    }
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const events: ShippedEvent[] = [];
    const bad: BadLine[] = [];
    this.parseLines(complete, file, events, bad);
    this.gz.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, events, bad });
  }
}

/** Reads a whole output dir once. */
export function readOutput(dir: string): { events: ShippedEvent[]; badLines: BadLine[]; tornTails: BadLine[] } {
  const r = new OutputReader(dir);
  r.poll();
  return { events: r.events, badLines: r.badLines, tornTails: r.tornTails() };
}

const NUMBERED = /^(.*?)line-(\d{6,})(?: |$)/;

/** `"f017-line-000042 xxx"` → `{ prefix: "f017-", n: 42 }`. */
export function parseNumbered(message: string): { prefix: string; n: number } | undefined {
  const m = NUMBERED.exec(message);
  return m ? { prefix: m[1]!, n: Number(m[2]) } : undefined;
}

export interface NumberedReport {
  expected: number;
  present: number;
  missing: number[];
  /** Extra copies beyond the first, summed over all lines. */
  duplicates: number;
  /** Lines seen more than once. */
  duplicatedLines: number;
  maxCopies: number;
  /** Lines whose copies carry different event.ids. */
  idMismatches: string[];
  /** event.ids shared by different lines. */
  idCollisions: string[];
  /** Events without an event.id. */
  missingIds: number;
  /** Numbered events outside the expected range (or with another prefix). */
  unexpected: number;
}

export interface NumberedSpec {
  prefix?: string;
  first?: number;
  last: number;
}

/** Checks the numbered lines `prefix` + first..last among `events` (other prefixes count as unexpected). */
export function checkNumbered(events: readonly ShippedEvent[], spec: NumberedSpec | NumberedSpec[]): NumberedReport {
  const specs = Array.isArray(spec) ? spec : [spec];
  const want = new Map<string, { first: number; last: number }>();
  let expected = 0;
  for (const s of specs) {
    const first = s.first ?? 1;
    want.set(s.prefix ?? '', { first, last: s.last });
    expected += s.last - first + 1;
  }
  const seen = new Map<string, { copies: number; id: string | undefined }>();
  const idOwner = new Map<string, string>();
  const idMismatches: string[] = [];
  const idCollisions: string[] = [];
  let duplicates = 0;
  let duplicatedLines = 0;
  let maxCopies = 0;
  let missingIds = 0;
  let unexpected = 0;
  for (const e of events) {
    const num = parseNumbered(e.message);
    if (!num) {
      unexpected++;
      continue;
    }
    const range = want.get(num.prefix);
    if (!range || num.n < range.first || num.n > range.last) {
      unexpected++;
      continue;
    }
    const key = `${num.prefix}${num.n}`;
    if (e.id === undefined) missingIds++;
    else {
      const owner = idOwner.get(e.id);
      if (owner === undefined) idOwner.set(e.id, key);
      else if (owner !== key && idCollisions.length < 20) idCollisions.push(`${e.id}: ${owner} and ${key}`);
    }
    const prev = seen.get(key);
    if (!prev) {
      seen.set(key, { copies: 1, id: e.id });
      maxCopies = Math.max(maxCopies, 1);
      continue;
    }
    prev.copies++;
    duplicates++;
    if (prev.copies === 2) duplicatedLines++;
    maxCopies = Math.max(maxCopies, prev.copies);
    if (prev.id !== e.id && idMismatches.length < 20) idMismatches.push(`${key}: ${prev.id} then ${e.id}`);
  }
  const missing: number[] = [];
  for (const s of specs) {
    for (let n = s.first ?? 1; n <= s.last; n++) if (!seen.has(`${s.prefix ?? ''}${n}`)) missing.push(n);
  }
  return {
    expected,
    present: seen.size,
    missing,
    duplicates,
    duplicatedLines,
    maxCopies,
    idMismatches,
    idCollisions,
    missingIds,
    unexpected,
  };
}

/** `[1,2,3,7,9,10]` → `"1-3, 7, 9-10"` (capped). */
export function ranges(nums: readonly number[], cap = 30): string {
  const sorted = [...nums].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.length > cap ? parts.slice(0, cap).join(', ') + `, … (${parts.length} ranges)` : parts.join(', ');
}

export function summarize(r: NumberedReport): string {
  return (
    `${r.present}/${r.expected} present, ${r.missing.length} missing` +
    (r.missing.length ? ` [${ranges(r.missing)}]` : '') +
    `, ${r.duplicates} duplicate copies over ${r.duplicatedLines} lines (max ${r.maxCopies} copies)` +
    (r.idMismatches.length ? `, id mismatches: ${r.idMismatches.slice(0, 5).join('; ')}` : '') +
    (r.idCollisions.length ? `, id collisions: ${r.idCollisions.slice(0, 5).join('; ')}` : '') +
    (r.missingIds ? `, ${r.missingIds} events without event.id` : '') +
    (r.unexpected ? `, ${r.unexpected} unexpected events` : '')
  );
}

/**
 * What a kill -9 test requires of the numbered lines it wrote, copies aside: every one arrived, nothing else did,
 * every event has an event.id, a line's copies share one and no two lines do.
 */
export function expectEveryLineWithStableIds(r: NumberedReport): void {
  expect(r.missing.length, summarize(r)).toBe(0);
  expect(r.unexpected, summarize(r)).toBe(0);
  expect(r.idMismatches, 'a duplicate must carry the same event.id as its first copy').toEqual([]);
  expect(r.idCollisions, 'different lines must not share an event.id').toEqual([]);
  expect(r.missingIds, 'events without event.id').toBe(0);
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Fail at once, with its stderr, when this process exits while we wait. */
  proc?: LogshipProcess;
  what?: string;
  /**
   * Give up early when the output has not grown for this long (default 20 s,
   * well past every interval the tests configure): a stuck run fails in 20 s
   * instead of the full timeout, with the same "what is missing" message.
   */
  stallMs?: number;
}

/**
 * Polls the output until `done()` holds. On timeout (default 60 s) throws with
 * `describe()`, which should say what is still missing.
 */
export async function waitFor(
  reader: OutputReader,
  done: () => boolean,
  describe: () => string,
  opts: WaitOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const stallMs = opts.stallMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let lastCount = -1;
  let lastChange = Date.now();
  for (;;) {
    const count = reader.poll();
    if (done()) return;
    if (count !== lastCount) {
      lastCount = count;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(
        `no new output for ${stallMs / 1000} s (${count} events) while waiting for ${opts.what ?? 'output'}: ${describe()}` +
          (opts.proc ? `\n${opts.proc.describe()}` : ''),
      );
    }
    if (opts.proc && !opts.proc.running) {
      reader.poll();
      if (done()) return;
      throw new Error(`logship exited while waiting for ${opts.what ?? 'output'}: ${describe()}\n${opts.proc.describe()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${opts.what ?? 'output'}: ${describe()}` +
          (opts.proc ? `\n${opts.proc.describe()}` : ''),
      );
    }
    await sleep(opts.intervalMs ?? 300);
  }
}

/** Waits until every numbered line of `spec` is present at least once. */
export async function waitForNumbered(
  reader: OutputReader,
  spec: NumberedSpec | NumberedSpec[],
  opts: WaitOptions = {},
): Promise<NumberedReport> {
  let report = checkNumbered([], spec);
  await waitFor(
    reader,
    () => {
      report = checkNumbered(reader.events, spec);
      return report.missing.length === 0;
    },
    () => summarize(report),
    { what: `${report.expected} numbered lines`, ...opts },
  );
  return report;
}
