#!/usr/bin/env node
// `npm start`: builds dist/ if the sources changed since the last build
// (build-if-stale.mjs), then runs the demo writer (three stand-in applications
// writing ./demo/logs/{shop,notifier,access}.log) and `logship run --config
// deploy/examples/local.yaml` side by side, from the repository root. Ctrl-C
// (or SIGTERM) stops both: logship drains and exits 0, and so does this
// script, with logship's code.
//
// Both children run in their own process group (detached). A terminal's
// Ctrl-C reaches every process of the foreground group, and npm forwards it
// to its script as well; children in our group would therefore get two
// SIGINTs, and logship treats a second signal as "stop now, skip the drain".
// Instead this script is the only one that signals them: once per stop
// request, with repeats that arrive within a second (the terminal's and
// npm's copy of the same Ctrl-C) counted as one.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './build-if-stale.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DUPLICATE_WINDOW_MS = 1000;

const built = buildIfStale(root);
if (built !== 0) process.exit(built);

// Created up front so logship's first scan already finds the directory.
mkdirSync(join(root, 'demo', 'logs'), { recursive: true });

const children = new Map(); // name -> ChildProcess, while running
function start(name, args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  children.set(name, child);
  return child;
}

const writer = start('demo-writer', [join('deploy', 'examples', 'demo-writer.mjs'), join('demo', 'logs')]);
const logship = start('logship', [join('dist', 'cli.js'), 'run', '--config', join('deploy', 'examples', 'local.yaml')]);

process.stderr.write('logship demo: three applications write to ./demo/logs (a Java service with stack traces, pino JSON, an nginx access log); parsed events land in ./out — Ctrl-C to stop\n');

let stopping = false;
let lastSignalAt = 0;
let writerFailed = false;

function signal(name, sig) {
  const child = children.get(name);
  if (!child) return;
  try {
    child.kill(sig);
  } catch {
    // exited in the meantime
  }
}

function onSignal(sig) {
  const now = Date.now();
  const duplicate = now - lastSignalAt < DUPLICATE_WINDOW_MS;
  lastSignalAt = now;
  if (duplicate) return;
  // SIGHUP (terminal closed) stops gracefully, like SIGTERM.
  const forwarded = sig === 'SIGHUP' ? 'SIGTERM' : sig;
  if (stopping) {
    // A deliberate second request: logship stops at once (exit 1).
    signal('logship', forwarded);
    return;
  }
  stopping = true;
  signal('demo-writer', forwarded);
  signal('logship', forwarded);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal);

writer.on('exit', (code, sig) => {
  children.delete('demo-writer');
  if (stopping) return;
  // The writer never stops on its own: without it the demo is pointless.
  writerFailed = true;
  process.stderr.write(`logship demo: the demo writer exited (${sig ?? `code ${code}`}); stopping logship\n`);
  stopping = true;
  signal('logship', 'SIGTERM');
});

logship.on('exit', (code, sig) => {
  children.delete('logship');
  if (!stopping) {
    // logship stopped by itself (a bad config, an error): stop the writer too.
    stopping = true;
    signal('demo-writer', 'SIGTERM');
  }
  const status = code ?? 128 + (constants.signals[sig] ?? 0);
  process.exitCode = status === 0 && writerFailed ? 1 : status;
});

for (const [name, child] of children) {
  child.on('error', (err) => {
    process.stderr.write(`logship demo: could not start ${name}: ${err.message}\n`);
    children.delete(name);
    for (const other of children.keys()) signal(other, 'SIGTERM');
    process.exitCode = 1;
  });
}

// If this script dies of an uncaught error, take the detached children along.
process.on('exit', () => {
  for (const name of children.keys()) signal(name, 'SIGKILL');
});
