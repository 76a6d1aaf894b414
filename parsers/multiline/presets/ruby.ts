import {
  BEGIN,
  BLANK,
  HOLD,
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
// a blank line, the code line and a `^^^^` line), as Ruby's Logger prints one
// (`logger.error(e)`): `E, [...] ERROR -- : message (Class)` followed by
// unindented `path:line:in 'method'` lines, and as Rails logs an exception
// raised by a request (blank or whitespace-only lines before the frames,
// gem frames with their version, a view's source lines):
//
//    ActionController::RoutingError (No route matches [GET] "/settings"):
//     (two spaces)
//   actionpack (7.1.3) lib/action_dispatch/middleware/debug_exceptions.rb:28:in `call'
//   app/controllers/books_controller.rb:69:in `show'
//
// Lines that may belong to the trace or not (the snippet, blank lines between
// Rails frames) are held until the line after them decides.

const HEAD = 2; // after `file:line:in 'm': message (Class)`
const FRAMES = 3; // in the frames
const SNIPPET = 4; // blank line after the head: an error_highlight snippet may follow (held)
const CARET = 5; // after the snippet's code line: its `^^^^` line may follow (held)
const RAILS = 6; // after Rails' `Class (message):` head and its source lines
const GAP = 7; // blank or whitespace-only line(s) in a Rails trace (held)

/** `path:N:in 'm'`, `\tfrom path:N:in`, Rails' `gem (1.2.3) lib/x.rb:N:in`. */
const FRAME = /^[\t ]*(?:from |[\w.-]+ \([\w.]+\) )?\S+?:\d+:in /;
/** A Rails frame without a method: a view template's line (`app/views/books/show.html.erb:12`). */
const BARE_FRAME = /^[\t ]*[\w./-]+:\d+$/;
const CARET_LINE = /^[\t ]*\^+[\t ]*$/;
const CLASS = /^[A-Z][\w:]*$/;
/** Rails: `ActionController::RoutingError (No route matches [GET] "/x"):`, with or without leading spaces. */
const RAILS_HEAD = /^[\t ]*(?:[A-Z]\w*::)+[A-Z]\w* \(.*\):$|^[\t ]*[A-Z]\w*(?:Error|Exception) \(.*\):$/;
const LOGGER_PREFIX = /^[DIWEFA], \[[^\]]*\] +[A-Z]+ -- [^:]*: /;

/** `Class` of a line ending in ` (Class)`, or undefined. */
function classSuffix(line: string): string | undefined {
  if (!line.endsWith(')')) return undefined;
  const open = line.lastIndexOf(' (');
  if (open < 0) return undefined;
  const name = line.slice(open + 2, -1);
  return CLASS.test(name) ? name : undefined;
}

function inRails(s: number): boolean {
  return s === RAILS || s === GAP || s === FRAMES;
}

export const ruby: MultilinePreset = {
  name: 'ruby',
  description: "Ruby backtraces: `path:N:in 'm': msg (Class)` then `\\tfrom` lines, error_highlight snippets, Logger's unindented frames, Rails' `Class (msg):` traces",
  step(line, s) {
    const k = shape(line);
    if (k === BLANK) {
      if (s === HEAD) return HOLD | SNIPPET;
      if (inRails(s)) return HOLD | GAP;
      return BEGIN | IDLE;
    }
    if (RAILS_HEAD.test(line)) return BEGIN | RAILS;
    if (FRAME.test(line)) {
      if (k === TEXT && !line.startsWith('from ') && classSuffix(line) !== undefined) return BEGIN | HEAD;
      return s === IDLE ? BEGIN | FRAMES : FRAMES;
    }
    if (s === SNIPPET) return HOLD | CARET;
    if (s === CARET) return CARET_LINE.test(line) ? FRAMES : BEGIN | (ruby.step(line, IDLE) & ~BEGIN);
    if (inRails(s) && BARE_FRAME.test(line)) return FRAMES;
    if (k === INDENTED) {
      if (s === RAILS || s === GAP) return RAILS; // the source lines of a view: `    12: <%= book.title %>`
      return s === HEAD || s === FRAMES ? s : BEGIN | LINE;
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
    if (RAILS_HEAD.test(l)) {
      // `Class (message):`
      const col = l.length - l.trimStart().length;
      const open = l.indexOf(' (', col);
      return errorFields(l.slice(col, open), l.slice(open + 2, -2), textFrom(lines, i, col));
    }
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
