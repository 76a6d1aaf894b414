import type { FileHandle } from 'node:fs/promises';
import type { InputConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { TailedFile } from './tailed-file.js';

export interface OpenOptions {
  /** The event-id key and generation of the generation this one continues (a resumed or copied one). */
  inherit?: { key: string; generation: number };
  /** The path it is tailed as (default: the path opened). */
  groupPath?: string;
  /** false: tracking is left to the caller (`track`), once it decided to keep the file. */
  register?: boolean;
  /** An fd already open on it, taken over. */
  fh?: FileHandle;
}

/**
 * Opens generations for one input and says when one starts to count
 * (`tracked`: delivery tracking, watch hints). A file that cannot be read is
 * warned about once per path and reason, not every poll.
 */
export class FileOpener {
  filesOpened = 0;
  /** Last error per path, so a persistent one is logged once, not every poll. */
  private readonly failures = new Map<string, string>();

  constructor(
    private readonly input: InputConfig,
    private readonly logger: Logger,
    private readonly tracked: (file: TailedFile, groupPath: string) => void,
  ) {}

  async open(path: string, offset: number | 'end', o: OpenOptions = {}): Promise<TailedFile | undefined> {
    const { input } = this;
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
    this.failures.delete(path);
    if (register) this.track(file, groupPath);
    return file;
  }

  /** From here on the file counts: delivery tracking, stats, watch hints. */
  track(file: TailedFile, groupPath: string): void {
    this.filesOpened++;
    this.logger.debug({ path: file.path, offset: file.readPos, ino: file.id.ino, fp: file.id.fp }, 'opened');
    this.tracked(file, groupPath);
  }

  warnOnce(path: string, err: unknown): void {
    const reason = (err as Error).message;
    if (this.failures.get(path) === reason) return;
    this.failures.set(path, reason);
    this.logger.warn({ input: this.input.name, path, err: reason }, 'cannot read file; retrying on the next poll');
  }
}
