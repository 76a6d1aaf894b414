import {
  BEGIN,
  BLANK,
  HOLD,
  IDLE,
  INDENTED,
  LINE,
  errorFields,
  shape,
  splitTypeMessage,
  textFrom,
  type ErrorFields,
  type MultilinePreset,
} from '../rules.js';

// .NET exceptions (Exception.ToString(), the runtime's unhandled-exception
// report, Microsoft.Extensions.Logging's console format):
//
//   Unhandled exception. System.InvalidOperationException: Outer message
//    ---> System.ArgumentNullException: Value cannot be null. (Parameter 'key')
//      at System.Collections.Generic.Dictionary`2.FindValue(TKey key)
//      --- End of inner exception stack trace ---
//      at MyApp.Service.Lookup(String key) in /src/MyApp/Service.cs:line 48
//   --- End of stack trace from previous location ---
//      at MyApp.Program.Main(String[] args) in /src/MyApp/Program.cs:line 12

const EXC = 2; // after an exception line or ` ---> inner`
const TRACE = 3; // in the frames
const GAP = 4; // blank line(s) after frames: AggregateException prints ` ---> (Inner Exception #1)` after one (held until it does)
const MEL = 5; // a Microsoft.Extensions.Logging console entry: `fail: Category[0]` and its indented lines

const FRAME = /^[\t ]+at /;
const INNER = /^[\t ]*---> /;
const END_OF = /^[\t ]*--- End of /;
const UNHANDLED = /^Unhandled [Ee]xception[.:] /;
const MEL_HEAD = /^(?:trce|dbug|info|warn|fail|crit): \S/;
/** FileNotFoundException and friends print `File name: '...'` (and fusion logs) under the exception line. */
const FILE_NAME = /^File name: '/;
/** `System.InvalidOperationException: msg`: a qualified name ending in Exception. */
const HEADER = /[A-Za-z_]\w*\.[\w.`]*Exception(?::|$)/y;
const TYPE = /^[A-Za-z_][\w.`]*$/;

function isHeaderAt(line: string, at: number): boolean {
  HEADER.lastIndex = at;
  return HEADER.test(line);
}

export const dotnet: MultilinePreset = {
  name: 'dotnet',
  description: '.NET exceptions: `   at ... in file:line N` frames, ` ---> inner` exceptions, `--- End of ... stack trace ---` markers, Microsoft.Extensions.Logging console entries',
  step(line, s) {
    const k = shape(line);
    if (k === BLANK) return s === EXC || s === TRACE || s === GAP ? HOLD | GAP : BEGIN | IDLE;
    if (k === INDENTED && s === MEL) return MEL;
    if (INNER.test(line)) return s === EXC || s === TRACE || s === GAP ? EXC : BEGIN | EXC;
    if (END_OF.test(line)) return s === IDLE ? BEGIN | TRACE : TRACE;
    if (k === INDENTED) {
      // Frames also join a line that names the exception its own way.
      if (FRAME.test(line)) return s === IDLE ? BEGIN | TRACE : TRACE;
      return s === EXC ? s : BEGIN | LINE;
    }
    if (s === EXC && FILE_NAME.test(line)) return EXC;
    if (MEL_HEAD.test(line)) return BEGIN | MEL;
    if (UNHANDLED.test(line) || isHeaderAt(line, 0)) return BEGIN | EXC;
    return BEGIN | LINE;
  },
  extractError(text) {
    return extractDotnet(text.split('\n'));
  },
};

function extractDotnet(lines: string[]): ErrorFields | undefined {
  let firstFrame = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    let col = l.length - l.trimStart().length;
    if (UNHANDLED.test(l.slice(col))) col += 21; // `Unhandled exception. ` / `Unhandled Exception: `
    if (isHeaderAt(l, col)) {
      const { type, message } = splitTypeMessage(l.slice(col), TYPE);
      return errorFields(type, message, textFrom(lines, i, col));
    }
    if (FRAME.test(l)) {
      firstFrame = i;
      break;
    }
  }
  return firstFrame >= 0 ? errorFields(undefined, undefined, textFrom(lines, firstFrame)) : undefined;
}
