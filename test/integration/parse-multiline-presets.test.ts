// Multi-line presets through the real chain, the way a user tries them:
// `node dist/cli.js parse --format plain --multiline <preset(s)> file` as a
// child process, on the real trace shapes of fixtures/multiline/shapes/ put
// among ordinary log lines; and `validate` on a config naming presets.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const SHAPES = path.join(ROOT, 'fixtures/multiline/shapes');
const PRESETS = ['java', 'python', 'go', 'ruby', 'node', 'dotnet', 'php'];

/** The preset of a shape file, from its name (`rails-…` are Ruby's). */
function presetOf(file: string): string {
  const prefix = file.slice(0, file.indexOf('-'));
  return prefix === 'rails' ? 'ruby' : prefix;
}

function trace(file: string): string {
  return readFileSync(path.join(SHAPES, file), 'utf8').replace(/\n$/, '');
}

let tmp: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js does not exist: run `npm run build` first (npm test does)');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'logship-ml-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Event {
  message: string;
  error?: { type?: string; message?: string; stack_trace?: string };
  log: { offset: number };
}

function parse(args: string[], input: string): { code: number | null; events: Event[]; stderr: string } {
  const file = path.join(tmp, 'input.log');
  writeFileSync(file, input);
  const r = spawnSync(process.execPath, [CLI, 'parse', ...args, '--read-time', '2026-03-01T12:00:00Z', file], { encoding: 'utf8', timeout: 60_000 });
  const events = r.stdout === '' ? [] : r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Event);
  return { code: r.status, events, stderr: r.stderr };
}

/** Every trace after an ERROR line, then between two log lines, then twice in a row; the messages expected. */
function scene(files: string[]): { input: string; messages: string[]; traces: Set<number> } {
  const lines: string[] = [];
  const messages: string[] = [];
  const traces = new Set<number>();
  files.forEach((file, i) => {
    const t = trace(file);
    const error = `2024-03-05T14:22:0${i % 10}.000Z ERROR request ${i} failed`;
    const info = `2024-03-05T14:22:0${i % 10}.500Z INFO request ${i} retried`;
    lines.push(error, t, info, t, t);
    messages.push(error, t, info, t, t);
    for (const at of [1, 3, 4]) traces.add(messages.length - 5 + at);
  });
  lines.push('2024-03-05T14:23:00.000Z INFO done');
  messages.push('2024-03-05T14:23:00.000Z INFO done');
  return { input: lines.join('\n') + '\n', messages, traces };
}

function expectScene(r: ReturnType<typeof parse>, s: ReturnType<typeof scene>): void {
  expect(r.code, r.stderr).toBe(0);
  expect(r.events.map((e) => e.message)).toEqual(s.messages);
  r.events.forEach((e, i) => {
    if (s.traces.has(i)) {
      expect(e.error?.type, e.message).toBeTruthy();
      expect(e.error?.stack_trace, e.message).toBeTruthy();
    } else expect(e.error, e.message).toBeUndefined();
  });
  // Events leave in the order of their first line.
  const offsets = r.events.map((e) => e.log.offset);
  expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
}

const files = readdirSync(SHAPES).sort();

describe('logship parse --multiline: real trace shapes among log lines', () => {
  for (const preset of PRESETS) {
    it(`--multiline ${preset}: each trace is one event with error.*, the log lines around it are their own`, () => {
      const s = scene(files.filter((f) => presetOf(f) === preset));
      expectScene(parse(['--format', 'plain', '--multiline', preset], s.input), s);
    });
  }

  it(`--multiline ${PRESETS.join(',')}: every preset's traces in one file`, () => {
    const s = scene(files);
    expectScene(parse(['--format', 'plain', '--multiline', PRESETS.join(',')], s.input), s);
  });

  it('--multiline with an unknown name: exit 2, every unknown name and the known ones named', () => {
    const r = parse(['--format', 'plain', '--multiline', 'java,cobol,fortran'], 'x\n');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`logship: --multiline: preset: unknown presets "cobol", "fortran" (known: ${PRESETS.join(', ')})`);
  });
});

describe('logship validate: multiline presets', () => {
  function validate(preset: string): { code: number | null; stdout: string; stderr: string } {
    const file = path.join(tmp, 'config.yaml');
    writeFileSync(
      file,
      `inputs:\n  - name: app\n    paths: ["${tmp}/*.log"]\n    multiline: { preset: ${preset} }\noutputs:\n  - type: stdout\n`,
    );
    const r = spawnSync(process.execPath, [CLI, 'validate', '--config', file], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('accepts a list of presets', () => {
    expect(validate('[java, go]')).toMatchObject({ code: 0, stderr: '' });
  });

  it('names every unknown preset of a list, with the valid ones', () => {
    const r = validate('[java, cobol]');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`unknown preset "cobol" (known: ${PRESETS.join(', ')})`);
  });
});
