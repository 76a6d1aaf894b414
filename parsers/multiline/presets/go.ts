import {
  BEGIN,
  BLANK,
  HOLD,
  IDLE,
  INDENTED,
  LINE,
  errorFields,
  shape,
  textFrom,
  type ErrorFields,
  type MultilinePreset,
} from '../rules.js';

// Go panics, fatal errors and goroutine dumps:
//
//   panic: runtime error: index out of range [5] with length 3
//                                                    (blank)
//   goroutine 1 [running]:
//   main.main()
//   	/app/main.go:8 +0x1d
//                                                    (blank)
//   goroutine 18 [chan receive]:
//   ...
//   exit status 2                                    (`go run` only)
//
// Function lines are unindented; they are told from log lines by their shape
// (`pkg.Func(args)` with no space before the parenthesis, `created by ...`).
// A line that reports a panic anywhere (`2024/03/05 http: panic serving …`,
// `… panic: boom`) starts a crash, as in Google's exception detector; blank
// lines are held until the next goroutine shows they belong to the dump.

const CRASH = 2; // after `panic:` / `fatal error:` / `runtime:` and their details
const ROUTINE = 3; // inside a goroutine block
const GAP = 4; // blank line(s) in a dump, held until a goroutine follows
const DONE = 5; // after `exit status N`

const PANIC = /^panic: /;
/** A panic reported inside a log line: net/http's recovered `http: panic serving`, a logger's `panic: `. */
const PANIC_IN_LINE = /\bpanic(?:: | serving )/;
const LOGGED_PANIC = / panic: /;
const FATAL = /^(?:fatal error|runtime): /;
const GOROUTINE = /^goroutine \d+ .*\]:$/;
const SIGNAL = /^\[signal /;
const RUNTIME_STACK = /^runtime stack:$/;
const FUNC = /^[^\s(]+\(.*\)$/;
const CREATED = /^created by /;
const ELIDED = /^\.\.\.additional frames elided\.\.\.$/;
const EXIT = /^exit status \d+$/;
const RECOVERED = / \[recovered\]$/;

export const go: MultilinePreset = {
  name: 'go',
  description: 'Go panics and fatal errors with their goroutine dumps (blank lines between goroutines)',
  step(line, s) {
    const k = shape(line);
    if (k === BLANK) return s === CRASH || s === ROUTINE || s === GAP ? HOLD | GAP : BEGIN | IDLE;
    if (k === INDENTED) {
      if (s === CRASH || s === ROUTINE) return s;
      return BEGIN | LINE;
    }
    if (GOROUTINE.test(line)) return s === CRASH || s === GAP ? ROUTINE : BEGIN | ROUTINE;
    if (FATAL.test(line)) return s === CRASH ? CRASH : BEGIN | CRASH;
    if (s === CRASH && SIGNAL.test(line)) return CRASH;
    if ((s === CRASH || s === GAP) && RUNTIME_STACK.test(line)) return ROUTINE;
    if (s === ROUTINE && (FUNC.test(line) || CREATED.test(line) || ELIDED.test(line))) return ROUTINE;
    if ((s === ROUTINE || s === GAP) && EXIT.test(line)) return DONE;
    if (PANIC_IN_LINE.test(line)) return BEGIN | CRASH;
    return BEGIN | LINE;
  },
  extractError(text) {
    return extractGo(text.split('\n'));
  },
};

function extractGo(lines: string[]): ErrorFields | undefined {
  let end = lines.length;
  while (end > 0 && (EXIT.test(lines[end - 1]!) || lines[end - 1]!.trim() === '')) end--;
  const body = end === lines.length ? lines : lines.slice(0, end);
  if (body.length === 0) return undefined;
  // `2024/03/05 12:00:01 panic: boom` (a logger's line): the stack starts at `panic:`.
  const inLine = body[0]!.search(LOGGED_PANIC);
  if (inLine > 0) return errorFields('panic', body[0]!.slice(inLine + 7).replace(RECOVERED, ''), textFrom(body, 0, inLine));
  let start = -1;
  for (let i = 0; i < body.length; i++) {
    const l = body[i]!;
    if (PANIC.test(l) || FATAL.test(l) || GOROUTINE.test(l)) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  const stack = textFrom(body, start);
  // The panic that crashed the process names the error: `panic: msg [recovered]` / `fatal error: msg`.
  for (let i = start; i < body.length; i++) {
    const l = body[i]!;
    if (PANIC.test(l)) return errorFields('panic', l.slice(7).replace(RECOVERED, ''), stack);
    if (l.startsWith('fatal error: ')) return errorFields('fatal error', l.slice(13), stack);
    if (GOROUTINE.test(l)) break;
  }
  return errorFields(undefined, undefined, stack);
}
