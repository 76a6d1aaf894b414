import type { TailedFile } from './tailed-file.js';

/**
 * max_open_files: before another fd is opened, the least recently active
 * generation that may give its fd up (`parkable`: fully read, reachable again
 * by its path) is parked. Returns false when the cap is reached and none may:
 * the caller waits (a new file is opened at a later scan).
 */
export async function makeRoom(cap: number | undefined, files: readonly TailedFile[], parkable: (f: TailedFile) => boolean): Promise<boolean> {
  if (cap === undefined) return true;
  let open = 0;
  let victim: TailedFile | undefined;
  for (const f of files) {
    if (f.parked) continue;
    open++;
    if (parkable(f) && (!victim || f.lastDataAt < victim.lastDataAt)) victim = f;
  }
  if (open < cap) return true;
  if (!victim) return false;
  await victim.park();
  return true;
}
