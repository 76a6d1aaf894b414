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

// PHP fatal errors with their traces, in the three shapes logs carry them:
//
//   [05-Mar-2024 14:22:01 UTC] PHP Fatal error:  Uncaught RuntimeException: Database unavailable in /var/www/src/Db.php:42
//   Stack trace:
//   #0 /var/www/src/Repo.php(17): App\Db->connect()
//   #1 {main}
//     thrown in /var/www/src/Db.php on line 42
//
//   PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /app/lib.php on line 55
//   PHP Stack trace:
//   PHP   1. {main}() /app/index.php:0
//
//   [2024-03-05 14:22:01] production.ERROR: Division by zero {"exception":"[object] (DivisionByZeroError(code: 0): Division by zero at /var/www/app/X.php:20)
//   [stacktrace]
//   #0 ...
//   "}
//
// Chained exceptions print a blank line then `Next Class: message in file:line`
// (the blank line is held until `Next` shows it belongs). PHP 5 wrote
// `exception 'Class' with message 'msg' in file:line` instead of `Class: msg`.

const TRACE = 2; // in `Stack trace:` and its frames
const GAP = 3; // blank line(s) after frames: `Next ...` may follow (held until it does)
const NEXT = 4; // after `Next Class: message`

const STACK = /^(?:\[[^\]]*\] )?(?:PHP )?Stack trace:$/;
const XFRAME = /^(?:\[[^\]]*\] )?PHP +\d+\. /;
const FRAME = /^#\d+ /;
const LARAVEL_STACK = /^\[stacktrace\]$/;
const NEXT_LINE = /^Next [\\A-Za-z_]/;
const TYPE = /^[\\A-Za-z_][\w\\]*$/;
const LABEL = /^[A-Z][a-z ]*[a-z]$/;
const FILE_LINE = /^\S+:\d+$/;
const ON_LINE = /^\S+ on line \d+$/;
const LARAVEL_EXCEPTION = '{"exception":"[object] (';

export const php: MultilinePreset = {
  name: 'php',
  description: 'PHP fatal errors: `Uncaught X: msg`, `Stack trace:` with `#N` frames, `thrown in`, `Next` chains, `PHP Stack trace:` / `PHP   N.` lines, Laravel `[stacktrace]`',
  step(line, s) {
    const k = shape(line);
    if (k === BLANK) return s === TRACE || s === GAP ? HOLD | GAP : BEGIN | IDLE;
    if (k === INDENTED) return s === TRACE ? TRACE : BEGIN | LINE; // `  thrown in …`
    if (STACK.test(line) || FRAME.test(line) || XFRAME.test(line) || LARAVEL_STACK.test(line)) {
      // The trace continues the line before it: the error it belongs to.
      return s === IDLE || s === GAP ? BEGIN | TRACE : TRACE;
    }
    if (s === GAP && NEXT_LINE.test(line)) return NEXT;
    if (s === TRACE && line.startsWith('"}')) return TRACE; // Laravel closes its JSON context
    return BEGIN | LINE;
  },
  extractError(text) {
    return extractPhp(text.split('\n'));
  },
};

function extractPhp(lines: string[]): ErrorFields | undefined {
  let stackAt = -1;
  let next = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (stackAt < 0 && (STACK.test(l) || LARAVEL_STACK.test(l) || XFRAME.test(l) || FRAME.test(l))) stackAt = i;
    if (NEXT_LINE.test(l)) next = i; // the last `Next` is the exception that was thrown
  }
  if (stackAt < 0) return undefined;
  const uncaught = findUncaught(lines, stackAt);
  if (next >= 0) {
    const [from, col] = uncaught ?? [stackAt, 0];
    return throwable(lines, next, 5, textFrom(lines, from, col));
  }
  if (uncaught !== undefined) return throwable(lines, uncaught[0], uncaught[1], textFrom(lines, uncaught[0], uncaught[1]));
  if (stackAt > 0 && lines[0]!.startsWith(PHP5_START)) return throwable(lines, 0, 0, textFrom(lines, 0));
  for (let i = 0; i < stackAt; i++) {
    const l = lines[i]!;
    const at = l.indexOf(LARAVEL_EXCEPTION);
    if (at >= 0) return laravel(lines, i, at + LARAVEL_EXCEPTION.length, stackAt);
  }
  // `PHP Fatal error:  message in /path on line N` then `PHP Stack trace:`.
  const stack = textFrom(lines, stackAt);
  for (let i = 0; i < stackAt; i++) {
    const l = lines[i]!;
    const php = l.indexOf('PHP ');
    const colon = php < 0 ? -1 : l.indexOf(':', php);
    if (colon < 0) continue;
    const label = l.slice(php + 4, colon);
    if (LABEL.test(label)) return errorFields(label, withoutLocation(l.slice(colon + 1).trim()), stack);
  }
  return errorFields(undefined, undefined, stack);
}

