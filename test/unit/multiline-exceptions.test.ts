import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MultilineAssembler, type AssembledRecord } from '../../parsers/multiline/assembler.js';
import { resolveMultiline } from '../../parsers/multiline/presets.js';
import { MULTILINE_PRESETS } from '../../parsers/multiline/presets.js';

// Exception detection on real trace shapes. Each file in
// fixtures/multiline/shapes/ holds one trace as the runtime (or its common
// logger) prints it. Every trace is put among ordinary log lines the way logs
// carry them: after an ERROR line that announces it, between two log lines,
// twice in a row, and before a blank line; it must come out as exactly one
// event each time, with the lines around it as events of their own.

interface Shape {
  file: string;
  preset: string;
  type: string;
  message?: string;
}

const SHAPES: Shape[] = [
  { file: 'java-caused-by.log', preset: 'java', type: 'java.lang.IllegalStateException', message: 'Could not reserve stock for order 4711' },
  { file: 'java-spaces.log', preset: 'java', type: 'javax.servlet.ServletException', message: 'Request processing failed' },
  { file: 'java-suppressed.log', preset: 'java', type: 'java.io.UncheckedIOException', message: 'Failed to flush report' },
  {
    file: 'java-nested-exception.log',
    preset: 'java',
    type: 'org.springframework.remoting.RemoteAccessException',
    message: 'Could not access remote service [rmi://billing:1099/InvoiceService];',
  },
  {
    file: 'java-blank-before-frames.log',
    preset: 'java',
    type: 'com.fasterxml.jackson.core.JsonParseException',
    message: "Unexpected character ('}' (code 125)): was expecting double-quote to start field name",
  },
  { file: 'java-uncaught.log', preset: 'java', type: 'java.lang.NullPointerException', message: 'Cannot invoke "String.length()" because "name" is null' },
  { file: 'python-traceback.log', preset: 'python', type: 'KeyError', message: "'sku'" },
  { file: 'python-chained-context.log', preset: 'python', type: 'app.errors.DatabaseUnavailable', message: 'primary database is down' },
  { file: 'python-chained-cause.log', preset: 'python', type: 'app.config.ConfigError', message: 'WORKERS must be a number' },
  { file: 'ruby-uncaught.log', preset: 'ruby', type: 'NoMethodError', message: "undefined method `strip' for nil:NilClass" },
  { file: 'rails-routing.log', preset: 'ruby', type: 'ActionController::RoutingError', message: 'No route matches [GET] "/wp-login.php"' },
  { file: 'rails-app-frames.log', preset: 'ruby', type: 'ActionView::Template::Error', message: "undefined method `title' for nil" },
  { file: 'node-error-stack.log', preset: 'node', type: 'TypeError', message: "Cannot read properties of undefined (reading 'id')" },
  { file: 'node-error-no-stack.log', preset: 'node', type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:6379' },
  { file: 'node-uncaught.log', preset: 'node', type: 'Error', message: 'PORT is not set' },
  { file: 'dotnet-inner.log', preset: 'dotnet', type: 'System.InvalidOperationException', message: 'Failed to load tenant settings' },
  {
    file: 'dotnet-async.log',
    preset: 'dotnet',
    type: 'System.Net.Http.HttpRequestException',
    message: 'Response status code does not indicate success: 503 (Service Unavailable).',
  },
  { file: 'go-panic-goroutines.log', preset: 'go', type: 'panic', message: 'runtime error: index out of range [3] with length 3' },
  { file: 'go-signal.log', preset: 'go', type: 'panic', message: 'runtime error: invalid memory address or nil pointer dereference' },
  { file: 'php-uncaught.log', preset: 'php', type: 'RuntimeException', message: 'Database unavailable' },
  { file: 'php-next-chain.log', preset: 'php', type: 'App\\Exception\\StorageException', message: 'storage offline' },
];

/** Presets whose traces share the `    at …` frame syntax: each may take the others' traces (as Google's detector does). */
const AT_FRAMES = new Set(['java', 'node', 'dotnet']);

const ERROR_LINE = '2024-03-05T14:22:01.123Z ERROR request failed';
const INFO_LINE = '2024-03-05T14:22:02.000Z INFO next request';
const LAST_LINE = '2024-03-05T14:22:03.000Z INFO done';

function trace(file: string): string[] {
  const lines = readFileSync(new URL(`../../fixtures/multiline/shapes/${file}`, import.meta.url), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function assemble(preset: string | string[], lines: readonly string[]): AssembledRecord[] {
  const { config, preset: p } = resolveMultiline({ preset });
  const a = new MultilineAssembler(config, p);
  const out: AssembledRecord[] = [];
  const stream = {};
  lines.forEach((l, i) => a.push(stream, l, i, 0, out));
  a.flushAll(out);
  return out;
}

/** The trace among log lines, and the events that must come out: [first line, line count, is the trace]. */
function scene(t: string[]): { lines: string[]; events: [number, number, boolean][] } {
  const lines = [ERROR_LINE, ...t, INFO_LINE, ...t, ...t, '', LAST_LINE];
  const n = t.length;
  const events: [number, number, boolean][] = [
    [0, 1, false],
    [1, n, true],
    [1 + n, 1, false],
    [2 + n, n, true],
    [2 + 2 * n, n, true],
    [2 + 3 * n, 1, false],
    [3 + 3 * n, 1, false],
  ];
  return { lines, events };
}

function checkScene(preset: string | string[], shape: Shape): void {
  const t = trace(shape.file);
  const { lines, events } = scene(t);
  const got = assemble(preset, lines);
  expect(got.map((r) => [r.offset, r.lines])).toEqual(events.map(([at, n]) => [at, n]));
  for (const [i, [, , isTrace]] of events.entries()) {
    if (!isTrace) {
      expect(got[i]!.error).toBeUndefined();
      continue;
    }
    expect(got[i]!.text).toBe(t.join('\n'));
    expect(got[i]!.error?.type).toBe(shape.type);
    expect(got[i]!.error?.message).toBe(shape.message);
    expect(got[i]!.error?.stack_trace).toBeTruthy();
  }
}

describe('multiline exceptions: each real trace shape is one event among log lines', () => {
  for (const shape of SHAPES) {
    it(`${shape.preset}: ${shape.file} after an ERROR line, between log lines, twice in a row, before a blank line`, () => {
      checkScene(shape.preset, shape);
    });
  }
});

describe('multiline exceptions: every preset combined', () => {
  const all = [...MULTILINE_PRESETS];
  for (const shape of SHAPES) {
    it(`${all.join(',')} and the reverse order: ${shape.file} is still one event, with its own error fields`, () => {
      checkScene(all, shape);
      checkScene([...all].reverse(), shape);
    });
  }

  it('two presets: each recognises its own traces, the others stay one event per line', () => {
    const java = trace('java-caused-by.log');
    const go = trace('go-signal.log');
    const python = trace('python-traceback.log');
    const got = assemble('java,go', [INFO_LINE, ...java, ...go, ...python, LAST_LINE]);
    expect(got.map((r) => r.lines)).toEqual([1, java.length, go.length, ...python.map(() => 1), 1]);
    expect(got[1]!.error?.type).toBe('java.lang.IllegalStateException');
    expect(got[2]!.error?.type).toBe('panic');
  });
});

describe('multiline exceptions: a preset leaves the lines of other languages alone', () => {
  for (const shape of SHAPES) {
    const others = MULTILINE_PRESETS.filter((p) => p !== shape.preset && !(AT_FRAMES.has(p) && AT_FRAMES.has(shape.preset)));
    it(`${shape.file} through ${others.join(', ')}: one event per line`, () => {
      const t = trace(shape.file);
      for (const preset of others) {
        const got = assemble(preset, [INFO_LINE, ...t, LAST_LINE]);
        expect(got.map((r) => r.text), preset).toEqual([INFO_LINE, ...t, LAST_LINE]);
      }
    });
  }
});

describe('multiline exceptions: a trace does not swallow the line after it', () => {
  const cases: [string, string][] = [
    ['java', 'java-caused-by.log'],
    ['dotnet', 'dotnet-inner.log'],
    ['python', 'python-traceback.log'],
  ];
  for (const [preset, file] of cases) {
    it(`${preset}: an indented log line after the trace is an event of its own`, () => {
      const t = trace(file);
      const next = '    retrying in 5s (attempt 2 of 3)';
      expect(assemble(preset, [...t, next, LAST_LINE]).map((r) => r.text)).toEqual([t.join('\n'), next, LAST_LINE]);
    });
  }
});

describe('multiline exceptions: lines held back for a trace that may continue', () => {
  it('python: the blank line before a chain sentence joins; before a log line it is an event of its own', () => {
    const t = trace('python-traceback.log');
    expect(assemble('python', [...t, '', INFO_LINE]).map((r) => r.lines)).toEqual([t.length, 1, 1]);
    const chained = trace('python-chained-context.log');
    expect(assemble('python', chained).map((r) => r.lines)).toEqual([chained.length]);
  });

  it('a held blank line is still emitted at a flush (shutdown or timeout), after its trace', () => {
    const t = trace('go-signal.log');
    const got = assemble('go', [...t, '']);
    expect(got.map((r) => [r.offset, r.lines])).toEqual([
      [0, t.length],
      [t.length, 1],
    ]);
  });

  it('held lines count towards max_lines: the event is cut there, nothing is lost', () => {
    const { config, preset } = resolveMultiline({ preset: 'go', max_lines: 4 });
    const a = new MultilineAssembler(config, preset);
    const out: AssembledRecord[] = [];
    const stream = {};
    const lines = ['panic: boom', '', '', '', '', 'goroutine 1 [running]:'];
    lines.forEach((l, i) => a.push(stream, l, i, 0, out));
    a.flushAll(out);
    expect(out.map((r) => r.text).join('\n')).toBe(lines.join('\n'));
    expect(out.every((r) => r.lines <= 4)).toBe(true);
  });
});

describe('multiline exceptions: preset names', () => {
  it('every unknown name is reported at once, with the list of known ones', () => {
    expect(() => resolveMultiline({ preset: ['java', 'cobol', 'fortran'] })).toThrow(
      `preset: unknown presets "cobol", "fortran" (known: ${MULTILINE_PRESETS.join(', ')})`,
    );
    expect(() => resolveMultiline({ preset: 'java,cobol' })).toThrow(`preset: unknown preset "cobol" (known: ${MULTILINE_PRESETS.join(', ')})`);
  });

  it('a list, a comma-separated string and spaces around names are the same; a repeated name counts once', () => {
    expect(resolveMultiline({ preset: ['java', 'go'] }).preset?.name).toBe('java,go');
    expect(resolveMultiline({ preset: 'java, go' }).preset?.name).toBe('java,go');
    expect(resolveMultiline({ preset: 'java,go,java' }).preset?.name).toBe('java,go');
    expect(resolveMultiline({ preset: ['python'] }).preset?.name).toBe('python');
  });
});
