import v8 from 'node:v8';

let fallbackEnabled = false;

/**
 * V8's switch to its linear-time engine for a match that backtracks too much
 * (same results). A user's regex (`regex` parser, multi-line `start`/`continue`)
 * then cannot hang the pipeline on a pathological line, where the engine
 * supports the pattern (not with lookarounds, backreferences or the i/u/v
 * flags on Node 20; the regex parser's input bound still applies there).
 * Process-wide, set once, harmless for patterns that do not backtrack excessively.
 */
export function enableBacktrackFallback(): void {
  if (fallbackEnabled) return;
  fallbackEnabled = true;
  try {
    v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  } catch {
    // An unknown flag in a future V8: the regex parser's length bound still applies.
  }
}
