import {
  BEGIN,
  BLANK,
  IDLE,
  INDENTED,
  LINE,
  TEXT,
  errorFields,
  shape,
  textFrom,
  type ErrorFields,
  type MultilinePreset,
} from '../rules.js';

// Ruby backtraces, as the interpreter prints an uncaught exception:
//
//   /app/lib/worker.rb:12:in `process': undefined method `name' for nil (NoMethodError)
//   	from /app/lib/worker.rb:5:in `block in run'
//   	from bin/worker:3:in `<main>'
//
// (Ruby 3.4 quotes 'Worker#process'; 3.1+ may add an error_highlight snippet:
// a blank line, the code line and a `^^^^` line), and as Ruby's Logger prints
// one (`logger.error(e)`): `E, [...] ERROR -- : message (Class)` followed by
// unindented `path:line:in 'method'` lines.

const HEAD = 2; // after `file:line:in 'm': message (Class)`
const FRAMES = 3; // in the frames
const SNIPPET = 4; // blank line after the head: an error_highlight snippet may follow
const CARET = 5; // after the snippet's code line: its `^^^^` line may follow

const FRAME = /^[\t ]*(?:from )?\S+?:\d+:in /;
const CARET_LINE = /^[\t ]*\^+[\t ]*$/;
const CLASS = /^[A-Z][\w:]*$/;
const LOGGER_PREFIX = /^[DIWEFA], \[[^\]]*\] +[A-Z]+ -- [^:]*: /;

/** `Class` of a line ending in ` (Class)`, or undefined. */
function classSuffix(line: string): string | undefined {
  if (!line.endsWith(')')) return undefined;
  const open = line.lastIndexOf(' (');
  if (open < 0) return undefined;
  const name = line.slice(open + 2, -1);
  return CLASS.test(name) ? name : undefined;
}

export const ruby: MultilinePreset = {
  name: 'ruby',
  description: "Ruby backtraces: `path:N:in 'm': msg (Class)` then `\\tfrom` lines, error_highlight snippets, and Logger's unindented frames",
  step(line, s) {
    const k = shape(line);
    if (k === BLANK) return s === HEAD ? SNIPPET : BEGIN | IDLE;
    if (FRAME.test(line)) {
      if (k === TEXT && !line.startsWith('from ') && classSuffix(line) !== undefined) return BEGIN | HEAD;
      return FRAMES;
    }
    if (s === SNIPPET) return CARET;
    if (s === CARET && CARET_LINE.test(line)) return FRAMES;
    if (k === INDENTED) {
      if (s === CARET) return FRAMES;
      return s >= HEAD ? s : LINE;
    }
    return BEGIN | LINE;
  },
  extractError(text) {
    return extractRuby(text.split('\n'));
  },
};

function extractRuby(lines: string[]): ErrorFields | undefined {
  let firstFrame = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!FRAME.test(l)) continue;
    const type = shape(l) === TEXT && !l.startsWith('from ') ? classSuffix(l) : undefined;
    if (type !== undefined) {
      // `path:N:in 'method': message (Class)`
      const inAt = l.indexOf(':in ');
      const quoteEnd = l.indexOf("': ", inAt);
      const message = quoteEnd < 0 ? undefined : l.slice(quoteEnd + 3, l.length - type.length - 3);
      return errorFields(type, message, textFrom(lines, i));
    }
    firstFrame = i;
    break;
  }
  if (firstFrame < 0) return undefined;
  if (firstFrame > 0) {
    // Logger: `E, [2024-...] ERROR -- : message (Class)` right above unindented frames.
    const l = lines[firstFrame - 1]!;
    const type = classSuffix(l);
    if (type !== undefined) {
      const col = LOGGER_PREFIX.exec(l)?.[0].length ?? 0;
      return errorFields(type, l.slice(col, l.length - type.length - 3), textFrom(lines, firstFrame - 1, col));
    }
  }
  return errorFields(undefined, undefined, textFrom(lines, firstFrame));
}
