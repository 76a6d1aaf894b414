import {
  BEGIN,
  BLANK,
  HOLD,
  IDLE,
  INDENTED,
  LINE,
  STATE_MASK,
  errorFields,
  shape,
  splitTypeMessage,
  textFrom,
  type ErrorFields,
  type MultilinePreset,
} from '../rules.js';

// V8 stack traces, as console.error(err) prints them and as Node prints an
// uncaught exception:
//
//   /app/server.js:14                                (where it was thrown)
//       throw new Error('boom');
//       ^
//                                                    (blank)
//   Error: boom
//       at Object.<anonymous> (/app/server.js:14:11)
//       at node:internal/main/run_main_module:28:49 {
//     code: 'E_BOOM'                                 (own properties)
//   }
//                                                    (blank)
//   Node.js v20.11.1

const LOCATION = 2; // after `/app/file.js:14`: the source line follows
const SOURCE = 3; // after the source line: the `^` line follows
const CARET = 4; // after the `^` line (and a blank): the error follows
const EXC = 5; // after the error line (`Require stack:` may follow)
const TRACE = 6; // in the `    at` frames
const GAP = 7; // blank after the frames: `Node.js vX` may follow (held until it does)
const DONE = 8;

const FRAME = /^[\t ]+(?:eval )?at /;
const HEADER = /^(?:Uncaught )?(?:[A-Z][\w$]*)?(?:Error|Exception)(?: \[[\w$]+\])?(?::|$)/;
const LOCATION_LINE = /^(?:file:\/\/|node:|\/|[A-Za-z]:\\)\S*:\d+$/;
const CARET_LINE = /^[\t ]*\^+[\t ]*$/;
const REQUIRE = /^(?:Require stack:$|- )/;
const USE_TRACE = /^\(Use `node --trace-/;
const VERSION = /^Node\.js v\d/;
/** Finds `TypeError: ...` inside a line (`(node:1) UnhandledPromiseRejectionWarning: TypeError: x`). */
const HEADER_AT = /(?:[A-Z][\w$]*)?(?:Error|Exception)(?: \[[\w$]+\])?(?::|$)/y;
const TYPE = /^[A-Z][\w$]*$/;

export const node: MultilinePreset = {
  name: 'node',
  description: 'V8 stack traces (`Error: msg` then `    at` frames, own properties, `Require stack:`) and Node\'s uncaught-exception report up to `Node.js vX`',
  step(line, s) {
    const k = shape(line);
    if (k === BLANK) {
      if (s === SOURCE || s === CARET) return CARET;
      if (s === EXC || s === TRACE || s === GAP) return HOLD | GAP;
      return BEGIN | IDLE;
    }
    if (s === LOCATION) return SOURCE;
    if (s === SOURCE && CARET_LINE.test(line)) return CARET;
    if (s === CARET) return EXC; // the error, whatever was thrown
    if (k === INDENTED) {
      // Frames also join a line that names the error its own way (`Trace: x`, a warning prefix).
      if (FRAME.test(line)) return s === IDLE || s === DONE ? BEGIN | TRACE : TRACE;
      return s === EXC || s === TRACE ? s : BEGIN | LINE;
    }
    if (HEADER.test(line)) return s === SOURCE ? EXC : BEGIN | EXC;
    if (LOCATION_LINE.test(line)) return BEGIN | LOCATION;
    if (s === EXC && (REQUIRE.test(line) || USE_TRACE.test(line))) return EXC;
    if ((s === EXC || s === TRACE) && line === '}') return TRACE;
    if (s === GAP && VERSION.test(line)) return DONE;
    return BEGIN | LINE;
  },
  extractError(text) {
    return extractNode(text.split('\n'));
  },
};

function extractNode(lines: string[]): ErrorFields | undefined {
  let end = lines.length;
  while (end > 0 && (VERSION.test(lines[end - 1]!) || lines[end - 1]!.trim() === '')) end--;
  const body = end === lines.length ? lines : lines.slice(0, end);
  let header = -1;
  let firstFrame = -1;
  let s = IDLE;
  for (let i = 0; i < body.length; i++) {
    const next = node.step(body[i]!, s) & STATE_MASK;
    if (header < 0 && next === EXC) header = i;
    if (firstFrame < 0 && FRAME.test(body[i]!)) firstFrame = i;
    s = next;
  }
  if (header >= 0) return parseHeader(body, header, body[header]!.startsWith('Uncaught ') ? 9 : 0);
  if (firstFrame > 0) {
    const l = body[firstFrame - 1]!;
    for (let at = 0; at < l.length; at++) {
      if (at > 0 && l.charCodeAt(at - 1) !== 32) continue;
      HEADER_AT.lastIndex = at;
      if (HEADER_AT.test(l)) return parseHeader(body, firstFrame - 1, at);
    }
  }
  return firstFrame >= 0 ? errorFields(undefined, undefined, textFrom(body, firstFrame)) : undefined;
}

function parseHeader(lines: string[], index: number, col: number): ErrorFields {
  const stack = textFrom(lines, index, col);
  let head = lines[index]!.slice(col);
  if (head.startsWith('[') && (head.endsWith('] {') || head.endsWith(']'))) {
    // `[UnhandledPromiseRejection: This error originated ...] {`
    head = head.slice(1, head.lastIndexOf(']'));
  }
  if (head.endsWith(' {')) head = head.slice(0, -2); // an error with own properties
  const { type, message } = splitTypeMessage(head, TYPE);
  if (type === undefined) {
    // `Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x'`: the class is the type.
    const code = head.indexOf(' [');
    const colon = head.indexOf(']: ');
    if (code > 0 && colon > code && TYPE.test(head.slice(0, code))) {
      return errorFields(head.slice(0, code), head.slice(colon + 3), stack);
    }
  }
  return errorFields(type, message, stack);
}
