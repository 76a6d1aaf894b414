import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Stats } from 'node:fs';
import type { InputConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Discovery } from './discovery.js';
import { findCopy, ReadGenerations, writtenSince } from './generations.js';
import { InputProblems } from './input-problems.js';
import { headMatches, readFingerprint, sameInode, type Fingerprint } from './identity.js';
import type { LineBatch } from './line-batch.js';
import { SiblingSnapshot, type Sibling } from './siblings.js';
import { TailedFile } from './tailed-file.js';
import { makeRoom } from './open-files.js';
import { PollScheduler } from './poll-scheduler.js';
import { fingerprintOf, latestAt, type ResumePoint } from './resume-point.js';
import { statPath } from './stat-path.js';
import { WatchHints } from './watch-hints.js';
import { mapLimit } from '../util/map-limit.js';

const READ_CHUNK = 1024 * 1024;
const REMEMBERED_CLOSED = 4096;
/** An idle file is stat'ed at least every this many poll_intervals. */
const IDLE_BACKOFF = 10;
/** Watch events closer than this share one poll: a burst of new files is not a poll per event. */
const HINT_COALESCE_MS = 20;
/** Stats and opens in flight at once: enough to keep libuv's threads busy on a loaded node. */
const FS_CONCURRENCY = 32;

export interface TailerHooks {
  /** A generation was opened; nothing before `file.readPos` will be read from it. */
  opened(file: TailedFile): void;
  /** A generation was closed; it emitted lines up to `file.resumeOffset` and will emit no more. */
  closed(file: TailedFile): void;
}

export interface TailerOptions {
  input: InputConfig;
  /** This input's resume points from the last run (its checkpoint entries). */
  resume: readonly ResumePoint[];
  logger: Logger;
  hooks: TailerHooks;
}

/** Every generation ever tailed under one path, oldest first; `current` is the one the path points at. */
interface PathGroup {
  readonly path: string;
  files: TailedFile[];
  current: TailedFile | undefined;
  /** Generations read under this path, to tell their copies from missed generations. */
  readonly read: ReadGenerations;
}

export interface TailerStats {
  filesOpened: number;
  rotations: number;
  truncations: number;
  /** Truncations where unread bytes could not be found in a copy. */
  truncationsWithLoss: number;
  /** A gauge: regular files the globs matched at the last scan (ignored ones included). */
  filesMatched: number;
}

/**
 * Follows the files of one input and yields their lines, one read at a time:
 * nothing is read until the consumer asks for the next batch, so a slow output
 * slows reading and memory stays flat.
 *
 * fs.watch only hints; every tracked file is stat'ed each `poll_interval`
 * while it changes, backing off to 10 × `poll_interval` while idle (a hint or
 * a change resets it), and the globs are expanded again each `rescan_interval`
 * (or at the next poll after a hint about an unknown name).
 */
