import type { FileHandle } from 'node:fs/promises';

/**
 * Writes all of `buf`: a file write may write less than asked (a full disk, a
 * file size limit) without failing, and `FileHandle.write` does not loop.
 * `position` null appends (a file opened with 'a').
 */
export async function writeAll(fh: FileHandle, buf: Buffer, position: number | null): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position === null ? null : position + done);
    if (bytesWritten === 0) throw new Error(`short write: ${done} of ${buf.length} bytes written, then no progress`);
    done += bytesWritten;
  }
}
