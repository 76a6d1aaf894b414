import { dirname, join } from 'node:path';
import type { Stats } from 'node:fs';
import type { InputConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Discovery } from './discovery.js';
import { FileOpener } from './file-opener.js';
import { IgnoredFiles, type FreshFile } from './ignored-files.js';
import { InputProblems } from './input-problems.js';
import type { LineBatch } from './line-batch.js';
import { makeRoom } from './open-files.js';
import { PathGroups, type PathGroup } from './path-groups.js';
import { PollScheduler } from './poll-scheduler.js';
import type { ResumePoint } from './resume-point.js';
import { Rotation, type RotationCounts } from './rotation.js';
import type { TailedFile } from './tailed-file.js';
import { statPath } from './stat-path.js';
import { WatchHints } from './watch-hints.js';
import { mapLimit } from '../util/map-limit.js';

const READ_CHUNK = 1024 * 1024;
const REMEMBERED_ALIASES = 4096;
/** An idle file is stat'ed at least every this many poll_intervals. */
const IDLE_BACKOFF = 10;
/**
 * Watch events closer than this share one poll: a burst of new files is not a
 * poll per event, and a file an app appends to every few ms is read in chunks
 * of this much time, not per write. Each read costs a batch's fixed work
 * (a message to the parse worker, an append, a wake-up of the delivery loop):
 * at 1,000 lines/s written every 10 ms, 20 ms gave 0.13 cores and 60 ms 0.07
 * (bench/footprint.mjs), for ~30 ms more latency, well inside the 250 ms median.
 */
const HINT_COALESCE_MS = 50;
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

export interface TailerStats extends RotationCounts {
  filesOpened: number;
  /** A gauge: regular files the globs matched at the last scan (ignored ones included). */
  filesMatched: number;
}

/**
 * The graceful stop, in order: running → stopping (`stop()`: the files are
 * sized for the drain at the next poll) → draining (read up to those sizes) →
 * flushed (held partial lines emitted; ends once nothing is left to read).
 */
type Stage = 'running' | 'stopping' | 'draining' | 'flushed';

/**
 * Follows the files of one input and yields their lines, one read at a time:
 * nothing is read until the consumer asks for the next batch, so a slow output
 * slows reading and memory stays flat.
 *
 * fs.watch only hints; every tracked file is stat'ed each `poll_interval`
 * while it changes, backing off to 10 × `poll_interval` while idle (a hint or
 * a change resets it), and the globs are expanded again each `rescan_interval`
 * (or at the next poll after a hint about an unknown name). What rotations do
 * to the generations of a path is `Rotation`'s business.
 */