export class Tailer {
  readonly stats: TailerStats = { filesOpened: 0, rotations: 0, truncations: 0, truncationsWithLoss: 0, filesMatched: 0 };
  private readonly discovery: Discovery;
  private readonly hints: WatchHints;
  private readonly schedule: PollScheduler<PathGroup>;
  private readonly problems: InputProblems;
  /** Paths left closed by ignore_older, with what they held then; re-checked at rescans, backing off. */
  private readonly ignored = new Map<string, { dev: number; ino: number; size: number }>();
  private readonly ignoredPolls: PollScheduler<string>;
  /** New files wait for room under max_open_files: a file read to its end makes some, so rescan then. */
  private waitingForRoom = false;
  private readonly groups = new Map<string, PathGroup>();
  private readonly ready: LineBatch[] = [];
  private readonly readBuf = Buffer.allocUnsafe(READ_CHUNK);
  private readonly scratch: Buffer;
  /** dev:ino of generations closed recently, so a sibling scan does not take them for unseen rotations. */
  private readonly closedInodes = new Set<string>();
  private rr = 0;
  private closedTruncated = 0;
  /** Paths found to reach a file tailed under another path, logged once each. */
  private readonly aliases = new Set<string>();
  /** Last error per path, so a persistent one is logged once, not every poll. */
  private readonly openFailures = new Map<string, string>();
  private lastPoll = 0;
  private lastRescan = 0;
  private hinted = false;
  private rescanHinted = false;
  private stopping = false;
  private stopSized = false;
  private drained = false;
  private aborted = false;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: TailerOptions) {
    this.discovery = new Discovery(opts.input.paths, opts.input.exclude, (a) => this.noteAlias(a.path, a.alias));
    this.scratch = Buffer.allocUnsafe(opts.input.fingerprint_bytes);
    this.schedule = new PollScheduler(opts.input.poll_interval, opts.input.poll_interval * IDLE_BACKOFF);
    this.ignoredPolls = new PollScheduler(opts.input.poll_interval, opts.input.poll_interval * IDLE_BACKOFF);
    this.problems = new InputProblems(this.discovery, opts.input.name, opts.logger);
    this.hints = new WatchHints((dir, name) => {
      const path = name === null ? undefined : join(dir, name);
      const group = path === undefined ? undefined : this.groups.get(path);
      // A name we track: poll just it. Anything else may be a new file (or a rotated name).
      if (group) this.schedule.hint(group);
      else this.rescanHinted = true;
      if (path !== undefined && this.ignored.has(path)) this.ignoredPolls.hint(path);
      this.hinted = true;
      this.wake?.();
    });
  }

  /** Begin a graceful stop: no new files; read what is there now to its end; emit held partial lines. */
  stop(): void {
    this.stopping = true;
    // Size the files for the drain now, not at the next poll tick.
    this.hinted = true;
    this.wake?.();
  }

  /** Stop at once, wherever reading is. */
  abort(): void {
    this.aborted = true;
    this.wake?.();
  }

  /** Counters for the stats log: the running totals plus lines truncated at max_line_bytes. */
  counters(): TailerStats & { truncatedLines: number; filesTracked: number } {
    const files = this.files();
    const live = files.reduce((n, f) => n + f.splitter.truncatedLines, 0);
    return { ...this.stats, truncatedLines: this.closedTruncated + live, filesTracked: files.length };
  }

  /** Tracked generations, for checkpoint snapshots. */
  files(): TailedFile[] {
    return [...this.groups.values()].flatMap((g) => g.files);
  }

  /**
   * Line batches, and `null` once per poll: a tick that lets the parser chain
   * flush multi-line events whose stream went idle, busy or not.
   */
  async *batches(): AsyncGenerator<LineBatch | null> {
    try {
      await this.start();
      while (!this.aborted) {
        const queued = this.ready.shift();
        if (queued) {
          yield queued;
          continue;
        }
        const now = Date.now();
        const sincePoll = now - this.lastPoll;
        if ((this.hinted && sincePoll >= HINT_COALESCE_MS) || sincePoll >= this.opts.input.poll_interval) {
          await this.poll(now);
          yield null;
          if (this.ready.length > 0) continue;
        }
        const file = this.nextReadable();
        const settled = file?.missedSince !== undefined ? await this.settleHead(file) : undefined;
        if (settled === 'adopted') continue;
        if (file) {
          const batch = await this.read(file, settled);
          if (batch && batch.texts.length > 0) yield batch;
          continue;
        }
        if (this.stopping && this.stopSized) {
          if (this.drained) break;
          this.drained = true;
          for (const f of this.files()) {
            const batch = await f.flushPartial();
            if (batch) this.ready.push(batch);
          }
          continue;
        }
        const until = this.hinted ? HINT_COALESCE_MS : this.opts.input.poll_interval;
        await this.sleep(until - (Date.now() - this.lastPoll));
      }
    } finally {
      this.hints.close();
      for (const f of this.files()) await f.close();
    }
  }

  // ---- start-up ----------------------------------------------------------

  private async start(): Promise<void> {
    const { input, logger } = this.opts;
    for (const entry of this.opts.resume) {
      try {
        await this.resume(entry);
      } catch (err) {
        this.warnOnce(entry.path, err);
      }
    }
    // A known path holding an unknown generation: it rotated while we were down.
    for (const group of this.groups.values()) {
      if (group.current) continue;
      const entry = latestAt(this.opts.resume, group.path);
      await this.openAtPath(group, entry?.mtime_ms ?? Number.POSITIVE_INFINITY, entry ? fingerprintOf(entry) : undefined, entry?.generation ?? -1);
    }
    await this.openNew(await this.freshFiles(await this.scan(), false), input.start_at === 'end' ? 'end' : 0);
    for (const dir of this.discovery.baseDirs()) this.hints.watchDir(dir);
    this.lastRescan = Date.now();
    logger.info({ input: input.name, files: this.files().length, resumed: this.opts.resume.length }, 'tailing started');
  }

  /** Finds a checkpointed generation again: at its path, renamed beside it, or as a copytruncate copy. */
  private async resume(entry: ResumePoint): Promise<void> {
    const fp = fingerprintOf(entry);
    const inherit = entry.key ? { key: entry.key, generation: entry.generation } : undefined;
    const group = this.group(entry.path);
    const atPath = await statPath(entry.path);
    if (atPath && sameInode(atPath, entry) && atPath.size >= entry.offset && (await this.startsWith(entry.path, fp))) {
      const file = await this.open(entry.path, entry.offset, { inherit });
      if (file) setCurrent(group, file);
      return;
    }
    const siblings = await SiblingSnapshot.take(entry.path);
    try {
      const renamed = siblings.list.find((s) => sameInode(s, entry));
      let found: Sibling | undefined;
      if (renamed && renamed.size >= entry.offset && (await headMatches(renamed.fh, fp, this.scratch))) found = renamed;
      else found = await findCopy(siblings, { fp, tail: undefined, resumeAt: entry.offset, since: entry.mtime_ms }, (s) => this.isKnownInode(s), this.scratch);
      if (!found) {
        this.opts.logger.warn(
          { input: this.opts.input.name, path: entry.path, offset: entry.offset },
          'checkpointed file not found under its path or beside it (deleted or compressed before it was read to its end); resuming without it',
        );
        return;
      }
      this.opts.logger.info({ input: this.opts.input.name, path: entry.path, at: found.path, offset: entry.offset }, 'resuming a checkpointed file from its rotated name');
      const file = await this.open(found.path, entry.offset, { inherit, groupPath: group.path, fh: siblings.adopt(found) });
      if (!file) return;
      file.rotated = true;
      group.files.push(file);
      // Generations rotated away after it, before we could see them.
      await this.adoptMissed(group, siblings, entry.mtime_ms, undefined);
    } finally {
      await siblings.close();
    }
  }

  // ---- polling -----------------------------------------------------------

  private async poll(now: number): Promise<void> {
    this.lastPoll = now;
    this.hinted = false;
    if (this.stopping && !this.stopSized) {
      for (const f of this.files()) {
        const st = await f.fh.stat().catch(() => undefined);
        f.stopAt = st ? st.size : f.readPos;
        f.readable = f.readPos < f.stopAt;
      }
      this.stopSized = true;
      return;
    }
    const { poll_interval, rescan_interval } = this.opts.input;
    // Hinted rescans at most once per poll_interval: a burst of new files costs one glob expansion.
    const sinceRescan = now - this.lastRescan;
    if (!this.stopping && ((this.rescanHinted && sinceRescan >= poll_interval) || sinceRescan >= rescan_interval)) {
      await this.rescan();
    }
    const due = [...this.groups.values()].filter((g) => this.schedule.isDue(g, now));
    // Stats in chunks, then each path handled in order with its fresh stat.
    for (let i = 0; i < due.length; i += FS_CONCURRENCY * 4) {
      const chunk = due.slice(i, i + FS_CONCURRENCY * 4);
      // null: the stat failed (EACCES, EIO): not a sign of rotation; logged once, tried again next poll.
      const stats = this.stopping ? [] : await mapLimit(chunk, FS_CONCURRENCY, (g) => statPath(g.path).catch((err: unknown) => (this.warnOnce(g.path, err), null)));
      for (const [j, group] of chunk.entries()) {
        const st = stats[j];
        if (st === null) continue;
        const mtime = group.current?.lastMtimeMs;
        try {
          await this.pollGroup(group, now, st);
        } catch (err) {
          // EIO, EACCES on a directory, ELOOP: this path's trouble; the other paths keep flowing.
          this.warnOnce(group.path, err);
        }
        if (this.groups.get(group.path) !== group) this.schedule.delete(group);
        else this.schedule.polled(group, now, hasTimers(group) || group.current?.lastMtimeMs !== mtime);
      }
    }
  }

  private async rescan(): Promise<void> {
    this.rescanHinted = false;
    this.lastRescan = Date.now();
    // Appeared after start: read from its beginning, whatever start_at says.
    await this.openNew(await this.freshFiles(await this.scan(), true), 0);
  }

  /**
   * Opens files the scan found, concurrently. Under max_open_files one at a
   * time, and only while there is room: the rest wait for a later scan.
   */
  private async openNew(fresh: { path: string; offset?: number }[], from: number | 'end'): Promise<void> {
    const cap = this.opts.input.max_open_files;
    if (cap === undefined) {
      const opened = await mapLimit(fresh, FS_CONCURRENCY, (f) => this.open(f.path, f.offset ?? from, { register: false }));
      // Taken in the order found (sorted), not the order the opens finished: of two paths to one file, the first is kept.
      for (const [i, file] of opened.entries()) if (file) await this.adoptOpened(file, fresh[i]!.path);
      return;
    }
    // Under max_open_files one at a time, each counted before the next asks for room.
    for (const f of fresh) {
      if (!(await makeRoom(cap, this.files(), (x) => this.parkable(x)))) {
        this.waitingForRoom = true;
        return;
      }
      const file = await this.open(f.path, f.offset ?? from, { register: false });
      if (file) await this.adoptOpened(file, f.path);
    }
  }

  /** Tracks a newly opened file under `path`, unless it is one already tailed (a hard link, a checkpointed path): one reader per file. */
  private async adoptOpened(file: TailedFile, path: string): Promise<void> {
    if (this.isTailedElsewhere(file)) return void (await file.close());
    this.track(file, path);
    setCurrent(this.group(path), file);
  }

  /** May give its fd up: the generation under its path, read to its end, no timer running on it. */
  private parkable(f: TailedFile): boolean {
    const group = this.groups.get(f.path);
    return group?.current === f && !f.readable && !f.rotated && !f.splitter.hasPartial && f.missedSince === undefined && f.stopAt === undefined;
  }

  /**
   * A parked generation whose path changed: reopen it where it is now (its
   * path, or renamed beside it) to read on from its position. False while there
   * is no room (the next poll tries again) or when it is gone: then it is
   * closed for good, warned about, since what was written after it was parked is lost.
   */
  private async unpark(group: PathGroup, f: TailedFile): Promise<boolean> {
    if (!(await makeRoom(this.opts.input.max_open_files, this.files(), (x) => x !== f && this.parkable(x)))) return false;
    if (await f.reopen(group.path, this.scratch)) return true;
    const siblings = await SiblingSnapshot.take(group.path);
    const renamed = siblings.list.find((s) => sameInode(s, f.id));
    await siblings.close();
    if (renamed && (await f.reopen(renamed.path, this.scratch))) return true;
    this.opts.logger.warn(
      { input: this.opts.input.name, path: group.path, offset: f.readPos },
      'file closed by max_open_files was deleted or replaced before it could be reopened; lines written to it after it was closed were not read',
    );
    group.files.splice(group.files.indexOf(f), 1);
    if (group.current === f) group.current = undefined;
    await this.retireClosed(group, f);
    return false;
  }

  /** Expands the globs; says when they match nothing or something that cannot be tailed. */
  private async scan(): Promise<string[]> {
    const found = await this.discovery.scan();
    this.stats.filesMatched = found.length;
    await this.problems.check(found);
    return found;
  }

  /**
   * Found paths no group holds, to open. `skipKnown`: leave out generations we
   * hold or just finished, renamed into the glob (not new files). Files
   * ignore_older leaves closed are remembered; once modified, they are tailed
   * from where they ended then (`offset`), or from 0 when replaced meanwhile.
   */
  private async freshFiles(found: string[], skipKnown: boolean): Promise<{ path: string; offset?: number }[]> {
    const limit = this.opts.input.ignore_older;
    const now = Date.now();
    if (this.ignored.size > 0) {
      const still = new Set(found);
      for (const p of this.ignored.keys()) if (!still.has(p)) this.forgetIgnored(p);
    }
    let candidates = found.filter((p) => !this.groups.has(p) && (!this.ignored.has(p) || this.ignoredPolls.isDue(p, now)));
    // Under max_open_files no more can open at once: the rest wait for the next scan.
    const cap = this.opts.input.max_open_files;
    this.waitingForRoom = cap !== undefined && candidates.length > cap;
    if (cap !== undefined) candidates = candidates.slice(0, cap);
    if (!skipKnown && limit === undefined) return candidates.map((path) => ({ path }));
    const stats = await mapLimit(candidates, FS_CONCURRENCY, (p) => statPath(p).catch(() => undefined));
    const out: { path: string; offset?: number }[] = [];
    let newlyIgnored = 0;
    for (const [i, path] of candidates.entries()) {
      const st = stats[i];
      if (!st || (skipKnown && this.isKnownInode(st))) continue;
      const was = this.ignored.get(path);
      if (limit !== undefined && now - st.mtimeMs > limit) {
        if (!was) {
          this.ignored.set(path, { dev: st.dev, ino: st.ino, size: st.size });
          newlyIgnored++;
        }
        this.ignoredPolls.polled(path, now, false);
        continue;
      }
      if (!was) {
        out.push({ path });
        continue;
      }
      this.forgetIgnored(path);
      const offset = was.dev === st.dev && was.ino === st.ino && st.size >= was.size ? was.size : 0;
      this.opts.logger.info({ input: this.opts.input.name, path, offset }, 'file left closed by ignore_older was modified; tailing what was written since');
      out.push({ path, offset });
    }
    if (newlyIgnored > 0) {
      this.opts.logger.info({ input: this.opts.input.name, files: newlyIgnored, ignoreOlderMs: limit }, 'files not modified within ignore_older are left closed until they change');
    }
    return out;
  }

  private forgetIgnored(path: string): void {
    this.ignored.delete(path);
    this.ignoredPolls.delete(path);
  }

  /** `st`: the path's stat, taken just before (undefined: gone, or stopping). */
  private async pollGroup(group: PathGroup, now: number, st: Stats | undefined): Promise<void> {
    if (!this.stopping) {
      const cur = group.current;
      if (cur && (!st || st.dev !== cur.id.dev || st.ino !== cur.id.ino)) {
        // Renamed away or deleted: keep reading the held fd to its end.
        cur.rotated = true;
        group.current = undefined;
        this.stats.rotations++;
        this.opts.logger.debug({ path: group.path, ino: cur.id.ino, readPos: cur.readPos }, 'rotation detected');
      }
      if (!group.current && st?.isFile()) {
        // Unseen generations can only be missed relative to one we held.
        const since = (cur ?? group.files.at(-1))?.lastMtimeMs ?? Number.POSITIVE_INFINITY;
        await this.openAtPath(group, since, undefined, -1);
      }
    }
    for (const f of [...group.files]) await this.pollFile(group, f, now, f === group.current ? st : undefined);
    if (group.files.length === 0 && !this.discovery.matches(group.path)) this.groups.delete(group.path);
  }

  /** `pathStat`: the stat of the path, taken this poll; it is the file's own when the inode matches (one stat, not two). */
  private async pollFile(group: PathGroup, f: TailedFile, now: number, pathStat?: Stats): Promise<void> {
    const same = pathStat !== undefined && pathStat.dev === f.id.dev && pathStat.ino === f.id.ino;
    if (f.parked) {
      const unchanged = same && pathStat.size === f.readPos && pathStat.mtimeMs === f.lastMtimeMs;
      if (unchanged || !(await this.unpark(group, f))) return;
    }
    const st = same ? pathStat : await f.fh.stat().catch(() => undefined);
    if (!st) return;
    if (f === group.current && !this.stopping) {
      const shrunk = st.size < f.readPos;
      const rewritten = !shrunk && st.mtimeMs !== f.lastMtimeMs && !(await f.stillHolds(this.scratch));
      if (shrunk || rewritten) {
        await this.onTruncated(group, f);
        return;
      }
    }
    f.lastMtimeMs = st.mtimeMs;
    if (st.size > f.seenSize) f.seenSize = st.size;
    const limit = f.stopAt ?? Infinity;
    if (st.size > f.readPos && f.readPos < limit) {
      f.readable = true;
      return;
    }
    if (f.readable) return;
    const idle = now - f.lastDataAt;
    if (f.splitter.hasPartial && idle >= this.opts.input.partial_line_timeout) {
      const batch = await f.flushPartial();
      if (batch) this.ready.push(batch);
    }
    if (f.rotated && idle >= this.opts.input.rotate_wait) await this.retire(group, f);
  }

  /**
   * The file under the path shrank or its head changed: copytruncate, or a
   * truncation. The bytes we had not read yet may survive in a copy beside it.
   */
  private async onTruncated(group: PathGroup, f: TailedFile): Promise<void> {
    this.stats.truncations++;
    const resumeAt = f.resumeOffset;
    this.opts.logger.debug({ path: group.path, resumeAt }, 'truncation detected');
    const siblings = await SiblingSnapshot.take(group.path);
    let copy: Sibling | undefined;
    try {
      const gone = { fp: f.id.fp, tail: f.tail, resumeAt, since: f.lastMtimeMs };
      copy = await findCopy(siblings, gone, (s) => sameInode(s, f.id) || this.isKnownInode(s), this.scratch);
      const replacement: TailedFile[] = [];
      if (copy) {
        this.opts.logger.debug({ path: group.path, copy: copy.path, resumeAt }, 'reading the rest of a truncated generation from its copy');
        const rest = await this.open(copy.path, resumeAt, { inherit: { key: f.key, generation: f.generation }, groupPath: group.path, fh: siblings.adopt(copy) });
        if (rest) {
          rest.rotated = true;
          rest.tail = f.tail; // the copy holds the bytes we read: it is told apart by them too
          replacement.push(rest);
        }
      } else {
        await this.noCopyFound(group, f);
      }
      group.files.splice(group.files.indexOf(f), 1);
      group.current = undefined;
      await this.retireClosed(group, f);
      group.files.push(...replacement);
    } finally {
      await siblings.close();
    }
    await this.openAtPath(group, copy ? copy.mtimeMs : f.lastMtimeMs, f.id.fp, f.generation);
  }

  /**
   * A truncated generation with no copy beside it. Only bytes we saw and had
   * not read are a loss; a generation read to its end lost nothing. A held
   * partial line is emitted: it was read.
   */
  private async noCopyFound(group: PathGroup, f: TailedFile): Promise<void> {
    const batch = await f.flushPartial();
    if (batch) this.ready.push(batch);
    const unread = f.seenSize - f.readPos;
    // (A head already adopted as a copy is being read there.)
    if (unread <= 0 || group.files.some((x) => x !== f && x.id.fp.len > 0 && x.id.fp.len === f.id.fp.len && x.id.fp.crc === f.id.fp.crc)) {
      this.opts.logger.info({ input: this.opts.input.name, path: group.path, offset: f.readPos }, 'file truncated after it was read to its end');
      return;
    }
    this.stats.truncationsWithLoss++;
    this.opts.logger.warn(
      { input: this.opts.input.name, path: group.path, offset: f.readPos, unreadBytes: unread },
      'file truncated and no copy of its unread tail found beside it; the bytes after this offset were not read',
    );
  }

  /**
   * Opens what the path holds now, from its beginning, after earlier generations
   * we hold. With `since` finite, generations rotated away unseen since then are
   * taken first; the path is opened before the directory is listed, so a
   * generation rotated away in between is already under its rotated name.
   * `prevFp`/`prevGeneration`: when the new content starts like the old, its ids must still differ.
   */
  private async openAtPath(group: PathGroup, since: number, prevFp: Fingerprint | undefined, prevGeneration: number): Promise<void> {
    const file = await this.open(group.path, 0);
    if (Number.isFinite(since)) await this.adoptMissedBeside(group, since, file);
    if (!file) return;
    if (Number.isFinite(since) && !file.id.fp.final) file.missedSince = file.lastMtimeMs;
    if (prevFp && prevGeneration >= 0 && file.id.fp.len === prevFp.len && file.id.fp.crc === prevFp.crc) {
      file.setGeneration(prevGeneration + 1);
    }
    setCurrent(group, file);
  }

  /**
   * Takes rotated siblings written after `since` that we never tailed:
   * generations rotated away while we were behind. A sibling that starts like a
   * generation already read is its copy, not a missed one (mtimes tick coarsely).
   */
  private async adoptMissed(group: PathGroup, siblings: SiblingSnapshot, since: number, current: TailedFile | undefined): Promise<void> {
    const tailedOrTaken = (s: Sibling) => this.isKnownInode(s) || this.discovery.matches(s.path) || (current !== undefined && sameInode(s, current.id));
    for (const s of writtenSince(siblings, since, tailedOrTaken)) {
      const file = await this.open(s.path, 0, { groupPath: group.path, register: false, fh: siblings.adopt(s) });
      if (!file) continue;
      if (await group.read.isCopy(s, file.id.fp, group.files, this.scratch)) {
        await file.close();
        continue;
      }
      this.track(file, group.path);
      file.rotated = true;
      this.opts.logger.info({ input: this.opts.input.name, path: s.path }, 'reading a generation rotated away before it was seen');
      // Older than the current generation: read before it.
      const at = current ? group.files.indexOf(current) : -1;
      if (at >= 0) group.files.splice(at, 0, file);
      else group.files.push(file);
    }
  }

  private async adoptMissedBeside(group: PathGroup, since: number, current: TailedFile | undefined): Promise<void> {
    const siblings = await SiblingSnapshot.take(group.path);
    try {
      await this.adoptMissed(group, siblings, since, current);
    } finally {
      await siblings.close();
    }
  }

  /**
   * Before the first read of a replacement opened headless: once its head is
   * final, adopt the copies made meanwhile. Returns 'adopted' when it adopted
   * any, so the caller picks again (older generations first). While the head is
   * not final, returns the bytes seen: the read must stop there. Copytruncates
   * landing between this check and the read would leave it a later generation's
   * final head and lines to read from 0, with missedSince never acted on: the
   * copies of the generations before it would never be adopted (lost, silently).
   */
  private async settleHead(file: TailedFile): Promise<'adopted' | number | undefined> {
    const fp = await readFingerprint(file.fh, this.opts.input.fingerprint_bytes, this.scratch);
    if (!fp.final) return fp.len;
    // From now on the head is this content's: a later rewrite shows as a mismatch.
    file.id.fp = fp;
    const since = file.missedSince!;
    file.missedSince = undefined;
    const group = this.groups.get(file.path);
    if (!group || group.current !== file) return undefined;
    const before = group.files.length;
    await this.adoptMissedBeside(group, since, file);
    return group.files.length > before ? 'adopted' : undefined;
  }

  private async retire(group: PathGroup, f: TailedFile): Promise<void> {
    const batch = await f.flushPartial();
    if (batch) this.ready.push(batch);
    group.files.splice(group.files.indexOf(f), 1);
    await this.retireClosed(group, f);
  }

  private async retireClosed(group: PathGroup, f: TailedFile): Promise<void> {
    group.read.remember(f.id.fp, f.tail);
    this.closedTruncated += f.splitter.truncatedLines;
    this.opts.hooks.closed(f);
    await f.close();
    if (this.closedInodes.size >= REMEMBERED_CLOSED) this.closedInodes.delete(this.closedInodes.values().next().value!);
    this.closedInodes.add(`${f.id.dev}:${f.id.ino}`);
  }

  // ---- helpers -----------------------------------------------------------

  /**
   * `groupPath`: the path it is tailed as (default `path`); `fh`: an fd already
   * open on it, taken over; `register: false` leaves tracking to the caller.
   */
  private async open(
    path: string,
    offset: number | 'end',
    o: { inherit?: { key: string; generation: number }; groupPath?: string; register?: boolean; fh?: FileHandle } = {},
  ): Promise<TailedFile | undefined> {
    const { input } = this.opts;
    const { inherit, groupPath = path, register = true } = o;
    let file: TailedFile | undefined;
    try {
      file = await TailedFile.open(
        o.fh ?? path,
        groupPath,
        offset,
        { maxLineBytes: input.max_line_bytes, fingerprintBytes: input.fingerprint_bytes },
        // Its own: opens run concurrently (start-up, rescans), and the head is read into it.
        Buffer.allocUnsafe(input.fingerprint_bytes),
        inherit,
      );
    } catch (err) {
      // EACCES, EMFILE, EIO: one file's trouble must not stop the others; the next poll or rescan tries again.
      this.warnOnce(path, err);
      return undefined;
    }
    if (!file) return undefined;
    this.openFailures.delete(path);
    if (register) this.track(file, groupPath);
    return file;
  }

  /** From here on the file counts: delivery tracking, stats, watch hints. */
  private track(file: TailedFile, groupPath: string): void {
    this.stats.filesOpened++;
    this.opts.logger.debug({ path: file.path, offset: file.readPos, ino: file.id.ino, fp: file.id.fp }, 'opened');
    this.hints.watchDir(dirname(groupPath));
    this.opts.hooks.opened(file);
  }

  /** A read error leaves the file where it was; the next poll retries it. `end`: read no further than this offset. */
  private async read(file: TailedFile, end?: number): Promise<LineBatch | null> {
    try {
      // Only the generation under the path can be truncated under us (copytruncate).
      const group = this.groups.get(file.path);
      const current = group?.current === file;
      const batch = await file.read(this.readBuf, current && !this.stopping ? this.scratch : undefined, end);
      // At its end: poll the path soon, whatever its idle back-off was, for what is written next.
      if (!file.readable && group) this.schedule.hint(group);
      if (!file.readable && this.waitingForRoom) this.rescanHinted = true;
      if (batch !== 'superseded') return batch;
      await this.onTruncated(group!, file);
      return null;
    } catch (err) {
      file.readable = false;
      this.warnOnce(file.path, err);
      return null;
    }
  }

  private warnOnce(path: string, err: unknown): void {
    const reason = (err as Error).message;
    if (this.openFailures.get(path) === reason) return;
    this.openFailures.set(path, reason);
    this.opts.logger.warn({ input: this.opts.input.name, path, err: reason }, 'cannot read file; retrying on the next poll');
  }

  /** Does the file at `path` start with the head fingerprinted as `fp`? */
  private async startsWith(path: string, fp: Fingerprint): Promise<boolean> {
    try {
      const fh = await open(path, 'r');
      try {
        return await headMatches(fh, fp, this.scratch);
      } finally {
        await fh.close();
      }
    } catch {
      return false;
    }
  }

  private group(path: string): PathGroup {
    let g = this.groups.get(path);
    if (!g) {
      g = { path, files: [], current: undefined, read: new ReadGenerations() };
      this.groups.set(path, g);
    }
    return g;
  }

  /** A hard link (or a checkpointed path) reaching a file already tailed: one reader per file. */
  private isTailedElsewhere(file: TailedFile): boolean {
    const other = this.files().find((f) => sameInode(f.id, file.id));
    if (!other) return false;
    this.noteAlias(other.path, file.path);
    return true;
  }

  private noteAlias(path: string, alias: string): void {
    if (this.aliases.has(alias)) return;
    if (this.aliases.size >= REMEMBERED_CLOSED) this.aliases.clear();
    this.aliases.add(alias);
    this.opts.logger.info({ input: this.opts.input.name, path, alias }, 'file reachable by several paths; tailed once, under path');
  }

  private isKnownInode(s: { dev: number; ino: number }): boolean {
    if (this.closedInodes.has(`${s.dev}:${s.ino}`)) return true;
    // Called per new path of a rescan: no array per call (thousands of files, thousands of new ones).
    for (const g of this.groups.values()) for (const f of g.files) if (sameInode(f.id, s)) return true;
    return false;
  }

  /** Round-robin over paths; within a path the oldest generation with data goes first. */
  private nextReadable(): TailedFile | undefined {
    const groups = [...this.groups.values()];
    for (let n = 0; n < groups.length; n++) {
      const g = groups[(this.rr + n) % groups.length]!;
      const f = g.files.find((x) => x.readable);
      if (f) {
        this.rr = (this.rr + n + 1) % groups.length;
        return f;
      }
    }
    return undefined;
  }

  private sleep(ms: number): Promise<void> {
    if (this.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(1, ms));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

/**
 * Polls of this path drive a timer (rotate_wait of a rotated generation, the
 * partial-line timeout, a head still to settle), so they stay at poll_interval.
 * Otherwise only a change matters: data known to be unread is read anyway, and
 * reaching its end makes the path due again.
 */
function hasTimers(group: PathGroup): boolean {
  return group.files.some((f) => f !== group.current || f.splitter.hasPartial || f.missedSince !== undefined);
}

/** The path now points at `file`, the newest generation. */
function setCurrent(group: PathGroup, file: TailedFile): void {
  // Opened empty, we know nothing of its content: copytruncates before its first
  // read would leave no trace under the path, only copies written since.
  if (file.id.fp.len === 0 && file.missedSince === undefined) file.missedSince = file.lastMtimeMs;
  group.files.push(file);
  group.current = file;
}
