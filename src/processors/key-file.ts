import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Below this the HMAC of `hash` mode could be brute-forced offline. */
export const MIN_KEY_BYTES = 16;

/**
 * The HMAC key of `redact: { mode: hash }`: the file's bytes, one trailing
 * newline dropped (`echo … > key` writes one). Read once, when the processors
 * are built: the same file gives the same hashes across restarts.
 * Throws an Error saying what is wrong with the file.
 */
export function readHashKey(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(resolve(file));
  } catch (err) {
    throw new Error(`cannot read key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  if (end < MIN_KEY_BYTES) throw new Error(`key file ${file} holds ${end} bytes; a key needs at least ${MIN_KEY_BYTES} (e.g. \`head -c 32 /dev/urandom > ${file}\`)`);
  return bytes.subarray(0, end);
}

/** Every key_file of an input's processors that cannot be used, as `path: problem` for `logship validate` and the start. */
export function keyFileProblems(processors: readonly { redact?: { key_file?: string | undefined } | undefined }[], at: string): string[] {
  const problems: string[] = [];
  processors.forEach((p, j) => {
    if (p.redact?.key_file === undefined) return;
    try {
      readHashKey(p.redact.key_file);
    } catch (err) {
      problems.push(`${at}.processors[${j}].redact.key_file: ${(err as Error).message}`);
    }
  });
  return problems;
}
