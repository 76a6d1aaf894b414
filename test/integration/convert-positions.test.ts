// `logship convert --import-positions`: the read positions of Fluentd
// (pos_file) and Fluent Bit (tail DB, SQLite) become logship checkpoints, so
// the first `logship run` ships exactly the lines after them: none before
// (no re-shipping), every one after (no skipping), also for a file rotated
// since the old shipper stopped (found beside its path by inode).
// The DB is read through node:sqlite, which Node 20 lacks: that part runs the
// CLI under a Node 24 binary (test/support/node24.ts).
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputReader, waitFor } from '../support/output.js';
import { baseConfig, CLI, useHarness, writeConfig } from '../support/logship-process.js';
import { node24 } from '../support/node24.js';

const h = useHarness();

function logship(node: string, args: string[], cwd: string) {
  const { LOGSHIP_CONFIG: _, ...env } = process.env;
  const r = spawnSync(node, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `n` lines `<name> 1` … `<name> n` and returns the byte offset after each line. */
function writeLines(file: string, name: string, n: number): number[] {
  const ends: number[] = [];
  let text = '';
  for (let i = 1; i <= n; i++) {
    text += `${name} ${i}\n`;
    ends.push(Buffer.byteLength(text));
  }
  writeFileSync(file, text);
  return ends;
}

const hex16 = (n: number) => n.toString(16).padStart(16, '0');

/**
 * The files the old shipper left behind: app.log read up to line 6; web.log
 * read up to line 3 and rotated since (now web.log.1, a new web.log beside it).
 */
function oldShipperState(root: string) {
  const logs = path.join(root, 'logs');
  const app = path.join(logs, 'app.log');
  const web = path.join(logs, 'web.log');
  const appEnds = writeLines(app, 'app', 10);
  const webEnds = writeLines(web, 'web', 5);
  const positions = [
    { path: app, offset: appEnds[5]!, inode: statSync(app).ino },
    { path: web, offset: webEnds[2]!, inode: statSync(web).ino },
  ];
  renameSync(web, `${web}.1`);
  writeLines(web, 'web-new', 3);
  return positions;
}

/** Runs logship on the imported checkpoints and returns the messages it ships once the last line of each file arrived. */
async function runAndCollect(root: string, config: string): Promise<string[]> {
  const proc = h.start(config);
  const reader = new OutputReader(path.join(root, 'out'));
  const messages = () => reader.events.map((e) => e.message);
  await waitFor(
    reader,
    () => ['app 10', 'web 5', 'web-new 3'].every((m) => messages().includes(m)),
    () => `shipped so far: ${JSON.stringify(messages())}`,
    { proc, timeoutMs: 120_000, what: 'the last line of each file' },
  );
  await proc.stop();
  reader.poll();
  return messages();
}

// Lines after the imported positions, and the rotated file's successor from its start.
const EXPECTED = ['app 7', 'app 8', 'app 9', 'app 10', 'web 4', 'web 5', 'web-new 1', 'web-new 2', 'web-new 3'];

describe('logship convert --import-positions', () => {
  it('Fluentd pos_file: logship run resumes where Fluentd stopped, a rotated file found by inode', async () => {
    const root = await h.tmp('import-pos');
    const positions = oldShipperState(root);
    const pos = path.join(root, 'td-agent.pos');
    writeFileSync(
      pos,
      [
        ...positions.map((p) => `${p.path}\t${hex16(p.offset)}\t${hex16(p.inode)}`),
        `${path.join(root, 'logs/gone.log')}\tffffffffffffffff\t${hex16(12345)}`,
        `/elsewhere/other.log\t${hex16(10)}\t${hex16(777)}`,
        '',
      ].join('\n'),
    );
    const config = await writeConfig(root, baseConfig(root, [{ name: 'logs', paths: [path.join(root, 'logs/*.log')] }]));

    const r = logship(process.execPath, ['convert', '--import-positions', '--config', config, pos], root);
    expect(r.stderr).toMatch(/gone\.log is marked unwatched/);
    expect(r.stdout).toContain(`imported ${positions[0]!.path}: resumes at byte ${positions[0]!.offset} of`);
    expect(r.stdout).toContain(`imported ${positions[1]!.path} (now ${positions[1]!.path}.1): resumes at byte ${positions[1]!.offset}`);
    expect(r.stdout).toMatch(/skipped \/elsewhere\/other\.log .*: no input of the config tails it/);
    expect(r.stdout).toMatch(/2 positions written to .*checkpoints\.json/);
    expect(r.code).toBe(0);

    const shipped = await runAndCollect(root, config);
    expect([...shipped].sort()).toEqual([...EXPECTED].sort());

    // logship has run: its checkpoints are newer, and a second import does not replace them unasked.
    const again = logship(process.execPath, ['convert', '--import-positions', '--config', config, pos], root);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/checkpoints\.json exists: logship has run with this state directory/);
  });

  it('Fluent Bit tail DB (SQLite): imported under Node 24, logship run resumes where Fluent Bit stopped', async () => {
    const node = node24();
    const root = await h.tmp('import-db');
    const positions = oldShipperState(root);
    const db = path.join(root, 'flb_tail.db');
    // The table as Fluent Bit creates it (plugins/in_tail/tail_sql.h) and rows as it writes them.
    const script = `
      const { DatabaseSync } = require('node:sqlite');
      const db = new DatabaseSync(process.argv[1]);
      db.exec('CREATE TABLE IF NOT EXISTS in_tail_files (id INTEGER PRIMARY KEY, name TEXT NOT NULL, offset INTEGER, inode INTEGER, created INTEGER, rotated INTEGER DEFAULT 0);');
      const insert = db.prepare('INSERT INTO in_tail_files (name, offset, inode, created, rotated) VALUES (?, ?, ?, ?, 0)');
      for (const p of JSON.parse(process.argv[2])) insert.run(p.path, p.offset, p.inode, 1700000000);
      db.close();`;
    const made = spawnSync(node, ['-e', script, db, JSON.stringify(positions)], { encoding: 'utf8', timeout: 60_000 });
    expect(made.stderr.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, '')).toBe('');
    expect(readFileSync(db).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
    const config = await writeConfig(root, baseConfig(root, [{ name: 'logs', paths: [path.join(root, 'logs/*.log')] }]));

    const r = logship(node, ['convert', '--import-positions', '--config', config, db], root);
    expect(r.stdout).toContain(`imported ${positions[0]!.path}: resumes at byte ${positions[0]!.offset} of`);
    expect(r.stdout).toMatch(/2 positions written to .*checkpoints\.json/);
    expect(r.code).toBe(0);

    // A line Fluent Bit never saw, written after the import: shipped too.
    appendFileSync(positions[0]!.path, 'app 11\n');
    const shipped = await runAndCollect(root, config);
    expect([...shipped].sort()).toEqual([...EXPECTED, 'app 11'].sort());
  });

  it.runIf(!hasSqlite())(`a tail DB on Node ${process.versions.node} (no node:sqlite): exit 1 saying it needs Node >= 22.5`, async () => {
    const root = await h.tmp('import-db-old-node');
    const db = path.join(root, 'flb.db');
    writeFileSync(db, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(84)]));
    const config = await writeConfig(root, baseConfig(root, [{ paths: [path.join(root, 'logs/*.log')] }]));
    const r = logship(process.execPath, ['convert', '--import-positions', '--config', config, db], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/flb\.db is a Fluent Bit tail DB \(SQLite\): reading it needs node:sqlite, in Node >= 22\.5/);
  });

  it('a file that is neither a pos_file nor a DB, and a position past the end of its file, are refused with the reason', async () => {
    const root = await h.tmp('import-bad');
    const app = path.join(root, 'logs/app.log');
    writeLines(app, 'app', 2);
    const notPos = path.join(root, 'fluent.conf');
    writeFileSync(notPos, '<source>\n  @type tail\n</source>\n');
    const config = await writeConfig(root, baseConfig(root, [{ paths: [path.join(root, 'logs/*.log')] }]));
    const bad = logship(process.execPath, ['convert', '--import-positions', '--config', config, notPos], root);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot import .*fluent\.conf: .* is neither a Fluentd pos_file nor a Fluent Bit tail DB/);

    const pos = path.join(root, 'short.pos');
    writeFileSync(pos, `${app}\t${hex16(4096)}\t${hex16(statSync(app).ino)}\n`);
    const past = logship(process.execPath, ['convert', '--import-positions', '--config', config, pos], root);
    expect(past.stdout).toMatch(/skipped .*app\.log .*: .* holds 12 bytes, fewer than the position 4096 \(truncated since\)/);
    expect(past.stderr).toMatch(/no position imported; checkpoints unchanged/);
    expect(past.code).toBe(1);
  });
});

