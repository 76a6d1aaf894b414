// Golden fixtures for every format and multi-line preset, run through the
// same path a user takes: `node dist/cli.js parse <flags> --read-time …
// --expect expected.ndjson input.log` as a child process, exit 0 when the
// output matches (the field-by-field diff is shown when it does not).
//
//   fixtures/parsers/<dir>/input.log        the raw lines
//   fixtures/parsers/<dir>/args             the flags, one line, shell quoting ('…', "…", \)
//   fixtures/parsers/<dir>/expected.ndjson  the golden events
//   fixtures/multiline/<preset>.log + <preset>.expected.ndjson, flags in MULTILINE below
//
// To regenerate one golden after a deliberate change, run the same command
// without --expect and review every event before committing it, e.g.:
//   node dist/cli.js parse $(cat fixtures/parsers/json/args) --read-time 2026-03-01T12:00:00Z \
//     fixtures/parsers/json/input.log > fixtures/parsers/json/expected.ndjson
// (with `eval` for args holding a quoted --pattern).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const PARSERS = path.join(ROOT, 'fixtures/parsers');
const MULTILINE_DIR = path.join(ROOT, 'fixtures/multiline');

/** Fixed, so year inference (RFC 3164, klog) and events without a time of their own are reproducible. */
const READ_TIME = '2026-03-01T12:00:00Z';

/**
 * The multi-line goldens: the preset plus a content parser that fits the
 * sample, so the events show `@timestamp`/`log.level` from the first line as
 * well as the `error.*` fields of the trace. docs/parsers.md shows the same flags.
 */
const MULTILINE: Record<string, string[]> = {
  java: ['--format', 'regex', '--multiline', 'java', '--pattern',
    String.raw`^(?:(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) +(?<level>[A-Z]+) +\[(?<thread>[^\]]+)\] (?<logger>\S+) - )?(?<message>[\s\S]*)$`],
  python: ['--format', 'regex', '--multiline', 'python', '--pattern',
    String.raw`^(?:(?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?<level>[A-Z]+) \[(?<logger>[^\]]+)\] |(?<levelname>[A-Z]+):(?<logger_name>[\w.]+):)?(?<message>[\s\S]*)$`],
  go: ['--format', 'regex', '--multiline', 'go', '--pattern',
    String.raw`^(?:(?<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) )?(?<message>[\s\S]*)$`],
  ruby: ['--format', 'regex', '--multiline', 'ruby', '--pattern',
    String.raw`^(?:[DIWEFA], \[(?<time>[^ \]]+) #(?<pid>\d+)\] +(?<level>[A-Z]+) -- (?<logger>[^:]+)?: )?(?<message>[\s\S]*)$`],
  node: ['--format', 'regex', '--multiline', 'node', '--time-format', '%m/%d/%Y, %I:%M:%S %p', '--pattern',
    String.raw`^(?:(?<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (?<level>[a-z]+): |\[Nest\] (?<pid>\d+) +- (?<timestamp>[^A-Z]+ [AP]M) +(?<lvl>[A-Z]+) \[(?<context>[^\]]+)\] )?(?<message>[\s\S]*)$`],
  dotnet: ['--format', 'regex', '--multiline', 'dotnet', '--time-format', '%H:%M:%S', '--pattern',
    String.raw`^(?:\[(?<time>\d\d:\d\d:\d\d) (?<level>[A-Z]{3})\] )?(?<message>[\s\S]*)$`],
  php: ['--format', 'regex', '--multiline', 'php', '--time-format', '%d-%b-%Y %H:%M:%S %Z', '--pattern',
    String.raw`^(?:\[(?<time>[^\]]+)\] )?(?:PHP (?<level>[A-Z][a-z]+)(?: error)?: +|(?<env>\w+)\.(?<lvl>[A-Z]+): )?(?<message>[\s\S]*)$`],
};