export class Tailer {
  private readonly discovery: Discovery;
  private readonly hints: WatchHints;
  private readonly schedule: PollScheduler<PathGroup>;
  private readonly problems: InputProblems;
  private readonly ignored: IgnoredFiles;
  private readonly groups = new PathGroups();
  private readonly opener: FileOpener;
  private readonly rotation: Rotation;
  private readonly ready: LineBatch[] = [];
  private readonly readBuf = Buffer.allocUnsafe(READ_CHUNK);
  private readonly scratch: Buffer;
  /** Paths found to reach a file tailed under another path, logged once each. */
  private readonly aliases = new Set<string>();
  private stage: Stage = 'running';
  /** `abort()`: ends at once, whatever the stage; work in flight finishes under the stage's rules. */
  private aborted = false;
  private filesMatched = 0;
  /** Round-robin position over the paths. */
  private rr = 0;
  private lastPoll = 0;
  private lastRescan = 0;
  /** A watch event came: poll soon (HINT_COALESCE_MS), not at the next poll_interval. */
  private hinted = false;
  /** A watch event named an unknown path (or room was made under max_open_files): rescan at the next poll. */
  private rescanHinted = false;
  /** New files wait for room under max_open_files: a file read to its end makes some, so rescan then. */
  private waitingForRoom = false;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: TailerOptions) {
    const { input, logger, hooks } = opts;
    this.discovery = new Discovery(input.paths, input.exclude, (a) => this.noteAlias(a.path, a.alias));
    this.scratch = Buffer.allocUnsafe(input.fingerprint_bytes);
    this.schedule = new PollScheduler(input.poll_interval, input.poll_interval * IDLE_BACKOFF);
    this.ignored = new IgnoredFiles(input, logger, input.poll_interval * IDLE_BACKOFF);
    this.problems = new InputProblems(this.discovery, input.name, logger);
    this.opener = new FileOpener(input, logger, (file, groupPath) => {
      this.hints.watchDir(dirname(groupPath));
      hooks.opened(file);
    });
    this.rotation = new Rotation({
      input,
      logger,
      groups: this.groups,
      opener: this.opener,
      matches: (path) => this.discovery.matches(path),
      closed: (file) => hooks.closed(file),
      emit: (batch) => this.ready.push(batch),
      scratch: this.scratch,
    });
    this.hints = new WatchHints((dir, name) => {
      const path = name === null ? undefined : join(dir, name);
      const group = path === undefined ? undefined : this.groups.get(path);
      // A name we track: poll just it. Anything else may be a new file (or a rotated name).
      if (group) this.schedule.hint(group);
      else this.rescanHinted = true;
      if (path !== undefined) this.ignored.hint(path);
      this.hinted = true;
      this.wake?.();
    });
  }

  /** Begin a graceful stop: no new files; read what is there now to its end; emit held partial lines. */
  stop(): void {
    if (this.stage === 'running') this.stage = 'stopping';
    // Size the files for the drain now, not at the next poll tick.
    this.hinted = true;
    this.wake?.();
  }

  /** Stop at once, wherever reading is. */
  abort(): void {
    this.aborted = true;
    this.wake?.();
  }

  get stats(): TailerStats {
    return { filesOpened: this.opener.filesOpened, ...this.rotation.counts, filesMatched: this.filesMatched };
  }

  /** Counters for the stats log: the running totals plus lines truncated at max_line_bytes. */
  counters(): TailerStats & { truncatedLines: number; filesTracked: number } {
    const files = this.files();
    const live = files.reduce((n, f) => n + f.splitter.truncatedLines, 0);
    return { ...this.stats, truncatedLines: this.rotation.closedTruncatedLines + live, filesTracked: files.length };
  }

  /** Tracked generations, for checkpoint snapshots. */
  files(): TailedFile[] {
    return this.groups.files();
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
        const settled = file?.missedSince !== undefined ? await this.rotation.settleHead(file) : undefined;
        if (settled === 'adopted') continue;
        if (file) {
          const batch = await this.read(file, settled);
          if (batch && batch.texts.length > 0) yield batch;
          continue;
        }
        if (this.stage === 'flushed') break;
        if (this.stage === 'draining') {
          this.stage = 'flushed';
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

  /** Not stopping: rotations are followed and new files opened. */
  private get running(): boolean {
    return this.stage === 'running';
  }

  private async start(): Promise<void> {
    const { input, logger } = this.opts;
    await this.rotation.resume(this.opts.resume);
    await this.openNew(await this.freshFiles(await this.scan(), false), input.start_at === 'end' ? 'end' : 0);
    for (const dir of this.discovery.baseDirs()) this.hints.watchDir(dir);
    this.lastRescan = Date.now();
    logger.info({ input: input.name, files: this.files().length, resumed: this.opts.resume.length }, 'tailing started');
  }

  // ---- polling -----------------------------------------------------------

  private async poll(now: number): Promise<void> {
    this.lastPoll = now;
    this.hinted = false;
    if (this.stage === 'stopping') {
      for (const f of this.files()) {
        const st = await f.fh.stat().catch(() => undefined);
        f.stopAt = st ? st.size : f.readPos;
        f.readable = f.readPos < f.stopAt;
      }
      this.stage = 'draining';
      return;
    }
    const { poll_interval, rescan_interval } = this.opts.input;
    // Hinted rescans at most once per poll_interval: a burst of new files costs one glob expansion.
    const sinceRescan = now - this.lastRescan;
    if (this.running && ((this.rescanHinted && sinceRescan >= poll_interval) || sinceRescan >= rescan_interval)) {
      await this.rescan();
    }
    const due = [...this.groups.values()].filter((g) => this.schedule.isDue(g, now));
    // Stats in chunks, then each path handled in order with its fresh stat.
    for (let i = 0; i < due.length; i += FS_CONCURRENCY * 4) {
      const chunk = due.slice(i, i + FS_CONCURRENCY * 4);
      // null: the stat failed (EACCES, EIO): not a sign of rotation; logged once, tried again next poll.
      const stats = this.running ? await mapLimit(chunk, FS_CONCURRENCY, (g) => statPath(g.path).catch((err: unknown) => (this.opener.warnOnce(g.path, err), null))) : [];
      for (const [j, group] of chunk.entries()) {
        const st = stats[j];
        if (st === null) continue;
        const mtime = group.current?.lastMtimeMs;
        try {
          await this.pollGroup(group, now, st);
        } catch (err) {
          // EIO, EACCES on a directory, ELOOP: this path's trouble; the other paths keep flowing.
          this.opener.warnOnce(group.path, err);
        }
        if (this.groups.get(group.path) !== group) this.schedule.delete(group);
        else this.schedule.polled(group, now, group.hasTimers() || group.current?.lastMtimeMs !== mtime);
      }
    }
  }

  /** `st`: the path's stat, taken just before (undefined: gone, or stopping). */
  private async pollGroup(group: PathGroup, now: number, st: Stats | undefined): Promise<void> {
    if (this.running) await this.rotation.follow(group, st);
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
    if (f === group.current && this.running && (await this.rotation.checkTruncation(group, f, st))) return;
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
    if (f.rotated && idle >= this.opts.input.rotate_wait) await this.rotation.retire(group, f);
  }

  // ---- new files ---------------------------------------------------------

  private async rescan(): Promise<void> {
    this.rescanHinted = false;
    this.lastRescan = Date.now();
    // Appeared after start: read from its beginning, whatever start_at says.
    await this.openNew(await this.freshFiles(await this.scan(), true), 0);
  }

  /** Expands the globs; says when they match nothing or something that cannot be tailed. */
  private async scan(): Promise<string[]> {
    const found = await this.discovery.scan();
    this.filesMatched = found.length;
    await this.problems.check(found);
    return found;
  }

  /**
   * Found paths no group holds, to open. `skipKnown`: leave out generations we
   * hold or just finished, renamed into the glob (not new files). ignore_older
   * decides on the rest.
   */
  private async freshFiles(found: string[], skipKnown: boolean): Promise<FreshFile[]> {
    const now = Date.now();
    this.ignored.keepOnly(found);
    let candidates = found.filter((p) => !this.groups.has(p) && this.ignored.wanted(p, now));
    // Under max_open_files no more can open at once: the rest wait for the next scan.
    const cap = this.opts.input.max_open_files;
    this.waitingForRoom = cap !== undefined && candidates.length > cap;
    if (cap !== undefined) candidates = candidates.slice(0, cap);
    if (!skipKnown && this.opts.input.ignore_older === undefined) return candidates.map((path) => ({ path }));
    const stats = await mapLimit(candidates, FS_CONCURRENCY, (p) => statPath(p).catch(() => undefined));
    const stated: { path: string; st: Stats }[] = [];
    for (const [i, path] of candidates.entries()) {
      const st = stats[i];
      if (st && !(skipKnown && this.groups.isKnownInode(st))) stated.push({ path, st });
    }
    return this.ignored.select(stated, now);
  }

  /**
   * Opens files the scan found, concurrently. Under max_open_files one at a
   * time, and only while there is room: the rest wait for a later scan.
   */
  private async openNew(fresh: FreshFile[], from: number | 'end'): Promise<void> {
    const cap = this.opts.input.max_open_files;
    if (cap === undefined) {
      const opened = await mapLimit(fresh, FS_CONCURRENCY, (f) => this.opener.open(f.path, f.offset ?? from, { register: false }));
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
      const file = await this.opener.open(f.path, f.offset ?? from, { register: false });
      if (file) await this.adoptOpened(file, f.path);
    }
  }

  /** Tracks a newly opened file under `path`, unless it is one already tailed (a hard link, a checkpointed path): one reader per file. */
  private async adoptOpened(file: TailedFile, path: string): Promise<void> {
    const other = this.groups.tailedAs(file);
    if (other) {
      this.noteAlias(other.path, file.path);
      return void (await file.close());
    }
    this.opener.track(file, path);
    this.groups.of(path).setCurrent(file);
  }

  private noteAlias(path: string, alias: string): void {
    if (this.aliases.has(alias)) return;
    if (this.aliases.size >= REMEMBERED_ALIASES) this.aliases.clear();
    this.aliases.add(alias);
    this.opts.logger.info({ input: this.opts.input.name, path, alias }, 'file reachable by several paths; tailed once, under path');
  }

  // ---- max_open_files ----------------------------------------------------

  /** May give its fd up: the generation under its path, read to its end, no timer running on it. */
  private parkable(f: TailedFile): boolean {
    const group = this.groups.get(f.path);
    return group?.current === f && !f.readable && !f.rotated && !f.splitter.hasPartial && f.missedSince === undefined && f.stopAt === undefined;
  }

  /** A parked generation whose path changed: false while there is no room (the next poll tries again) or when it is gone. */
  private async unpark(group: PathGroup, f: TailedFile): Promise<boolean> {
    if (!(await makeRoom(this.opts.input.max_open_files, this.files(), (x) => x !== f && this.parkable(x)))) return false;
    return this.rotation.reopenParked(group, f);
  }

  // ---- reading -----------------------------------------------------------

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

  /** A read error leaves the file where it was; the next poll retries it. `end`: read no further than this offset. */
  private async read(file: TailedFile, end?: number): Promise<LineBatch | null> {
    try {
      // Only the generation under the path can be truncated under us (copytruncate).
      const group = this.groups.get(file.path);
      const current = group?.current === file;
      const batch = await file.read(this.readBuf, current && this.running ? this.scratch : undefined, end);
      // At its end: poll the path soon, whatever its idle back-off was, for what is written next.
      if (!file.readable && group) this.schedule.hint(group);
      if (!file.readable && this.waitingForRoom) this.rescanHinted = true;
      if (batch !== 'superseded') return batch;
      await this.rotation.truncated(group!, file);
      return null;
    } catch (err) {
      file.readable = false;
      this.opener.warnOnce(file.path, err);
      return null;
    }
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
