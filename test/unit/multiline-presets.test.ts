import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MultilineAssembler, type AssembledRecord } from '../../parsers/multiline/assembler.js';
import { resolveMultiline } from '../../parsers/multiline/presets.js';
import { MULTILINE_PRESETS, getMultilinePreset } from '../../parsers/multiline/presets.js';
import { expectLinear } from '../support/linear.js';

// Each fixture in fixtures/multiline/ is read line by line (as the tailer
// would hand it over, offsets included) through one preset; the expected
// events are written as 1-based line ranges of the fixture, so every event's
// text, offset and line count is exact.

interface Fixture {
  lines: string[];
  offsets: number[];
}

function load(name: string): Fixture {
  const raw = readFileSync(new URL(`../../fixtures/multiline/${name}`, import.meta.url), 'utf8');
  const lines = raw.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const offsets: number[] = [];
  let at = 0;
  for (const l of lines) {
    offsets.push(at);
    at += Buffer.byteLength(l, 'utf8') + 1;
  }
  return { lines, offsets };
}

const STREAM = { file: 'app.log', stream: 'stdout' };

function assemble(preset: string, lines: readonly string[], offsets?: readonly number[]): AssembledRecord[] {
  const { config, preset: p } = resolveMultiline({ preset });
  const a = new MultilineAssembler(config, p);
  const out: AssembledRecord[] = [];
  lines.forEach((l, i) => a.push(STREAM, l, offsets?.[i] ?? i, 0, out));
  a.flushAll(out);
  return out;
}

interface Expected {
  /** First and last line, 1-based, inclusive. */
  at: [number, number];
  type?: string;
  message?: string;
  /** Where error.stack_trace starts (a line, and optionally the text it starts after) and ends (default: the event's last line). */
  stack?: { from: number; after?: string; to?: number };
}

function expected(f: Fixture, events: Expected[]): AssembledRecord[] {
  return events.map(({ at: [from, to], type, message, stack }) => {
    const rec: AssembledRecord = {
      stream: STREAM,
      text: f.lines.slice(from - 1, to).join('\n'),
      offset: f.offsets[from - 1]!,
      lines: to - from + 1,
      truncated: false,
    };
    if (stack !== undefined) {
      let first = f.lines[stack.from - 1]!;
      if (stack.after !== undefined) {
        const i = first.indexOf(stack.after);
        if (i < 0) throw new Error(`test bug: ${JSON.stringify(stack.after)} not in line ${stack.from}`);
        first = first.slice(i + stack.after.length);
      }
      const rest = f.lines.slice(stack.from, stack.to ?? to);
      rec.error = {};
      if (type !== undefined) rec.error.type = type;
      if (message !== undefined) rec.error.message = message;
      rec.error.stack_trace = [first, ...rest].join('\n').trimEnd();
    }
    return rec;
  });
}

function check(preset: string, fixture: string, events: Expected[]): void {
  const f = load(fixture);
  const got = assemble(preset, f.lines, f.offsets);
  expect(got).toStrictEqual(expected(f, events));
  // Every line is in exactly one event, in order.
  expect(got.map((r) => r.text).join('\n')).toBe(f.lines.join('\n'));
}

