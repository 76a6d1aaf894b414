import { open, readFile } from 'node:fs/promises';

/**
 * The read positions Fluentd and Fluent Bit keep for their tail inputs:
 *
 * - Fluentd's `pos_file`: one line per file, `path<TAB>offset<TAB>inode`,
 *   offset and inode as 16 hex digits; an offset of ffffffffffffffff marks a
 *   file no longer watched;
 * - Fluent Bit's `DB`: SQLite, table `in_tail_files (id, name, offset,
 *   inode, created, rotated)`, read through `node:sqlite` (Node ≥ 22.5).
 */
export interface OldPosition {
  path: string;
  offset: number;
  inode: number;
  /** `pos_file:line` or `db:row id`, for the report. */
  where: string;
}

export interface PositionsRead {
  positions: OldPosition[];
  /** Lines or rows that were not positions, with why. */
  skipped: string[];
}

const SQLITE_MAGIC = 'SQLite format 3\0';
const UNWATCHED = 'ffffffffffffffff';

/** Reads a pos_file or a tail DB, told apart by the SQLite header. Throws with a reason when it is neither. */
export async function readPositions(file: string): Promise<PositionsRead> {
  const head = Buffer.alloc(16);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 16, 0);
  } finally {
    await fh.close();
  }
  return head.toString('latin1') === SQLITE_MAGIC ? readTailDb(file) : readPosFile(file);
}

async function readPosFile(file: string): Promise<PositionsRead> {
  const out: PositionsRead = { positions: [], skipped: [] };
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    const m = /^(.+)\t([0-9a-fA-F]{1,16})\t([0-9a-fA-F]{1,16})$/.exec(line);
    if (!m) {
      out.skipped.push(`${where}: not a pos_file line (path<TAB>hex offset<TAB>hex inode)`);
      return;
    }
    if (m[2]!.toLowerCase() === UNWATCHED) {
      out.skipped.push(`${where}: ${m[1]} is marked unwatched (Fluentd stopped tailing it)`);
      return;
    }
    out.positions.push({ path: m[1]!, offset: parseInt(m[2]!, 16), inode: parseInt(m[3]!, 16), where });
  });
  if (out.positions.length === 0 && out.skipped.length > 0 && !out.skipped.some((s) => s.includes('unwatched'))) {
    throw new Error(`${file} is neither a Fluentd pos_file nor a Fluent Bit tail DB (SQLite)`);
  }
  return out;
}

interface SqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => {
    prepare(sql: string): { all(): Record<string, unknown>[] };
    close(): void;
  };
}

async function readTailDb(file: string): Promise<PositionsRead> {
  let sqlite: SqliteModule;
  try {
    // A variable specifier: Node 20 has no node:sqlite, and its types do not declare it.
    const specifier = 'node:sqlite';
    sqlite = (await import(specifier)) as SqliteModule;
  } catch {
    throw new Error(`${file} is a Fluent Bit tail DB (SQLite): reading it needs node:sqlite, in Node >= 22.5 (22.5 to 22.12 with --experimental-sqlite); this is Node ${process.versions.node}`);
  }
  const db = new sqlite.DatabaseSync(file, { readOnly: true });
  try {
    let rows: Record<string, unknown>[];
    try {
      rows = db.prepare('SELECT id, name, offset, inode FROM in_tail_files ORDER BY id').all();
    } catch (err) {
      throw new Error(`${file} is an SQLite file without Fluent Bit's in_tail_files table: ${(err as Error).message}`);
    }
    const out: PositionsRead = { positions: [], skipped: [] };
    for (const row of rows) {
      const where = `${file}: row id ${String(row.id)}`;
      const offset = Number(row.offset);
      const inode = Number(row.inode);
      if (typeof row.name !== 'string' || !Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(inode)) {
        out.skipped.push(`${where}: not a file position (name ${JSON.stringify(row.name)}, offset ${String(row.offset)}, inode ${String(row.inode)})`);
        continue;
      }
      out.positions.push({ path: row.name, offset, inode, where });
    }
    return out;
  } finally {
    db.close();
  }
}
