// `npm start` compiles only when the TypeScript sources changed since the last
// successful build (a full `tsc` takes ~20 s on a small machine). The last
// build is `dist/.build-stamp`, written after tsc succeeded; a source file, or
// a directory (a file added, removed or renamed in it), newer than the stamp
// makes the build stale. An installed package has no sources: nothing to build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What tsconfig.json compiles, and what changes how it compiles. */
const SOURCES = ['cli.ts', 'src', 'parsers', 'outputs', 'tsconfig.json', 'package-lock.json'];
export const STAMP = join('dist', '.build-stamp');

/** The newest modification time (ms) under `path`, directories included. */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

/** Why `root` needs a build, or undefined when dist/ is up to date (or there is nothing to build from). */
export function staleReason(root) {
  const sources = SOURCES.map((s) => join(root, s)).filter((p) => existsSync(p));
  if (!existsSync(join(root, 'src'))) return undefined;
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return 'no build yet';
  const built = statSync(stamp).mtimeMs;
  const changed = sources.find((p) => newest(p) > built);
  return changed === undefined ? undefined : `${changed.slice(root.length + 1)} changed since the last build`;
}

/** Builds when stale, as `npm run build` does; returns the failed step's exit code (0 when nothing was to do). */
export function buildIfStale(root, log = (line) => process.stderr.write(`${line}\n`)) {
  const reason = staleReason(root);
  if (reason === undefined) return 0;
  log(`logship demo: building (${reason}) …`);
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) return tsc.status ?? 1;
  const bundle = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-cli.mjs')], { cwd: root, stdio: 'inherit' });
  if (bundle.status !== 0) return bundle.status ?? 1;
  writeFileSync(join(root, STAMP), `${new Date().toISOString()}\n`);
  return 0;
}

// `node build-if-stale.mjs --stamp` (the end of `npm run build`): records a build made without this script.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--stamp') writeFileSync(STAMP, `${new Date().toISOString()}\n`);
