import {
  BEGIN,
  BLANK,
  HOLD,
  INDENTED,
  IDLE,
  LINE,
  errorFields,
  shape,
  splitTypeMessage,
  textFrom,
  type ErrorFields,
  type MultilinePreset,
} from '../rules.js';

// JVM stack traces (Java, Kotlin, Scala; Logback/Log4j layouts):
//
//   java.lang.IllegalStateException: Inventory service returned 503
//                                                    (blank: rare, kept when frames follow)
//   	at com.example.InventoryClient.reserve(InventoryClient.java:88)
//   	... 4 more
//   Caused by: java.net.SocketTimeoutException: Read timed out
//   	Suppressed: java.io.IOException: close failed
//   		at ...
//   	... 12 common frames omitted
//
// RMI and older Spring print a cause as `; nested exception is:` and the
// cause's own header on the next line. The exception header always begins an
// event: the log line before it (`ERROR Failed to place order`) stays an event
// of its own, as in Google's exception detector and Fluent Bit's java parser.

const EXC = 2; // after an exception header, `Caused by:` or `Suppressed:`
const TRACE = 3; // in the frames
const NESTED = 4; // after `nested exception is:`: the cause's header follows
const GAP = 5; // blank line(s) after a header, held until a frame shows they belong

const FRAME = /^[\t ]+(?:(?:eval )?at |\.\.\. \d+ (?:more|common frames omitted)$)/;
const CAUSE = /^[\t ]*(?:Caused by|Suppressed|Wrapped by): /;
/** `com.foo.BarException: msg`, `java.lang.OutOfMemoryError`: a qualified class name ending the JVM way. */
const HEADER = /[a-zA-Z_$][\w$]*\.[\w$.]*(?:Exception|Error|Throwable)(?::|$)/y;
/** `RuntimeException: msg` without a package, inside a line (a logger's own rendering). */
const SIMPLE_HEADER = /(?:[A-Z][\w$]*)?(?:Exception|Error|Throwable):/y;
const UNCAUGHT = /^Exception in thread "/;
/** An exception named inside a line (`... MakeLog: RuntimeException: msg`), as Google's detector matches it. */
const NAMED = /(?:Exception|Error|Throwable)(?::|$)/;
const NESTED_IS = /nested exception is:[\t ]*$/;
const TYPE = /^[a-zA-Z_$][\w$.]*$/;

function isHeaderAt(line: string, at: number): boolean {
  HEADER.lastIndex = at;
  return HEADER.test(line);
}

function inTrace(s: number): boolean {
  return s >= EXC;
}

export const java: MultilinePreset = {
  name: 'java',
  description: 'JVM stack traces: `\\tat` frames, `Caused by:`, `Suppressed:`, `... N more`, `nested exception is:`',
  step(line, s) {
    const k = shape(line);
    if (k === BLANK) return s === EXC || s === GAP ? HOLD | GAP : BEGIN | IDLE;
    if (s === NESTED) return NESTED_IS.test(line) ? NESTED : EXC; // the cause's header, indented or not
    // Frames and causes also join a line that names no exception the way a header does (Elasticsearch's `X[reason]`).
    if (FRAME.test(line)) return s === IDLE ? BEGIN | TRACE : TRACE;
    if (CAUSE.test(line)) return s === IDLE ? BEGIN | EXC : EXC;
    if (inTrace(s) && NESTED_IS.test(line)) return NESTED;
    // Other indented lines continue a header (a message on several lines), not the frames: after them they are log lines.
    if (k === INDENTED) return s === EXC || s === GAP ? EXC : BEGIN | LINE;
    if (UNCAUGHT.test(line) || NAMED.test(line)) return BEGIN | (NESTED_IS.test(line) ? NESTED : EXC);
    return BEGIN | LINE;
  },
  extractError(text) {
    return extractJava(text.split('\n'));
  },
};

function extractJava(lines: string[]): ErrorFields | undefined {
  let firstFrame = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (FRAME.test(l) || CAUSE.test(l)) {
      firstFrame = i;
      break;
    }
  }
  // The outermost exception is the first line above the frames that starts with an exception class
  // (`Exception in thread "main" X: msg` too), else a class named inside the last line above them.
  const last = firstFrame < 0 ? lines.length - 1 : firstFrame - 1;
  for (let i = 0; i <= last; i++) {
    const l = lines[i]!;
    const indent = l.length - l.trimStart().length;
    if (isHeaderAt(l, indent)) return header(lines, i, indent);
    if (UNCAUGHT.test(l)) {
      const close = l.indexOf('" ', 20);
      if (close > 0) return header(lines, i, close + 2);
    }
  }
  let above = firstFrame < 0 ? 0 : last;
  while (above > 0 && lines[above]!.trim() === '') above--;
  if (above >= 0) {
    const l = lines[above]!;
    for (const re of [HEADER, SIMPLE_HEADER]) {
      for (let at = 0; at < l.length; at++) {
        if (at > 0 && l.charCodeAt(at - 1) !== 32 && l.charCodeAt(at - 1) !== 9) continue;
        re.lastIndex = at;
        if (re.test(l)) return header(lines, above, at);
      }
    }
  }
  return firstFrame >= 0 ? errorFields(undefined, undefined, textFrom(lines, firstFrame)) : undefined;
}

function header(lines: string[], index: number, col: number): ErrorFields {
  const { type, message } = splitTypeMessage(lines[index]!.slice(col), TYPE);
  return errorFields(type, message, textFrom(lines, index, col));
}
