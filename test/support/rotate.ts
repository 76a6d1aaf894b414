// Rotations done by the test itself, synchronously, the way logrotate does
// them with numbered copies: `F.(keep-1)` → `F.keep` … `F.1` → `F.2`, then
// F → F.1. Used while logship is stopped (SIGSTOP) so that several rotations
// land between two of its polls, deterministically.
import { copyFileSync, existsSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import type { LogshipProcess } from './logship-process.js';

/** Moves the numbered copies of `file` one place up, dropping what falls past `keep`. */
export function shiftCopies(file: string, keep: number): void {
  for (let k = keep - 1; k >= 1; k--) {
    if (existsSync(`${file}.${k}`)) renameSync(`${file}.${k}`, `${file}.${k + 1}`);
  }
}

/** copytruncate: the copy becomes `F.1`, F is emptied in place (same inode). */
export function copyTruncate(file: string, keep = 10): void {
  shiftCopies(file, keep);
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
}

/** rename/create: F becomes `F.1`, a new empty F is created. */
export function renameCreate(file: string, keep = 10): void {
  shiftCopies(file, keep);
  renameSync(file, `${file}.1`);
  writeFileSync(file, '');
}

/** Runs `fn` with logship frozen (SIGSTOP … SIGCONT): whatever `fn` does lands between two of its polls. */
export async function whileStopped<T>(proc: LogshipProcess, fn: () => T | Promise<T>): Promise<T> {
  proc.child.kill('SIGSTOP');
  try {
    return await fn();
  } finally {
    proc.child.kill('SIGCONT');
  }
}