/** [line index, column of the class] of `... Uncaught Class: message in file:line` above the trace. */
function findUncaught(lines: string[], stackAt: number): [number, number] | undefined {
  for (let i = 0; i < stackAt; i++) {
    const at = lines[i]!.indexOf('Uncaught ');
    if (at >= 0) return [i, at + 9];
  }
  return undefined;
}

function throwable(lines: string[], index: number, col: number, stack: string): ErrorFields {
  const s = lines[index]!.slice(col);
  const old = php5(s);
  if (old !== undefined) return old.type === undefined ? errorFields(undefined, old.message, stack) : errorFields(old.type, old.message, stack);
  const i = s.indexOf(': ');
  const type = i < 0 ? undefined : s.slice(0, i);
  if (type === undefined || !TYPE.test(type)) return errorFields(undefined, withoutLocation(s), stack);
  return errorFields(type, withoutLocation(s.slice(i + 2)), stack);
}

/** Laravel: `(DivisionByZeroError(code: 0): Division by zero at /var/www/app/X.php:20)`. */
function laravel(lines: string[], index: number, col: number, stackAt: number): ErrorFields {
  const s = lines[index]!;
  const open = s.indexOf('(code: ', col);
  const close = open < 0 ? -1 : s.indexOf('): ', open);
  let stackEnd = lines.length;
  if (stackEnd > stackAt + 1 && lines[stackEnd - 1]!.startsWith('"}')) stackEnd--;
  const stack = textFrom(lines.slice(0, stackEnd), stackAt);
  if (close < 0) return errorFields(undefined, undefined, stack);
  let message = s.slice(close + 3);
  const atFile = message.lastIndexOf(' at ');
  if (atFile >= 0 && message.endsWith(')') && FILE_LINE.test(message.slice(atFile + 4, -1))) message = message.slice(0, atFile);
  const type = s.slice(col, open);
  return errorFields(TYPE.test(type) ? type : undefined, message, stack);
}

const PHP5_START = "exception '";
const PHP5_MESSAGE = "' with message '";

/** PHP 5's `exception 'Class' with message 'msg' in /path:12`, or undefined for another shape. */
function php5(s: string): { type: string | undefined; message: string } | undefined {
  if (!s.startsWith(PHP5_START)) return undefined;
  const close = s.indexOf(PHP5_MESSAGE);
  const end = s.lastIndexOf("' in ");
  if (close < 0 || end < close + PHP5_MESSAGE.length) return undefined;
  const type = s.slice(PHP5_START.length, close);
  return { type: TYPE.test(type) ? type : undefined, message: s.slice(close + PHP5_MESSAGE.length, end) };
}

/** Drops PHP's ` in /path:12` / ` in /path on line 12` (and PHP 8's `... and defined`) from a message. */
function withoutLocation(m: string): string {
  const i = m.lastIndexOf(' in ');
  if (i >= 0) {
    const loc = m.slice(i + 4);
    if (FILE_LINE.test(loc) || ON_LINE.test(loc)) {
      m = m.slice(0, i);
      if (m.endsWith(' and defined')) m = m.slice(0, -12);
    }
  }
  return m;
}
