/**
 * A start that cannot succeed for a reason outside logship (a port in use, a
 * read-only state directory): printed as one line naming the setting and the
 * cause, exit 1, never a stack trace.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** `address already in use (EADDRINUSE)` from a Node system error; undefined for anything else. */
export function systemReason(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (typeof e?.code !== 'string' || typeof e.message !== 'string' || !/^E[A-Z0-9]+$/.test(e.code)) return undefined;
  // Node's messages read `EROFS: read-only file system, mkdir '/x'` or `listen EADDRINUSE: address already in use 127.0.0.1:80`.
  const m = /^(?:\w+ )?E[A-Z0-9]+: (.*?)(?:, \w+(?: '.*')?| \S+:\d+)?$/s.exec(e.message);
  return `${m ? m[1] : e.message} (${e.code})`;
}

/** `mkdir /data/buffers/es: read-only file system (EROFS)`: the reason with the call and path it came from. */
export function describeSystemError(err: unknown): string | undefined {
  const reason = systemReason(err);
  const { syscall, path } = err as NodeJS.ErrnoException;
  return reason !== undefined && path !== undefined ? `${syscall ?? 'access'} ${path}: ${reason}` : reason;
}
