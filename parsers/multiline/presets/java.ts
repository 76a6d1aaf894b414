import {
  BEGIN,
  BLANK,
  IDLE,
  INDENTED,
  LINE,
  errorFields,
  isProblemLine,
  shape,
  splitTypeMessage,
  textFrom,
  type ErrorFields,
  type MultilinePreset,
} from '../rules.js';

// JVM stack traces (Java, Kotlin, Scala; Logback/Log4j layouts):
//
//   2024-03-05 14:22:05.456 ERROR [exec-1] c.e.OrderController - Failed to place order
//   java.lang.IllegalStateException: Inventory service returned 503
//   	at com.example.InventoryClient.reserve(InventoryClient.java:88)
//   	... 4 more
//   Caused by: java.net.SocketTimeoutException: Read timed out
//   	Suppressed: java.io.IOException: close failed
//   		at ...
//   	... 12 common frames omitted

const EXC = 2; // after an exception header, `Caused by:` or `Suppressed:`
const TRACE = 3; // in the frames

const FRAME = /^[\t ]+(?:at |\.\.\. \d+ (?:more|common frames omitted)$)/;
const CAUSE = /^[\t ]*(?:Caused by|Suppressed|Wrapped by): /;
/** `com.foo.BarException: msg`, `java.lang.OutOfMemoryError`: a qualified class name ending the JVM way. */
const HEADER = /[a-zA-Z_$][\w$]*\.[\w$.]*(?:Exception|Error|Throwable)(?::|$)/y;
const UNCAUGHT = /^Exception in thread "/;
const TYPE = /^[a-zA-Z_$][\w$.]*$/;

function isHeaderAt(line: string, at: number): boolean {
  HEADER.lastIndex = at;
  return HEADER.test(line);
}

export const java: MultilinePreset = {
  name: 'java',
  description: 'JVM stack traces: `\\tat` frames, `Caused by:`, `Suppressed:`, `... N more`; the exception line joins the warn/error log line before it',
  step(line, s, first) {
    const k = shape(line);
    if (k === BLANK) return BEGIN | IDLE;
    if (k === INDENTED) {
      if (FRAME.test(line)) return TRACE;
      if (CAUSE.test(line)) return EXC;
      return s >= EXC ? s : LINE;
    }
    if (CAUSE.test(line)) return EXC;
    if (isHeaderAt(line, 0)) return s === LINE && isProblemLine(first) ? EXC : BEGIN | EXC;
    if (UNCAUGHT.test(line)) return BEGIN | EXC;
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
  // The header is the nearest line above the frames that starts with an exception class
  // (`Exception in thread "main" X: msg` too), else a class named inside the line right above them.
  const last = firstFrame < 0 ? lines.length - 1 : firstFrame - 1;
  for (let i = last; i >= 0; i--) {
    const l = lines[i]!;
    const indent = l.length - l.trimStart().length;
    if (isHeaderAt(l, indent)) return header(lines, i, indent);
    if (UNCAUGHT.test(l)) {
      const close = l.indexOf('" ', 20);
      if (close > 0) return header(lines, i, close + 2);
    }
  }
  if (last >= 0 && firstFrame >= 0) {
    const l = lines[last]!;
    for (let at = 0; at < l.length; at++) {
      if ((at === 0 || l.charCodeAt(at - 1) === 32 || l.charCodeAt(at - 1) === 9) && isHeaderAt(l, at)) return header(lines, last, at);
    }
  }
  return firstFrame >= 0 ? errorFields(undefined, undefined, textFrom(lines, firstFrame)) : undefined;
}

function header(lines: string[], index: number, col: number): ErrorFields {
  const { type, message } = splitTypeMessage(lines[index]!.slice(col), TYPE);
  return errorFields(type, message, textFrom(lines, index, col));
}
