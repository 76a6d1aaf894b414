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

// CPython tracebacks, chained ones and exception groups:
//
//   Traceback (most recent call last):
//     File "/app/orders/service.py", line 57, in process
//       sku = item["sku"]
//   KeyError: 'sku'
//                                                    (blank)
//   During handling of the above exception, another exception occurred:
//                                                    (blank)
//   Traceback (most recent call last):
//   ...
//   RuntimeError: failed
//
// The traceback ends with the first unindented line after its frames (the
// `ExcType: message` line); only a chain sentence may continue it after that
// (the blank lines before it are held until it comes). `Traceback` always
// begins an event: the `logger.exception` line before it stays its own event.

const BODY = 2; // inside `Traceback (most recent call last):` and its frames
const EXC = 3; // after the `ExcType: message` line
const GAP = 4; // blank line(s) after the exception line, held until a chain sentence shows they belong
const SEP = 5; // after a chain sentence
const GROUP = 6; // inside an exception group (`  + Exception Group Traceback`, `  | ...`)

const TRACEBACK = /^Traceback \(most recent call last\):$/;
const GROUP_START = /^[\t ]*\+ Exception Group Traceback \(most recent call last\):$/;
const CHAIN =
  /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$/;
const GROUP_EXC = /^[\t ]*\| [A-Za-z_]/;
const TYPE = /^[A-Za-z_][\w.]*$/;

export const python: MultilinePreset = {
  name: 'python',
  description: 'Python tracebacks through the `ExcType: message` line, chained exceptions and exception groups',
  step(line, s) {
    const k = shape(line);
    if (k === BLANK) {
      if (s === BODY || s === SEP) return s;
      if (s === EXC || s === GAP || s === GROUP) return HOLD | GAP;
      return BEGIN | IDLE;
    }
    if (k === INDENTED) {
      if (GROUP_START.test(line)) return s === SEP || s === GROUP ? GROUP : BEGIN | GROUP;
      if (s === BODY || s === GROUP) return s;
      return BEGIN | LINE;
    }
    if (TRACEBACK.test(line)) return s === SEP ? BODY : BEGIN | BODY;
    if (s === BODY) return EXC;
    if ((s === EXC || s === GAP) && CHAIN.test(line)) return SEP;
    return BEGIN | LINE;
  },
  extractError(text) {
    return extractPython(text.split('\n'));
  },
};

function extractPython(lines: string[]): ErrorFields | undefined {
  let start = -1;
  let exc = -1;
  let group = false;
  let s = IDLE;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const next = python.step(line, s) & STATE_MASK;
    if (start < 0 && (next === BODY || next === GROUP)) {
      start = i;
      group = next === GROUP;
    }
    if (next === EXC && s === BODY) exc = i; // the last one wins: the exception that propagated
    s = next;
  }
  if (start < 0) return undefined;
  const stack = textFrom(lines, start);
  if (exc >= 0) {
    const { type, message } = splitTypeMessage(lines[exc]!, TYPE);
    return errorFields(type, message, stack);
  }
  if (group) {
    for (let i = start + 1; i < lines.length; i++) {
      const l = lines[i]!;
      if (GROUP_EXC.test(l)) {
        const { type, message } = splitTypeMessage(l.slice(l.indexOf('| ') + 2), TYPE);
        return errorFields(type, message, stack);
      }
    }
  }
  return errorFields(undefined, undefined, stack);
}