/** Splits an `args` line like a POSIX shell would (no expansions): '…' literal, "…" with \" \\ \$ \`, \x outside quotes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${JSON.stringify(line)}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; ; i++) {
        if (i >= line.length) throw new Error(`unterminated " in ${JSON.stringify(line)}`);
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
        else word += d;
      }
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function parse(flags: string[], input: string, expect: string): Result {
  const r = spawnSync(process.execPath, [CLI, 'parse', ...flags, '--read-time', READ_TIME, '--expect', expect, input], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

interface Case {
  name: string;
  flags: string[];
  input: string;
  golden: string;
}

const parserCases: Case[] = readdirSync(PARSERS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(PARSERS, d.name, 'args')))
  .map((d) => d.name)
  .sort()
  .map((name) => ({
    name,
    flags: shellWords(readFileSync(path.join(PARSERS, name, 'args'), 'utf8').trim()),
    input: path.join(PARSERS, name, 'input.log'),
    golden: path.join(PARSERS, name, 'expected.ndjson'),
  }));

const multilineCases: Case[] = Object.entries(MULTILINE).map(([preset, flags]) => ({
  name: preset,
  flags,
  input: path.join(MULTILINE_DIR, `${preset}.log`),
  golden: path.join(MULTILINE_DIR, `${preset}.expected.ndjson`),
}));

let tmp: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js does not exist: run `npm run build` first (npm test does)');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'logship-golden-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function checkGolden(c: Case): void {
  // A fixture without its golden checks nothing: a failure, never a skip.
  expect(existsSync(c.golden), `${path.relative(ROOT, c.golden)} is missing (see the header for how to write it)`).toBe(true);
  const r = parse(c.flags, c.input, c.golden);
  // On a mismatch the diff is on stderr: show it as the failure message.
  expect(r.code, `${path.relative(ROOT, c.golden)}:\n${r.stderr}`).toBe(0);
  expect(r.stdout).toBe('');
  const n = lines(c.golden).length;
  expect(n).toBeGreaterThan(0);
  expect(r.stderr).toContain(`logship: ${n} events match`);
}

describe('logship parse --expect: fixtures/parsers goldens', () => {
  for (const c of parserCases) {
    it(`${c.name}: ${c.flags.slice(0, 4).join(' ')}`, () => checkGolden(c));
  }
});

describe('logship parse --expect: fixtures/multiline goldens', () => {
  for (const c of multilineCases) {
    it(`${c.name}: --multiline ${c.name}`, () => checkGolden(c));
  }
});

describe('logship parse --expect: a golden that no longer matches', () => {
  const base = parserCases.find((c) => c.name === 'json')!;

  it('exits 1 and names the changed field by its path, with the expected and the actual value', () => {
    const golden = lines(base.golden);
    const first = JSON.parse(golden[0]!) as { log: { level: string; offset: number } };
    expect(first.log.level).toBe('info');
    first.log.level = 'debug';
    const altered = path.join(tmp, 'altered.ndjson');
    writeFileSync(altered, [JSON.stringify(first), ...golden.slice(1)].join('\n') + '\n');

    const r = parse(base.flags, base.input, altered);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`output differs from ${altered}`);
    expect(r.stderr).toContain(`event 1 (log.offset ${first.log.offset}):`);
    expect(r.stderr).toContain('log.level: expected "debug", got "info"');
    // Only the changed event is reported.
    expect(r.stderr).not.toMatch(/^event 2/m);
  });

  it('exits 1 when the golden has an event fewer, naming the extra one', () => {
    const golden = lines(base.golden);
    const shorter = path.join(tmp, 'shorter.ndjson');
    writeFileSync(shorter, golden.slice(0, -1).join('\n') + '\n');

    const r = parse(base.flags, base.input, shorter);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`event ${golden.length}: not expected: ${golden.at(-1)}`);
  });
});

describe('shellWords (args files)', () => {
  it('splits like a shell: single quotes literal, double quotes with escapes, backslashes', () => {
    expect(shellWords(`--format regex --pattern '^(?<a>\\d+) "x"$'`)).toEqual(['--format', 'regex', '--pattern', '^(?<a>\\d+) "x"$']);
    expect(shellWords(`--timezone "Europe/Berlin"  a\\ b ''`)).toEqual(['--timezone', 'Europe/Berlin', 'a b', '']);
    expect(shellWords(`--x "a\\"b\\\\c\\d"`)).toEqual(['--x', 'a"b\\c\\d']);
  });
});
