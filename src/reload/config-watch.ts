import type { Logger } from '../log.js';
import { configHash, readConfigText } from './config-source.js';

/**
 * `config.watch`: polls the config file's content. Kubernetes updates a mounted
 * ConfigMap by swapping a symlink (`..data` → a new timestamped directory), so
 * the link's own mtime says nothing; the text read through the links is hashed
 * and compared with the hash of the config last loaded. A file that cannot be
 * read (mid-swap) is skipped until the next poll.
 */
export class ConfigWatch {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly file: string,
    /** The hash of the config running now (or last rejected): a change is a text with another. */
    private readonly current: () => string,
    private readonly changed: () => void,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const hash = configHash(await readConfigText(this.file));
      if (hash !== this.current()) {
        this.logger.info({ file: this.file, hash }, 'config file changed; reloading');
        this.changed();
      }
    } catch {
      // Unreadable for a moment (a swap in progress): the next poll looks again.
    } finally {
      this.polling = false;
    }
  }
}
