// A Node 24 binary for tests of what needs a newer Node than the one running
// the suite (node:sqlite, Node >= 22.5): this Node when it is new enough,
// else the official build from the npm package node-<platform>-<arch>@24,
// installed once under node_modules/.cache/node24 (a test setup step, not a
// project dependency: its bin would shadow `node` in npm scripts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './logship-process.js';

const INSTALL_TIMEOUT_MS = 10 * 60_000;

export function node24(): string {
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath;
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = path.join(REPO_ROOT, 'node_modules/.cache/node24');
  const bin = path.join(dir, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  // Its own package.json: without one npm would install into the repository's node_modules.
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'logship-test-node24', private: true }));
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, `${pkg}@24`], { encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  if (r.status !== 0 || !existsSync(bin)) throw new Error(`cannot install ${pkg}@24 for the Node 24 tests: ${r.error?.message ?? r.stderr}`);
  return bin;
}