describe('multiline presets: fixtures', () => {
  it('lists every preset', () => {
    expect([...MULTILINE_PRESETS].sort()).toEqual(['dotnet', 'go', 'java', 'node', 'php', 'python', 'ruby']);
    for (const name of MULTILINE_PRESETS) expect(getMultilinePreset(name)?.name).toBe(name);
  });

  it('java: frames, Caused by, ... N more, nested Suppressed, uncaught, common frames omitted, header after a log line', () => {
    check('java', 'java.log', [
      { at: [1, 1] },
      { at: [2, 2] },
      {
        at: [3, 13],
        type: 'java.lang.IllegalStateException',
        message: 'Inventory service returned 503',
        stack: { from: 3 },
      },
      { at: [14, 14] },
      {
        at: [15, 25],
        type: 'java.lang.RuntimeException',
        message: 'Failed to close resources',
        stack: { from: 15, after: 'Exception in thread "main" ' },
      },
      { at: [26, 26] },
      {
        at: [27, 32],
        type: 'org.springframework.dao.DataIntegrityViolationException',
        message:
          'could not execute statement [ERROR: duplicate key value violates unique constraint "orders_pkey"]; SQL [insert into orders (id) values (?)]; constraint [orders_pkey]',
        stack: { from: 27 },
      },
      { at: [33, 33] },
      // After an INFO line the exception is its own event; two identical traces are two events.
      { at: [34, 35], type: 'java.lang.IllegalStateException', message: 'Inventory service returned 503', stack: { from: 34 } },
      { at: [36, 37], type: 'java.lang.IllegalStateException', message: 'Inventory service returned 503', stack: { from: 36 } },
      { at: [38, 38] },
      { at: [39, 39], type: 'java.lang.OutOfMemoryError', message: 'Java heap space', stack: { from: 39 } },
      { at: [40, 40] },
    ]);
  });

  it('python: logger.exception, chained (cause and context), bare exception, exception group', () => {
    check('python', 'python.log', [
      { at: [1, 1] },
      { at: [2, 2] },
      { at: [3, 7], type: 'KeyError', message: "'sku'", stack: { from: 3 } },
      { at: [8, 8] },
      {
        at: [9, 27],
        type: 'app.errors.DatabaseUnavailable',
        message: 'primary database is down',
        stack: { from: 9 },
      },
      { at: [28, 28] },
      {
        at: [29, 40],
        type: 'AttributeError',
        message: "'Logger' object has no attribute 'warn'. Did you mean: 'warning'?",
        stack: { from: 29 },
      },
      { at: [41, 44], type: 'KeyboardInterrupt', stack: { from: 41 } },
      { at: [45, 48], type: 'KeyboardInterrupt', stack: { from: 45 } },
      {
        at: [49, 68],
        type: 'ExceptionGroup',
        message: 'unhandled errors in a TaskGroup (2 sub-exceptions)',
        stack: { from: 49 },
      },
      { at: [69, 69] },
    ]);
  });

  it('go: panic with signal line, net/http recovered dump after its log line, fatal error with goroutines, re-panic', () => {
    check('go', 'go.log', [
      { at: [1, 1] },
      {
        at: [2, 9],
        type: 'panic',
        message: 'runtime error: invalid memory address or nil pointer dereference',
        stack: { from: 2 },
      },
      { at: [10, 10] },
      { at: [11, 24], stack: { from: 12 } },
      { at: [25, 25] },
      {
        at: [26, 37],
        type: 'fatal error',
        message: 'all goroutines are asleep - deadlock!',
        stack: { from: 26, to: 36 },
      },
      { at: [38, 47], type: 'panic', message: 'first failure', stack: { from: 38 } },
      { at: [48, 48] },
    ]);
  });

  it('ruby: Logger form, uncaught `from` frames, Ruby 3.4 quotes, identical traces, error_highlight snippet', () => {
    check('ruby', 'ruby.log', [
      { at: [1, 1] },
      {
        at: [2, 5],
        type: 'NoMethodError',
        message: "undefined method `name' for nil:NilClass",
        stack: { from: 2, after: 'ERROR -- : ' },
      },
      { at: [6, 6] },
      { at: [7, 11], type: 'NoMethodError', message: "undefined method `name' for nil", stack: { from: 7 } },
      { at: [12, 13], type: 'RuntimeError', message: 'config file missing: /etc/app.yml', stack: { from: 12 } },
      { at: [14, 15], type: 'RuntimeError', message: 'config file missing: /etc/app.yml', stack: { from: 14 } },
      {
        at: [16, 19],
        type: 'NoMethodError',
        message: "undefined method 'time' for an instance of Integer",
        stack: { from: 16 },
      },
      { at: [20, 20] },
    ]);
  });

  it("node: after an error log line, own properties, identical traces, uncaught reports up to `Node.js vX`, Require stack, ERR_ codes, unhandled rejection", () => {
    check('node', 'node.log', [
      { at: [1, 1] },
      { at: [2, 2] },
      { at: [3, 7], type: 'TypeError', message: "Cannot read properties of undefined (reading 'id')", stack: { from: 3 } },
      { at: [8, 8] },
      { at: [9, 16], type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', stack: { from: 9 } },
      { at: [17, 24], type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', stack: { from: 17 } },
      { at: [25, 38], type: 'Error', message: 'config missing: DATABASE_URL', stack: { from: 29, to: 36 } },
      { at: [39, 56], type: 'Error', message: "Cannot find module 'express'", stack: { from: 43, to: 54 } },
      {
        at: [57, 68],
        type: 'Error',
        message: "Cannot find package 'pg' imported from /app/db.mjs",
        stack: { from: 61, to: 66 },
      },
      {
        at: [69, 77],
        type: 'UnhandledPromiseRejection',
        message:
          'This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason "timeout".',
        stack: { from: 73, to: 75 },
      },
      { at: [78, 78] },
    ]);
  });

  it('dotnet: Microsoft.Extensions.Logging console, inner exceptions, End of stack trace markers, Unhandled exception with File name', () => {
    check('dotnet', 'dotnet.log', [
      { at: [1, 2] },
      {
        at: [3, 10],
        type: 'System.InvalidOperationException',
        message: 'Sequence contains no elements',
        stack: { from: 5, after: '      ' },
      },
      { at: [11, 11] },
      {
        at: [12, 20],
        type: 'System.Net.Http.HttpRequestException',
        message: 'Response status code does not indicate success: 503 (Service Unavailable).',
        stack: { from: 12 },
      },
      { at: [21, 21] },
      {
        at: [22, 26],
        type: 'System.IO.FileNotFoundException',
        message: "Could not find file '/app/appsettings.Production.json'.",
        stack: { from: 22, after: 'Unhandled exception. ' },
      },
      { at: [27, 27] },
    ]);
  });

  it('php: Uncaught with Stack trace and thrown in, Next chains, PHP Stack trace form, Laravel [stacktrace]', () => {
    check('php', 'php.log', [
      { at: [1, 1] },
      {
        at: [2, 8],
        type: 'PDOException',
        message: 'SQLSTATE[HY000] [2002] Connection refused',
        stack: { from: 2, after: 'Uncaught ' },
      },
      {
        at: [9, 16],
        type: 'App\\Exception\\ImportException',
        message: 'import of batch 7 failed',
        stack: { from: 9, after: 'Uncaught ' },
      },
      {
        at: [17, 21],
        type: 'Fatal error',
        message: 'Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)',
        stack: { from: 18 },
      },
      { at: [22, 27], type: 'DivisionByZeroError', message: 'Division by zero', stack: { from: 23, to: 26 } },
      { at: [28, 28] },
    ]);
  });
});

describe('multiline presets: the Fluent Bit samples (fixtures/multiline/fluent-bit/)', () => {
  it('java: the trace behind a syslog-style prefix is one event; the trailing empty line is kept', () => {
    check('java', 'fluent-bit/multiline-regex-001-test.log', [
      { at: [1, 1] },
      {
        at: [2, 7],
        type: 'java.lang.RuntimeException',
        message: 'Something has gone wrong, aborting!',
        stack: { from: 2, after: 'Exception in thread "main" ' },
      },
      { at: [8, 8] },
      { at: [9, 9] },
    ]);
  });

  it('go: the panic with four goroutine dumps (2-space frames, blank lines between) is one event', () => {
    check('go', 'fluent-bit/multiline-filter-test.log', [
      { at: [1, 1] },
      // The Java trace: lines of another language are left alone, one event each.
      { at: [2, 2] },
      { at: [3, 3] },
      { at: [4, 4] },
      { at: [5, 5] },
      { at: [6, 6] },
      { at: [7, 7] },
      { at: [8, 8] },
      { at: [9, 59], type: 'panic', message: 'my panic', stack: { from: 9 } },
      { at: [60, 60] },
    ]);
  });
});

// One trace per preset, taken from the fixtures, for the repetition tests.
const TRACES: Record<string, { fixture: string; at: [number, number] }> = {
  java: { fixture: 'java.log', at: [15, 25] },
  python: { fixture: 'python.log', at: [9, 27] },
  go: { fixture: 'go.log', at: [2, 9] },
  ruby: { fixture: 'ruby.log', at: [7, 11] },
  node: { fixture: 'node.log', at: [25, 38] },
  dotnet: { fixture: 'dotnet.log', at: [22, 26] },
  php: { fixture: 'php.log', at: [2, 8] },
};

function trace(preset: string): string[] {
  const { fixture, at } = TRACES[preset]!;
  return load(fixture).lines.slice(at[0] - 1, at[1]);
}

describe('multiline presets: identical traces in a row', () => {
  for (const preset of MULTILINE_PRESETS) {
    it(`${preset}: two and three identical traces stay two and three events`, () => {
      const t = trace(preset);
      for (const n of [2, 3]) {
        const lines = Array.from({ length: n }, () => t).flat();
        const got = assemble(preset, lines);
        expect(got.map((r) => r.text)).toEqual(Array.from({ length: n }, () => t.join('\n')));
        expect(got.map((r) => r.offset)).toEqual(Array.from({ length: n }, (_, i) => i * t.length));
        const errors = got.map((r) => r.error);
        expect(errors[0]?.stack_trace).toBeTruthy();
        for (const e of errors) expect(e).toEqual(errors[0]);
      }
    });
  }
});

describe('multiline presets: edge cases', () => {
  it('java: a header after a log line is its own event, whatever the level of that line', () => {
    const h = 'com.example.BarException: nope';
    const f = '\tat com.example.Bar.run(Bar.java:1)';
    expect(assemble('java', ['12:00 INFO ok', h, f]).map((r) => r.lines)).toEqual([1, 2]);
    expect(assemble('java', ['12:00 ERROR failed', h, f]).map((r) => r.lines)).toEqual([1, 2]);
    expect(assemble('java', ['12:00 WARN [x] retrying', h, f]).map((r) => r.lines)).toEqual([1, 2]);
    expect(assemble('java', ['12:00 ERROR failed', h, f])[1]!.error).toEqual({
      type: 'com.example.BarException',
      message: 'nope',
      stack_trace: `${h}\n${f}`,
    });
  });

  it('java: indented lines that are not frames stay events of their own, without error fields', () => {
    const got = assemble('java', ['12:00 INFO config:', '  a = 1', '  b = 2', '12:01 INFO next']);
    expect(got.map((r) => r.lines)).toEqual([1, 1, 1, 1]);
    expect(got.every((r) => r.error === undefined)).toBe(true);
  });

  it('java: a blank line is its own event, and a header after it does not join it', () => {
    const got = assemble('java', ['12:00 ERROR x', '', 'java.lang.IllegalStateException: y', '\tat a.B.c(B.java:1)']);
    expect(got.map((r) => r.text)).toEqual(['12:00 ERROR x', '', 'java.lang.IllegalStateException: y\n\tat a.B.c(B.java:1)']);
  });

  it('python: a blank line after the exception is held for a chain sentence; without one it is its own event', () => {
    const got = assemble('python', [
      'Traceback (most recent call last):',
      '  File "/app/x.py", line 1, in <module>',
      '    f()',
      'ValueError: bad',
      '',
      'INFO: next',
    ]);
    expect(got.map((r) => r.lines)).toEqual([4, 1, 1]);
    expect(got[0]!.error).toEqual({
      type: 'ValueError',
      message: 'bad',
      stack_trace: 'Traceback (most recent call last):\n  File "/app/x.py", line 1, in <module>\n    f()\nValueError: bad',
    });
  });

  it('python: a traceback after an INFO line starts its own event', () => {
    const got = assemble('python', ['INFO:app:started', 'Traceback (most recent call last):', '  File "x.py", line 1, in <module>', 'ZeroDivisionError: division by zero']);
    expect(got.map((r) => r.lines)).toEqual([1, 3]);
    expect(got[1]!.error?.type).toBe('ZeroDivisionError');
  });

  it('go: a goroutine dump after an unrelated line starts its own event (debug.PrintStack)', () => {
    const got = assemble('go', ['2024/03/05 ready', 'goroutine 1 [running]:', 'main.main()', '\t/app/main.go:5 +0x1d', '2024/03/05 next']);
    expect(got.map((r) => r.lines)).toEqual([1, 3, 1]);
    expect(got[1]!.error).toEqual({ stack_trace: 'goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d' });
  });

  it('node: console.trace-style and warning-prefixed traces keep their frames', () => {
    const got = assemble('node', [
      '(node:7) UnhandledPromiseRejectionWarning: TypeError: x is not a function',
      '    at main (/app/a.js:3:5)',
      'done',
    ]);
    expect(got.map((r) => r.lines)).toEqual([2, 1]);
    expect(got[0]!.error).toEqual({
      type: 'TypeError',
      message: 'x is not a function',
      stack_trace: 'TypeError: x is not a function\n    at main (/app/a.js:3:5)',
    });
  });

  it('dotnet: AggregateException inner exceptions separated by blank lines stay in the event', () => {
    const lines = [
      'System.AggregateException: One or more errors occurred. (a) (b)',
      ' ---> System.Exception: a',
      '   at P.A() in /src/P.cs:line 3',
      '   --- End of inner exception stack trace ---',
      '   at P.Main() in /src/P.cs:line 9',
      '',
      ' ---> (Inner Exception #1) System.Exception: b',
      '   at P.B() in /src/P.cs:line 5<---',
      '',
      '[12:00:00 INF] next',
    ];
    const got = assemble('dotnet', lines);
    expect(got.map((r) => r.lines)).toEqual([8, 1, 1]);
    expect(got[0]!.error?.type).toBe('System.AggregateException');
    expect(got[0]!.error?.message).toBe('One or more errors occurred. (a) (b)');
  });

  it('php: a warning without a trace is one plain event', () => {
    const got = assemble('php', ['PHP Warning:  Undefined variable $a in /app/x.php on line 2', 'PHP Warning:  Undefined variable $b in /app/x.php on line 3']);
    expect(got.map((r) => r.lines)).toEqual([1, 1]);
    expect(got.every((r) => r.error === undefined)).toBe(true);
  });

  it('ruby: a head line followed by an unrelated blank line and a log line', () => {
    const got = assemble('ruby', ["x.rb:1:in '<main>': boom (RuntimeError)", '', 'I, [2024] INFO -- : a', 'I, [2024] INFO -- : b']);
    // The blank and the line after it are held for an error_highlight snippet; no `^^^` line follows, so each is its own event.
    expect(got.map((r) => r.lines)).toEqual([1, 1, 1, 1]);
    expect(got[0]!.error?.type).toBe('RuntimeError');
  });
});

// Complexity, not speed (test/support/linear.ts): the same pieces at 1× and 8× the length.
describe('multiline presets: hostile lines stay linear', () => {
  const pieces: Array<[string, string, string]> = [
    ['', 'a', ''],
    ['', ' ', 'x'],
    ['java.lang.', 'a.', ''],
    ['x:', '1', ''],
    ['\tfrom ', 'a:1', ''],
    ['goroutine 1 ', ']', ''],
    ['[', 'x', ''],
    ['Error', ' [', ''],
    ['/', ':1', ':x'],
    ['ERROR ', 'error ', ''],
  ];
  const lines = (reps: number): string[] => pieces.map(([head, piece, tail]) => head + piece.repeat(reps) + tail);
  for (const preset of MULTILINE_PRESETS) {
    it(`${preset}: 8× longer lines of repeated pattern pieces cost at most ~8× more`, () => {
      expectLinear(lines, (hostile) => {
        for (const h of hostile) {
          assemble(preset, ['12:00 ERROR x', h, h, '\tat a', h]);
          getMultilinePreset(preset)!.extractError(`${h}\n${h}\n\tat x\n${h}`, 2);
        }
      }, 4_000, preset);
    });
  }
});
