/**
 * This output's writer id: created once, kept in the state directory, so it
 * survives restarts (a replay after a crash names its objects as before) and
 * two instances with their own state never name an object alike.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic-write.js';

const WRITER_ID = /^[0-9a-f]{16}$/;

export function writerIdPath(stateDir: string, outputName: string): string {
  return join(stateDir, 's3', `${outputName}.writer-id`);
}

/** The writer id stored at `file`, creating it on first use. */
export async function loadWriterId(label: string, file: string): Promise<string> {
  let stored: string | undefined;
  try {
    stored = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${label}: cannot read the writer id ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (stored !== undefined) {
    // Never replaced silently: a new id would name replayed objects differently and duplicate their events.
    if (!WRITER_ID.test(stored)) throw new Error(`${label}: the writer id file ${file} does not hold 16 hex digits; restore it, or delete it to start a new writer`);
    return stored;
  }
  const created = randomBytes(8).toString('hex');
  try {
    await writeFileAtomic(file, `${created}\n`);
  } catch (err) {
    throw new Error(`${label}: cannot create the writer id ${file}: ${(err as Error).message}`, { cause: err });
  }
  return created;
}
