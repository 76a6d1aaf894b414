// What `run` would hit at once is found before anything starts, named in one
// line (never a stack trace), and `validate` names it too: a status port in
// use, an output path that is a file, a state directory on a read-only
// filesystem (a tmpfs mounted ro: root passes permission checks, not EROFS),
// a parser module path that is a directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, useHarness, writeConfig } from '../support/logship-process.js';

const h = useHarness();
const mounts: string[] = [];
let blocker: Server | undefined;
afterEach(async () => {
  for (const dir of mounts.splice(0)) execFileSync('umount', [dir]);
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  blocker = undefined;
});

function cli(command: 'validate' | 'run', config: string) {
  const r = spawnSync(process.execPath, [CLI, command, '--config', config], { cwd: path.dirname(config), encoding: 'utf8', timeout: 120_000 });
  const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  return { status: r.status, lines, text: lines.join('\n') };
}

const noStack = (text: string) => expect(text, 'a stack trace').not.toMatch(/\n\s+at |^\s+at /m);

describe('the status server binds before anything starts', () => {
  it('a port in use: one line naming server.listen and the cause, exit 1, no file read and no buffer opened', async () => {
    const root = await h.tmp('port');
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    writeFileSync(path.join(root, 'logs', 'app.log'), 'one\n');
    const state = path.join(root, 'state', 'sub');
    const config = await writeConfig(root, {
      inputs: [{ paths: [path.join(root, 'logs', '*.log')] }],
      outputs: [{ type: 'file', path: path.join(root, 'out') }],
      buffer: { path: state },
      server: { listen: `127.0.0.1:${port}` },
    });
    const r = cli('run', config);
    expect(r.status, r.text).toBe(1);
    expect(r.lines, r.text).toHaveLength(1);
    expect(JSON.parse(r.lines[0]!).msg).toBe(`logship cannot run: server.listen 127.0.0.1:${port}: address already in use (EADDRINUSE)`);
    expect(existsSync(state), 'the state directory was created: the pipeline started').toBe(false);
  });
});

describe('filesystem problems found by validate and by run', () => {
  it('an output path that is a regular file and a parser module that is a directory', async () => {
    const root = await h.tmp('fs');
    const file = path.join(root, 'out-is-a-file');
    writeFileSync(file, 'x');
    const moduleDir = path.join(root, 'parser.js');
    mkdirSync(moduleDir);
    const config = await writeConfig(root, {
      inputs: [{ paths: [path.join(root, 'logs', '*.log')], parser: { module: moduleDir } }],
      outputs: [{ type: 'file', path: file }],
      buffer: { path: path.join(root, 'state') },
    });
    for (const command of ['validate', 'run'] as const) {
      const r = cli(command, config);
      expect(r.status, r.text).toBe(1);
      expect(r.lines, r.text).toEqual([
        `logship: outputs[0].path: ${file} is a file, expected a directory`,
        `logship: inputs[0].parser.module: ${moduleDir} is a directory, expected a JavaScript module file`,
      ]);
    }
  });

  it('a state directory on a read-only filesystem is named as EROFS, not ENOENT', async () => {
    const root = await h.tmp('erofs');
    const ro = path.join(root, 'ro');
    mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]);
    mounts.push(ro);
    const config = await writeConfig(root, {
      inputs: [{ paths: [path.join(root, 'logs', '*.log')] }],
      outputs: [{ type: 'file', path: path.join(root, 'out') }],
      buffer: { path: path.join(ro, 'state') },
    });
    for (const command of ['validate', 'run'] as const) {
      const r = cli(command, config);
      expect(r.status, r.text).toBe(1);
      expect(r.lines, r.text).toEqual([`logship: buffer.path: cannot create ${path.join(ro, 'state')} in ${ro}: read-only file system (EROFS)`]);
      noStack(r.text);
    }
  });
});
