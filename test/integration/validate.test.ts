// `logship validate` and the CLI's contract (DESIGN §4), driven the way a user
// drives them: `node dist/cli.js …` as a child process, exit code and streams.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli.js');

let dir: string;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js does not exist: run `npm run build` first (npm test does)');
  dir = mkdtempSync(path.join(os.tmpdir(), 'logship-validate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function logship(args: string[], env: Record<string, string> = {}): Result {
  // A clean environment: an inherited LOGSHIP_CONFIG would change which file is read.
  const { LOGSHIP_CONFIG: _, ...inherited } = process.env;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: { ...inherited, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Contract: errors on stderr, one clear line each, prefixed `logship: `. */
function expectErrorLines(stderr: string, count?: number): string[] {
  const lines = stderr.trimEnd().split('\n');
  for (const line of lines) expect(line).toMatch(/^logship: \S/);
  if (count !== undefined) expect(lines).toHaveLength(count);
  return lines;
}

const GOOD = `inputs:
  - name: app
    paths: ["\${LOG_DIR:-/var/log/app}/*.log"]
    max_line_bytes: 256KiB
outputs:
  - type: file
    path: ./out
    object: { max_bytes: 5MiB, max_age: 30s }
  - type: stdout
    inputs: [app]
`;

describe('logship validate', () => {
  it('accepts a good config: exit 0 and a summary on stdout', () => {
    const r = logship(['validate', '--config', configFile('good.yaml', GOOD)]);
    expect(r).toEqual({ code: 0, stdout: 'config OK: 1 inputs, 2 outputs\n', stderr: '' });
  });

  it('rejects a config with a wrong type, an unknown key and a missing field, naming each by its path', () => {
    const file = configFile(
      'bad.yaml',
      `inputs:
  - name: app
    paths: ["/var/log/*.log"]
    max_line_bytes: [1, 2]
    pathz: ["/tmp/*.log"]
outputs:
  - type: file
    object:
      max_bytes: 5 potatoes
`,
    );
    const r = logship(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(expectErrorLines(r.stderr, 4)).toEqual([
      'logship: inputs[0].max_line_bytes: expected a string or a number, got a list (line 4)',
      'logship: inputs[0].pathz: unknown key (line 5)',
      'logship: outputs[0].path: required (line 7)',
      'logship: outputs[0].object.max_bytes: expected a size like 5MiB, got "5 potatoes" (line 9)',
    ]);
  });

  it('names the allowed output types for an unknown type', () => {
    const file = configFile('type.yaml', 'inputs:\n  - paths: [a.log]\noutputs:\n  - type: stdout\n  - type: kafka\n');
    const r = logship(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(expectErrorLines(r.stderr, 1)[0]).toMatch(/^logship: outputs\[1\]\.type: expected one of file, stdout\b/);
  });

  it('substitutes variables from its environment and reports unset ones by path', () => {
    const file = configFile('env.yaml', 'inputs:\n  - paths:\n      - ${LOG_DIR}/*.log\noutputs:\n  - type: file\n    path: ${OUT_DIR}\n');
    expect(logship(['validate', '--config', file], { LOG_DIR: '/logs', OUT_DIR: '/out' }).code).toBe(0);
    const r = logship(['validate', '--config', file], { LOG_DIR: '/logs' });
    expect(r.code).toBe(1);
    expect(expectErrorLines(r.stderr, 1)).toEqual(['logship: outputs[0].path: environment variable OUT_DIR is not set (line 6)']);
  });

  it('reports a YAML syntax error with its line', () => {
    const r = logship(['validate', '--config', configFile('syntax.yaml', 'inputs:\n  - paths: ["a.log"\noutputs: []\n')]);
    expect(r.code).toBe(1);
    expect(expectErrorLines(r.stderr, 1)[0]).toMatch(/^logship: YAML syntax: .+ \(line \d+, column \d+\)$/);
  });

  it('does not echo a secret value', () => {
    const file = configFile('secret.yaml', 'inputs:\n  - paths: [a.log]\noutputs:\n  - type: stdout\n    password: hunter2\n');
    const r = logship(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('logship: outputs[0].password: unknown key (line 5)\n');
  });

  it('exits 1 naming the file and the reason when the file is missing', () => {
    const missing = path.join(dir, 'missing.yaml');
    const r = logship(['validate', '--config', missing]);
    expect(r.code).toBe(1);
    expect(expectErrorLines(r.stderr, 1)[0]).toBe(`logship: cannot read config file ${missing}: no such file or directory (ENOENT)`);
  });

  it('takes the config from $LOGSHIP_CONFIG, else ./logship.yaml', () => {
    const bad = configFile('env-config.yaml', 'inputs: []\n');
    expect(logship(['validate'], { LOGSHIP_CONFIG: bad }).code).toBe(1);
    // --config wins over the environment.
    expect(logship(['validate', '--config', configFile('good2.yaml', GOOD)], { LOGSHIP_CONFIG: bad }).code).toBe(0);

    const r = logship(['validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot read config file ./logship.yaml`);
    configFile('logship.yaml', GOOD);
    expect(logship(['validate']).code).toBe(0);
  });
});

describe('the command line', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(logship(['--version'])).toEqual({ code: 0, stdout: `logship ${version}\n`, stderr: '' });
  });

  it('--help lists the commands on stdout', () => {
    const r = logship(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: logship COMMAND/);
    for (const command of ['run', 'validate', 'parse']) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each([
    [['validate', '--help'], 'Usage: logship validate'],
    [['validate', '-h'], 'Usage: logship validate'],
    [['run', '--help'], 'Usage: logship run'],
    [['parse', '--help'], 'Usage: logship parse'],
    [['--help', 'validate'], 'Usage: logship validate'],
  ])('%j prints that command\'s help', (args, heading) => {
    const r = logship(args);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(heading)).toBe(true);
  });

  it.each([
    [['frobnicate'], /^logship: unknown command "frobnicate"/],
    [[], /^logship: missing command/],
    [['--frobnicate'], /^logship: unknown option --frobnicate/],
    [['validate', '--frobnicate'], /^logship: unknown option --frobnicate/],
    [['run', '--config'], /^logship: option --config needs a value/],
    [['validate', 'extra.yaml'], /^logship: unexpected argument "extra.yaml"/],
  ])('%j is a usage error: exit 2, one line on stderr', (args, message) => {
    const r = logship(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(expectErrorLines(r.stderr, 1)[0]).toMatch(message);
  });

  it('parse without --format (or --config) is a usage error: exit 2, one line', () => {
    const r = logship(['parse']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('logship: --format NAME is required (or --config FILE) (see logship parse --help)\n');
  });
});