describe('logship convert --import-positions --force', () => {
  it("replaces only the imported files' entries in checkpoints logship already wrote", async () => {
    const root = await h.tmp('import-force');
    const app = path.join(root, 'logs/app.log');
    const ends = writeLines(app, 'app', 4);
    const ino = statSync(app).ino;
    const other = { key: '', path: path.join(root, 'logs/other.log'), dev: 1, ino: 99999999, fp_len: 0, fp_crc: 0, fp_final: false, generation: 0, offset: 7, mtime_ms: 0 };
    const stale = { ...other, path: app, dev: statSync(app).dev, ino, offset: 0 };
    const checkpoints = path.join(root, 'state/checkpoints.json');
    writeFileSync(checkpoints, JSON.stringify({ version: 1, inputs: { logs: [other, stale] } }));
    const pos = path.join(root, 'app.pos');
    writeFileSync(pos, `${app}\t${hex16(ends[1]!)}\t${hex16(ino)}\n`);
    const config = await writeConfig(root, baseConfig(root, [{ name: 'logs', paths: [path.join(root, 'logs/*.log')] }]));

    const r = logship(process.execPath, ['convert', '--import-positions', '--force', '--config', config, pos], root);
    expect(r.code).toBe(0);
    const written = JSON.parse(readFileSync(checkpoints, 'utf8')) as { inputs: { logs: { path: string; ino: number; offset: number }[] } };
    expect(written.inputs.logs.map((e) => [e.path, e.ino, e.offset])).toEqual([
      [other.path, other.ino, 7],
      [app, ino, ends[1]],
    ]);
  });
});

function hasSqlite(): boolean {
  return spawnSync(process.execPath, ['-e', "require('node:sqlite')"], { encoding: 'utf8' }).status === 0;
}
