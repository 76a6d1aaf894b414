/**
 * How the `file` output names its objects, and exclusive creation of the file.
 *
 * Layout: `<prefix rendered from the event time><stamp>-<n>.ndjson[.gz]`, where
 * `stamp` is the object's creation time as `YYYYMMDDTHHMMSSmmmZ` and `n`
 * tells apart objects created in the same millisecond under the same prefix.
 * Example: `checkout/2024/05/01/20240501T120000123Z-0.ndjson.gz`.
 *
 * The stamp sorts lexicographically in creation order, so listing a prefix
 * gives the objects in the order they were written.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir } from '../../src/util/atomic-write.js';
import { objectExtension, type Compression } from '../objects/compression.js';

/** `YYYYMMDDTHHMMSSmmmZ` in UTC: compact ISO 8601 basic format with milliseconds. */
export function formatStamp(epochMs: number): string {
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) throw new RangeError(`object stamp: not a valid time: ${epochMs}`);
  return (
    String(d.getUTCFullYear()).padStart(4, '0') +
    pad(d.getUTCMonth() + 1, 2) +
    pad(d.getUTCDate(), 2) +
    'T' +
    pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) +
    pad(d.getUTCSeconds(), 2) +
    pad(d.getUTCMilliseconds(), 3) +
    'Z'
  );
}

/** The object key for an already rendered prefix. */
export function objectKey(renderedPrefix: string, createdAt: number, n: number, compression: Compression): string {
  return `${renderedPrefix}${formatStamp(createdAt)}-${n}${objectExtension(compression)}`;
}

export interface CreatedObject {
  readonly fh: FileHandle;
  readonly key: string;
  readonly path: string;
}

/** Enough to get past any realistic collision, small enough to fail fast on a broken directory. */
const MAX_COUNTER = 1000;

/**
 * Creates the object's file under `root` with O_EXCL, bumping `n` while the
 * name exists: a restart within the same millisecond, or two processes sharing
 * the directory, never overwrite an object. Directories are created as needed,
 * and every directory entry the creation added is fsynced, so a synced object
 * cannot vanish with its directory entry after a crash.
 */
export async function createObjectFile(
  label: string,
  root: string,
  renderedPrefix: string,
  createdAt: number,
  compression: Compression,
): Promise<CreatedObject> {
  const dir = dirname(join(root, objectKey(renderedPrefix, createdAt, 0, compression)));
  let firstCreated: string | undefined;
  try {
    firstCreated = await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fsError(label, 'create directory', dir, err);
  }

  for (let n = 0; n < MAX_COUNTER; n++) {
    const key = objectKey(renderedPrefix, createdAt, n, compression);
    const path = join(root, key);
    let fh: FileHandle;
    try {
      fh = await open(path, 'wx');
    } catch (err) {
      if (errorCode(err) === 'EEXIST') continue;
      throw fsError(label, 'create', path, err);
    }
    try {
      for (const d of directoriesToSync(dir, firstCreated)) await syncDirectory(label, d);
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    return { fh, key, path };
  }
  throw new Error(
    `${label}: cannot create ${join(root, objectKey(renderedPrefix, createdAt, 0, compression))}: ` +
      `counters 0-${MAX_COUNTER - 1} all exist`,
  );
}

/** The file's directory, plus the parent of every directory mkdir just created. */
function directoriesToSync(dir: string, firstCreated: string | undefined): string[] {
  const dirs = [dir];
  if (firstCreated === undefined) return dirs;
  for (let d = dir; d !== firstCreated && dirname(d) !== d; d = dirname(d)) dirs.push(dirname(d));
  dirs.push(dirname(firstCreated));
  return [...new Set(dirs)];
}

async function syncDirectory(label: string, dir: string): Promise<void> {
  try {
    await fsyncDir(dir);
  } catch (err) {
    throw fsError(label, 'fsync directory', dir, err);
  }
}

/**
 * An Error naming the operation, the path and the OS reason, keeping the
 * original as `cause` and its `code` (ENOSPC, EACCES…) for callers that branch on it.
 */
export function fsError(label: string, op: string, path: string, err: unknown): Error & { code?: string } {
  const reason = err instanceof Error ? err.message : String(err);
  const wrapped: Error & { code?: string } = new Error(`${label}: cannot ${op} ${path}: ${reason}`, { cause: err });
  const code = errorCode(err);
  if (code !== undefined) wrapped.code = code;
  return wrapped;
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
