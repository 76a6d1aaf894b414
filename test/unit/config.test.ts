import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatPath, issueToProblems } from '../../src/config/errors.js';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/load.js';
import { expand } from '../../src/config/substitute.js';
import { parseDuration, parseSize } from '../../parsers/units.js';
import { duration, size } from '../../src/config/units.js';

const MINIMAL = `inputs:
  - paths: ["/var/log/app/*.log"]
outputs:
  - type: stdout
`;

/** The problems a config text is rejected with; fails the test when it is accepted. */
function problemsOf(text: string, env: Record<string, string | undefined> = {}): string[] {
  try {
    parseConfigText(text, 'test.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('config was accepted, expected problems');
}

describe('a valid config', () => {
  it('fills defaults and names every input and output', () => {
    const config = parseConfigText(
      `inputs:
  - paths: [a.log]
  - name: web
    paths: [b.log]
outputs:
  - type: stdout
  - type: file
    path: ./out
`,
      'test.yaml',
      {},
    );
    expect(config.inputs.map((i) => i.name)).toEqual(['input-0', 'web']);
    expect(config.outputs.map((o) => o.name)).toEqual(['stdout-0', 'file-1']);
    expect(config.inputs[0]).toMatchObject({ start_at: 'beginning', parser: 'plain', exclude: [], max_line_bytes: 1024 * 1024 });
    expect(config.buffer.path).toBe('./data');
    expect(config.shutdown.timeout).toBe(30_000);
  });

  it('turns sizes into bytes and durations into milliseconds', () => {
    const config = parseConfigText(
      `inputs:
  - paths: [a.log]
    max_line_bytes: 64KiB
    poll_interval: 500ms
outputs:
  - type: file
    path: ./out
    object: { max_bytes: 5MiB, max_age: 2m }
`,
      'test.yaml',
      {},
    );
    expect(config.inputs[0]!.max_line_bytes).toBe(64 * 1024);
    expect(config.inputs[0]!.poll_interval).toBe(500);
    const out = config.outputs[0]!;
    expect(out.type === 'file' && out.object).toEqual({ max_bytes: 5 * 1024 * 1024, max_age: 120_000 });
  });
});

describe('sizes and durations', () => {
  it.each([
    ['5MiB', 5 * 1024 ** 2], ['5mib', 5 * 1024 ** 2], ['512KB', 512_000], ['1.5KiB', 1536], ['1048576', 1048576], [42, 42], ['1 GiB', 1024 ** 3],
  ])('parseSize(%j) = %d', (input, bytes) => expect(parseSize(input)).toBe(bytes));

  it.each(['5 potatoes', '', 'MiB', '-1', '1e3', 'five'])('parseSize(%j) is undefined', (input) => expect(parseSize(input)).toBeUndefined());
  it('parseSize rejects negative and fractional byte counts', () => {
    expect(parseSize(-1)).toBeUndefined();
    expect(parseSize(1.5)).toBeUndefined();
  });

  it.each([
    ['500ms', 500], ['2s', 2000], ['5m', 300_000], ['1h', 3_600_000], ['1.5s', 1500], ['1d', 86_400_000],
  ])('parseDuration(%j) = %d', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['10', '5 minutes', 's', ''])('parseDuration(%j) is undefined', (input) => expect(parseDuration(input)).toBeUndefined());
  it('parseDuration rejects a bare number: the unit is not guessable', () => expect(parseDuration(10)).toBeUndefined());

  it('the zod types explain what they expected', () => {
    expect(size({ min: 0, max: 1024 }).safeParse('5 potatoes').error?.issues[0]?.message).toBe('expected a size like 5MiB, got "5 potatoes"');
    expect(duration({ min: 0, max: 1000 }).safeParse(3).error?.issues[0]?.message).toMatch(/^expected a duration like 500ms/);
  });
});

describe('problems', () => {
  it('names a bad size by its path, with the value and the line', () => {
    expect(
      problemsOf(`inputs:
  - paths: [a.log]
outputs:
  - type: file
    path: ./out
    object:
      max_bytes: 5 potatoes
`),
    ).toEqual(['outputs[0].object.max_bytes: expected a size like 5MiB, got "5 potatoes" (line 7)']);
  });

  it('names each unknown key by its full path and line, at any depth', () => {
    expect(
      problemsOf(`inputs:
  - paths: [a.log]
    pathz: [b.log]
outputs:
  - type: file
    path: ./out
    object: { max_bytez: 1MiB, color: red }
bufer: {}
`),
    ).toEqual([
      'inputs[0].pathz: unknown key (line 3)',
      'outputs[0].object.max_bytez: unknown key (line 7)',
      'outputs[0].object.color: unknown key (line 7)',
      'bufer: unknown key (line 8)',
    ]);
  });

  it('says "required" for a missing field, pointing at the entry that lacks it', () => {
    expect(problemsOf(`inputs:\n  - name: app\noutputs:\n  - type: stdout\n`)).toEqual(['inputs[0].paths: required (line 2)']);
    expect(problemsOf(`inputs:\n  - paths: [a.log]\n`)).toEqual(['outputs: required']);
  });

  it('tells a missing field from a wrong type', () => {
    expect(problemsOf(`inputs:\n  - paths: "a.log"\noutputs: [{type: stdout}]\n`)).toEqual([
      'inputs[0].paths: expected a list, got "a.log" (line 2)',
    ]);
    expect(problemsOf(`inputs:\n  - paths:\noutputs: [{type: stdout}]\n`)).toEqual([
      'inputs[0].paths: expected a list, got an empty value (line 2)',
    ]);
  });

  it('describes a wrong type for a size without guessing', () => {
    expect(problemsOf(`inputs:\n  - paths: [a.log]\n    max_line_bytes: [1]\noutputs: [{type: stdout}]\n`)).toEqual([
      'inputs[0].max_line_bytes: expected a string or a number, got a list (line 3)',
    ]);
  });

  it('names the allowed values of an enum', () => {
    expect(problemsOf(`inputs:\n  - paths: [a.log]\n    start_at: middle\noutputs: [{type: stdout}]\n`)).toEqual([
      'inputs[0].start_at: expected one of beginning, end, got "middle" (line 3)',
    ]);
  });

  it('names the output types for an unknown or missing type', () => {
    expect(
      problemsOf(`inputs:
  - paths: [a.log]
outputs:
  - type: stdout
  - type: kafka
  - name: nameless
`),
    ).toEqual([
      'outputs[1].type: expected one of file, stdout, elasticsearch, s3, opensearch, got "kafka" (line 5)',
      'outputs[2].type: required, one of file, stdout, elasticsearch, s3, opensearch (line 6)',
    ]);
  });

  it('reports empty lists and empty strings', () => {
    expect(problemsOf(`inputs: []\noutputs: [{type: file, path: ""}]\n`)).toEqual([
      'inputs: needs at least 1 item (line 1)',
      'outputs[0].path: must not be empty (line 2)',
    ]);
  });

  it('reports cross-reference problems (duplicate names, unknown inputs)', () => {
    expect(
      problemsOf(`inputs:
  - name: app
    paths: [a.log]
  - name: app
    paths: [b.log]
outputs:
  - type: stdout
    inputs: [ghost]
`),
    ).toEqual(['inputs[1].name: duplicate input name "app" (line 4)', 'outputs[0].inputs[0]: no input named "ghost" (line 8)']);
  });

  it('reports every problem at once, in file order', () => {
    const problems = problemsOf(`inputs:
  - paths: [a.log]
    max_line_bytes: lots
    start_at: middle
    pathz: []
outputs:
  - type: carrier-pigeon
`);
    expect(problems).toEqual([
      'inputs[0].max_line_bytes: expected a size like 5MiB, got "lots" (line 3)',
      'inputs[0].start_at: expected one of beginning, end, got "middle" (line 4)',
      'inputs[0].pathz: unknown key (line 5)',
      'outputs[0].type: expected one of file, stdout, elasticsearch, s3, opensearch, got "carrier-pigeon" (line 7)',
    ]);
  });

  it('quotes keys that are not identifiers, so the path stays unambiguous', () => {
    expect(formatPath(['inputs', 0, 'fields', 'service.name'])).toBe('inputs[0].fields["service.name"]');
    expect(problemsOf(`inputs:\n  - paths: [a.log]\n    fields: { service.name: [x] }\noutputs: [{type: stdout}]\n`)).toEqual([
      'inputs[0].fields["service.name"]: expected a string, a number or a boolean, got a list (line 3)',
    ]);
  });
});

describe('YAML problems', () => {
  it('reports a syntax error with line and column', () => {
    expect(problemsOf(`inputs:\n  - paths: [a.log\noutputs: []\n`)).toEqual([expect.stringMatching(/^YAML syntax: .+ \(line \d+, column \d+\)$/)]);
    expect(problemsOf(`inputs: x\ninputs: y\noutputs: x\noutputs: y\n`)).toEqual([
      'YAML syntax: Map keys must be unique (line 2, column 1)',
      'YAML syntax: Map keys must be unique (line 4, column 1)',
    ]);
  });

  it('reports only the first of a cascade of syntax errors', () => {
    expect(problemsOf(`inputs: [{paths: [a.log}\noutputs: [{type: stdout}]\n`)).toHaveLength(1);
  });

  it('rejects an empty file and a document that is not a mapping', () => {
    expect(problemsOf('')).toEqual(['the config is empty: expected a mapping with inputs and outputs']);
    expect(problemsOf('# only a comment\n')).toEqual(['the config is empty: expected a mapping with inputs and outputs']);
    expect(problemsOf('- a\n- b\n')).toEqual([expect.stringContaining('must be a mapping with inputs and outputs at the top level, got a list')]);
    expect(problemsOf('just text\n')).toEqual([expect.stringContaining('got a single value')]);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10).fill(`*${'abcdefghij'[i - 1]}`).join(', ')}]`);
    expect(problemsOf(`${levels.join('\n')}\n${MINIMAL}`)).toEqual([expect.stringMatching(/^YAML: .*alias/i)]);
  });

  it('rejects a file with several documents', () => {
    expect(problemsOf(`${MINIMAL}---\n${MINIMAL}`)).toEqual([expect.stringMatching(/more than one YAML document .*\(line 5, column 1\)$/)]);
  });
});

describe('environment substitution', () => {
  it('expands ${VAR} and ${VAR:-default}, POSIX-style', () => {
    const env = { A: 'alpha', EMPTY: '' };
    expect(expand('${A}/x', env).value).toBe('alpha/x');
    expect(expand('${B:-beta}', env).value).toBe('beta');
    expect(expand('${EMPTY:-fallback}', env).value).toBe('fallback');
    expect(expand('${A:-unused}', env).value).toBe('alpha');
    expect(expand('${EMPTY}', env)).toEqual({ value: '', substituted: true, problems: [] });
    expect(expand('${B:-}', env).value).toBe('');
  });

  it('treats $${VAR} as a literal ${VAR}', () => {
    expect(expand('$${A} and ${A}', { A: 'x' }).value).toBe('${A} and x');
    expect(expand('$${A}', { A: 'x' })).toEqual({ value: '${A}', substituted: false, problems: [] });
  });

  it('never expands a variable inside a value taken from the environment', () => {
    expect(expand('${A}', { A: '${B}', B: 'no' }).value).toBe('${B}');
  });

  it('reports malformed, nested and unclosed references', () => {
    expect(expand('${bad-name}', {}).problems).toEqual([expect.stringContaining('malformed variable reference in "${bad-name}"')]);
    expect(expand('${A:-${B}}', {}).problems).toEqual([expect.stringContaining('nested variable references are not supported')]);
    expect(expand('abc${A', {}).problems).toEqual([expect.stringContaining('unclosed variable reference')]);
  });

  it('substitutes in scalar values anywhere in the document', () => {
    const config = parseConfigText(
      `inputs:
  - name: \${NAME}
    paths: ["\${LOG_DIR}/*.log", "\${OTHER:-/srv}/*.log"]
outputs:
  - type: file
    path: \${OUT:-./out}
    object:
      max_bytes: \${SIZE}
`,
      'test.yaml',
      { NAME: 'app', LOG_DIR: '/var/log/app', SIZE: '5MiB' },
    );
    expect(config.inputs[0]!.name).toBe('app');
    expect(config.inputs[0]!.paths).toEqual(['/var/log/app/*.log', '/srv/*.log']);
    const out = config.outputs[0]!;
    expect(out.type === 'file' && [out.path, out.object.max_bytes]).toEqual(['./out', 5 * 1024 ** 2]);
  });

  it('cannot inject structure: a value with YAML syntax stays one string', () => {
    const hostile = 'x"]\n    start_at: end\n    pathz: [y';
    const config = parseConfigText(
      `inputs:\n  - paths:\n      - \${P}\n      - "\${P}"\noutputs: [{type: stdout}]\n`,
      'test.yaml',
      { P: hostile },
    );
    expect(config.inputs[0]!.paths).toEqual([hostile, hostile]);
    expect(config.inputs[0]!.start_at).toBe('beginning');
  });

  it('types a plain scalar as if its text were written there; a quoted one stays a string', () => {
    const config = parseConfigText(
      `inputs:\n  - paths: [a.log]\n    fields:\n      n: \${N}\n      on: \${ON}\n      q: "\${N}"\n      s: \${S}\noutputs: [{type: stdout}]\n`,
      'test.yaml',
      { N: '42', ON: 'true', S: 'null' },
    );
    expect(config.inputs[0]!.fields).toEqual({ n: 42, on: true, q: '42', s: 'null' });
  });

  it('does not substitute mapping keys', () => {
    expect(problemsOf(`\${K}: 1\n${MINIMAL}`, { K: 'inputs' })).toEqual(['["${K}"]: unknown key (line 1)']);
  });

  it('hints that a variable inside [ ] or { } must be quoted', () => {
    const hint = '; inside [ ] or { } a variable must be quoted: "${VAR}"';
    expect(problemsOf(`inputs:\n  - paths: [\${LOG}]\noutputs: [{type: stdout}]\n`, { LOG: 'a' })).toEqual([
      expect.stringMatching(/^YAML syntax: .+ \(line 2, column \d+\)$/),
    ]);
    expect(problemsOf(`inputs:\n  - paths: [\${LOG}]\noutputs: [{type: stdout}]\n`, { LOG: 'a' })[0]).toContain(hint);
    expect(problemsOf(`inputs:\n  - paths: [a]\n    fields: { n: \${N} }\noutputs: [{type: stdout}]\n`, { N: '1' })[0]).toContain(hint);
    // Block style needs no quotes.
    expect(parseConfigText(`inputs:\n  - paths:\n      - \${LOG}\noutputs: [{type: stdout}]\n`, 't', { LOG: 'a' }).inputs[0]!.paths).toEqual(['a']);
  });

  it('names an unset variable by the path of the value that uses it', () => {
    expect(problemsOf(`inputs:\n  - paths: ["\${LOG_DIR}/*.log"]\noutputs: [{type: stdout}]\n`)).toEqual([
      'inputs[0].paths[0]: environment variable LOG_DIR is not set (line 2)',
    ]);
  });

  it('reports an unset variable once, not again as the schema problem it causes', () => {
    expect(
      problemsOf(`inputs:\n  - paths: [a.log]\n    max_line_bytes: \${MAX}\n    start_at: middle\noutputs: [{type: stdout}]\n`),
    ).toEqual([
      'inputs[0].max_line_bytes: environment variable MAX is not set (line 3)',
      'inputs[0].start_at: expected one of beginning, end, got "middle" (line 4)',
    ]);
  });
});

describe('secrets', () => {
  const secretSchema = z.strictObject({
    password: z.number(),
    api_key: size({ min: 0, max: 1024 }),
    token: z.enum(['a', 'b']),
    credentials: z.strictObject({ key: z.string().refine((v) => v.length > 20, { message: 'too short: xyzzy-hunter2' }) }),
  });
  const data = { password: 'hunter2', api_key: 'hunter2', token: 'hunter2', credentials: { key: 'xyzzy-hunter2' } };

  it('never echoes a value under a secret-looking key', () => {
    const issues = secretSchema.safeParse(data).error!.issues;
    const messages = issues.flatMap((issue) => issueToProblems(issue, data)).map((p) => `${formatPath(p.path)}: ${p.message}`);
    expect(messages).toEqual([
      'password: expected a number',
      'api_key: expected a size like 5MiB',
      'token: expected one of a, b',
      'credentials.key: too short: [redacted]',
    ]);
    for (const m of messages) expect(m).not.toContain('hunter2');
  });

  it('still echoes values under ordinary keys', () => {
    const issues = z.strictObject({ port: z.number() }).safeParse({ port: 'eighty' }).error!.issues;
    expect(issueToProblems(issues[0]!, { port: 'eighty' })[0]!.message).toBe('expected a number, got "eighty"');
  });

  it('never echoes a value that came from the environment, whatever its key', () => {
    const problems = problemsOf(`inputs:\n  - paths: [a.log]\n    max_line_bytes: \${MAX}\n    poll_interval: fast\noutputs: [{type: stdout}]\n`, {
      MAX: 'https://user:hunter2@host',
    });
    expect(problems).toEqual([
      'inputs[0].max_line_bytes: expected a size like 5MiB (line 3)',
      'inputs[0].poll_interval: expected a duration like 500ms, 2s or 5m, got "fast" (line 4)',
    ]);
  });

  it('keeps secrets out of substitution and unknown-key problems', () => {
    const err = (() => {
      try {
        parseConfigText(
          `inputs:\n  - paths: [a.log]\n    fields: { db_password: "s3cr3t\${" }\noutputs:\n  - type: stdout\n    api_token: s3cr3t-too\n`,
          'test.yaml',
          {},
        );
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(err.problems).toEqual([
      expect.stringMatching(/^inputs\[0\]\.fields\.db_password: unclosed variable reference/),
      'outputs[0].api_token: unknown key (line 6)',
    ]);
    expect(err.message).not.toContain('s3cr3t');
    expect(err.problems.join('\n')).not.toContain('s3cr3t');
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logship-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and substitutes from the given environment', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'inputs:\n  - paths: ["${D}/*.log"]\noutputs: [{type: stdout}]\n');
    const config = await loadConfig(file, { D: '/logs' });
    expect(config.inputs[0]!.paths).toEqual(['/logs/*.log']);
  });

  it('names the file and the OS reason when it cannot be read', async () => {
    const file = join(dir, 'missing.yaml');
    const err = await loadConfig(file, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([`cannot read config file ${file}: no such file or directory (ENOENT)`]);
    expect((err as ConfigError).source).toBe(file);
  });

  it('labels the error with the file and lists each problem in its message', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'inputs:\n  - pathz: [a]\noutputs: [{type: stdout}]\n');
    await expect(loadConfig(file, {})).rejects.toThrow(`invalid config ${file}:\n  inputs[0].paths: required (line 2)\n  inputs[0].pathz: unknown key (line 2)`);
  });
});
