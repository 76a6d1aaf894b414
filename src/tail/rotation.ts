import { open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { InputConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { FileOpener } from './file-opener.js';
import { findCopy, writtenSince } from './generations.js';
import { headMatches, readFingerprint, sameInode, type Fingerprint } from './identity.js';
import type { LineBatch } from './line-batch.js';
import type { PathGroup, PathGroups } from './path-groups.js';
import { fingerprintOf, latestAt, type ResumePoint } from './resume-point.js';
import { SiblingSnapshot, type Sibling } from './siblings.js';
import { statPath } from './stat-path.js';
import type { TailedFile } from './tailed-file.js';

export interface RotationCounts {
  rotations: number;
  truncations: number;
  /** Truncations where unread bytes could not be found in a copy. */
  truncationsWithLoss: number;
}

export interface RotationContext {
  input: InputConfig;
  logger: Logger;
  groups: PathGroups;
  opener: FileOpener;
  /** Does a glob of the input match `path`? A sibling it matches is tailed as a path of its own. */
  matches(path: string): boolean;
  /** A generation was closed for good; it emitted lines up to `file.resumeOffset`. */
  closed(file: TailedFile): void;
  /** Lines a generation emits as it is given up: its held partial line. */
  emit(batch: LineBatch): void;
  /** Shared with the reader: calls never overlap. */
  scratch: Buffer;
}

/** What the first read of a generation opened headless must do (see `settleHead`). */
export type HeadSettlement = 'adopted' | number | undefined;

/**
 * What becomes of the generations under each path as files rotate: renamed
 * away or deleted (read on through the held fd, the new file at the path
 * opened), truncated or rewritten (copytruncate: the unread rest is read from
 * the copy beside it), rotated away unseen (found beside the path by mtime and
 * taken, oldest first), and after a restart (a checkpointed generation found
 * again by identity, at its path or under its rotated name).
 */
export class Rotation {
  readonly counts: RotationCounts = { rotations: 0, truncations: 0, truncationsWithLoss: 0 };
  /** Lines cut at max_line_bytes in generations closed for good. */
  closedTruncatedLines = 0;

  constructor(private readonly ctx: RotationContext) {}

  /** Start-up: each checkpointed generation taken up again, then what known paths hold now when it is a later generation. */
  async resume(points: readonly ResumePoint[]): Promise<void> {
    for (const point of points) {
      try {
        await this.resumeOne(point);
      } catch (err) {
        this.ctx.opener.warnOnce(point.path, err);
      }
    }
    // A known path holding an unknown generation: it rotated while we were down.
    for (const group of this.ctx.groups.values()) {
      if (group.current) continue;
      const point = latestAt(points, group.path);
      await this.openAtPath(group, point?.mtime_ms ?? Number.POSITIVE_INFINITY, point ? fingerprintOf(point) : undefined, point?.generation ?? -1);
    }
  }

  /**
   * A poll's stat of the path (`st`, undefined: gone). A current generation
   * renamed away or deleted is read on to its end through its fd; whatever file
   * the path holds now is opened as the new current one.
   */
  async follow(group: PathGroup, st: Stats | undefined): Promise<void> {
    const cur = group.current;
    if (cur && (!st || st.dev !== cur.id.dev || st.ino !== cur.id.ino)) {
      cur.rotated = true;
      group.current = undefined;
      this.counts.rotations++;
      this.ctx.logger.debug({ path: group.path, ino: cur.id.ino, readPos: cur.readPos }, 'rotation detected');
    }
    if (!group.current && st?.isFile()) {
      // Unseen generations can only be missed relative to one we held.
      const since = (cur ?? group.files.at(-1))?.lastMtimeMs ?? Number.POSITIVE_INFINITY;
      await this.openAtPath(group, since, undefined, -1);
    }
  }

  /**
   * `st`: the current generation's fresh stat. True when it shrank or its head
   * changed under its path (then handled: see `truncated`).
   */
  async checkTruncation(group: PathGroup, f: TailedFile, st: Stats): Promise<boolean> {
    const shrunk = st.size < f.readPos;
    const rewritten = !shrunk && st.mtimeMs !== f.lastMtimeMs && !(await f.stillHolds(this.ctx.scratch));
    if (!shrunk && !rewritten) return false;
    await this.truncated(group, f);
    return true;
  }

  /**
   * The file under the path shrank or its head changed: copytruncate, or a
   * truncation. The bytes we had not read yet may survive in a copy beside it.
   */
  async truncated(group: PathGroup, f: TailedFile): Promise<void> {
    const { logger, scratch, groups, opener } = this.ctx;
    this.counts.truncations++;
    const resumeAt = f.resumeOffset;
    logger.debug({ path: group.path, resumeAt }, 'truncation detected');
    const siblings = await SiblingSnapshot.take(group.path);
    let copy: Sibling | undefined;
    try {
      const gone = { fp: f.id.fp, tail: f.tail, resumeAt, since: f.lastMtimeMs };
      copy = await findCopy(siblings, gone, (s) => sameInode(s, f.id) || groups.isKnownInode(s), scratch);
      let rest: TailedFile | undefined;
      if (copy) {
        logger.debug({ path: group.path, copy: copy.path, resumeAt }, 'reading the rest of a truncated generation from its copy');
        rest = await opener.open(copy.path, resumeAt, { inherit: { key: f.key, generation: f.generation }, groupPath: group.path, fh: siblings.adopt(copy) });
        if (rest) {
          rest.rotated = true;
          rest.tail = f.tail; // the copy holds the bytes we read: it is told apart by them too
        }
      } else {
        await this.noCopyFound(group, f);
      }
      group.remove(f);
      await this.closeForGood(group, f);
      if (rest) group.files.push(rest);
    } finally {
      await siblings.close();
    }
    await this.openAtPath(group, copy ? copy.mtimeMs : f.lastMtimeMs, f.id.fp, f.generation);
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
  async settleHead(file: TailedFile): Promise<HeadSettlement> {
    const fp = await readFingerprint(file.fh, this.ctx.input.fingerprint_bytes, this.ctx.scratch);
    if (!fp.final) return fp.len;
    // From now on the head is this content's: a later rewrite shows as a mismatch.
    file.id.fp = fp;
    const since = file.missedSince!;
    file.missedSince = undefined;
    const group = this.ctx.groups.get(file.path);
    if (!group || group.current !== file) return undefined;
    const before = group.files.length;
    await this.adoptMissedBeside(group, since, file);
    return group.files.length > before ? 'adopted' : undefined;
  }

  /** A rotated generation read to its end, past rotate_wait: its held partial line emitted, closed for good. */
  async retire(group: PathGroup, f: TailedFile): Promise<void> {
    const batch = await f.flushPartial();
    if (batch) this.ctx.emit(batch);
    group.remove(f);
    await this.closeForGood(group, f);
  }

  /**
   * A parked generation whose path changed: reopens it where it is now (its
   * path, or renamed beside it) to read on from its position. When it is gone
   * it is closed for good, warned about, since what was written after it was
   * parked is lost; false then.
   */
  async reopenParked(group: PathGroup, f: TailedFile): Promise<boolean> {
    const { scratch, logger, input } = this.ctx;
    if (await f.reopen(group.path, scratch)) return true;
    const siblings = await SiblingSnapshot.take(group.path);
    const renamed = siblings.list.find((s) => sameInode(s, f.id));
    await siblings.close();
    if (renamed && (await f.reopen(renamed.path, scratch))) return true;
    logger.warn(
      { input: input.name, path: group.path, offset: f.readPos },
      'file closed by max_open_files was deleted or replaced before it could be reopened; lines written to it after it was closed were not read',
    );
    group.remove(f);
    await this.closeForGood(group, f);
    return false;
  }

  /** Finds a checkpointed generation again: at its path, renamed beside it, or as a copytruncate copy. */
  private async resumeOne(point: ResumePoint): Promise<void> {
    const { logger, input, opener, scratch, groups } = this.ctx;
    const fp = fingerprintOf(point);
    const inherit = point.key ? { key: point.key, generation: point.generation } : undefined;
    const group = groups.of(point.path);
    const atPath = await statPath(point.path);
    if (atPath && sameInode(atPath, point) && atPath.size >= point.offset && (await this.startsWith(point.path, fp))) {
      const file = await opener.open(point.path, point.offset, { inherit });
      if (file) group.setCurrent(file);
      return;
    }
    const siblings = await SiblingSnapshot.take(point.path);
    try {
      const renamed = siblings.list.find((s) => sameInode(s, point));
      let found: Sibling | undefined;
      if (renamed && renamed.size >= point.offset && (await headMatches(renamed.fh, fp, scratch))) found = renamed;
      else found = await findCopy(siblings, { fp, tail: undefined, resumeAt: point.offset, since: point.mtime_ms }, (s) => groups.isKnownInode(s), scratch);
      if (!found) {
        logger.warn(
          { input: input.name, path: point.path, offset: point.offset },
          'checkpointed file not found under its path or beside it (deleted or compressed before it was read to its end); resuming without it',
        );
        return;
      }
      logger.info({ input: input.name, path: point.path, at: found.path, offset: point.offset }, 'resuming a checkpointed file from its rotated name');
      const file = await opener.open(found.path, point.offset, { inherit, groupPath: group.path, fh: siblings.adopt(found) });
      if (!file) return;
      file.rotated = true;
      group.files.push(file);
      // Generations rotated away after it, before we could see them.
      await this.adoptMissed(group, siblings, point.mtime_ms, undefined);
    } finally {
      await siblings.close();
    }
  }

  /**
   * A truncated generation with no copy beside it. Only bytes we saw and had
   * not read are a loss; a generation read to its end lost nothing. A held
   * partial line is emitted: it was read.
   */
  private async noCopyFound(group: PathGroup, f: TailedFile): Promise<void> {
    const { logger, input } = this.ctx;
    const batch = await f.flushPartial();
    if (batch) this.ctx.emit(batch);
    const unread = f.seenSize - f.readPos;
    // (A head already adopted as a copy is being read there.)
    if (unread <= 0 || group.files.some((x) => x !== f && x.id.fp.len > 0 && x.id.fp.len === f.id.fp.len && x.id.fp.crc === f.id.fp.crc)) {
      logger.info({ input: input.name, path: group.path, offset: f.readPos }, 'file truncated after it was read to its end');
      return;
    }
    this.counts.truncationsWithLoss++;
    logger.warn(
      { input: input.name, path: group.path, offset: f.readPos, unreadBytes: unread },
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
    const file = await this.ctx.opener.open(group.path, 0);
    if (Number.isFinite(since)) await this.adoptMissedBeside(group, since, file);
    if (!file) return;
    if (Number.isFinite(since) && !file.id.fp.final) file.missedSince = file.lastMtimeMs;
    if (prevFp && prevGeneration >= 0 && file.id.fp.len === prevFp.len && file.id.fp.crc === prevFp.crc) {
      file.setGeneration(prevGeneration + 1);
    }
    group.setCurrent(file);
  }

  /**
   * Takes rotated siblings written after `since` that we never tailed:
   * generations rotated away while we were behind. A sibling that starts like a
   * generation already read is its copy, not a missed one (mtimes tick coarsely).
   */
  private async adoptMissed(group: PathGroup, siblings: SiblingSnapshot, since: number, current: TailedFile | undefined): Promise<void> {
    const { groups, opener, logger, input, scratch } = this.ctx;
    const tailedOrTaken = (s: Sibling) => groups.isKnownInode(s) || this.ctx.matches(s.path) || (current !== undefined && sameInode(s, current.id));
    for (const s of writtenSince(siblings, since, tailedOrTaken)) {
      const file = await opener.open(s.path, 0, { groupPath: group.path, register: false, fh: siblings.adopt(s) });
      if (!file) continue;
      if (await group.read.isCopy(s, file.id.fp, group.files, scratch)) {
        await file.close();
        continue;
      }
      opener.track(file, group.path);
      file.rotated = true;
      logger.info({ input: input.name, path: s.path }, 'reading a generation rotated away before it was seen');
      group.addBeforeCurrent(file);
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

  /** Closes a generation removed from its group for good; its head and last bytes are remembered to tell its copies. */
  private async closeForGood(group: PathGroup, f: TailedFile): Promise<void> {
    group.read.remember(f.id.fp, f.tail);
    this.closedTruncatedLines += f.splitter.truncatedLines;
    this.ctx.closed(f);
    await f.close();
    this.ctx.groups.rememberClosed(f);
  }

  /** Does the file at `path` start with the head fingerprinted as `fp`? */
  private async startsWith(path: string, fp: Fingerprint): Promise<boolean> {
    try {
      const fh = await open(path, 'r');
      try {
        return await headMatches(fh, fp, this.ctx.scratch);
      } finally {
        await fh.close();
      }
    } catch {
      return false;
    }
  }
}
