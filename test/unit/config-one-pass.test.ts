// `validate` names every problem in one run, each once: cross-key checks
// (parser names and options, presets, references between inputs and outputs,
// unique names) run even when other keys failed. Output names are safe
// directory names, and the status server address is a real host:port.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.js';

function problems(text: string): string[] {
  try {
    parseConfigText(text, 'test.yaml', {});
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

const MANY = `inputs:
  - name: app
    paths: [/var/log/app.log]
    parser: nosuchparser
    poll_interval: 0ms
    start_at: middle
  - name: web
    paths: [/var/log/web.log]
    parser: { name: regex, options: { pattern: "([a-z" } }
    multiline: { preset: cobol }
    max_line_bytes: 0
  - name: app
    paths: []
    bogus: 1
outputs:
  - type: file
    name: ../../escaped
    path: /tmp/out
    inputs: [ap]
    object: { max_age: 1s, max_bytes: 0 }
  - type: elasticsearch
    hosts: http://es:9200
    index: logs
    data_stream: {}
    batch: { max_bytes: 0 }
  - type: stdout
    name: a
  - type: stdout
    name: A
buffer: { max_size: 0 }
shutdown: { timeout: 30d }
server: { listen: "127.0.0.1:99999" }
`;

describe('validate in one pass', () => {
  it('a config with 19 mistakes gets 19 problems, each once, in file order', () => {
    const got = problems(MANY);
    const expected = [
      /^inputs\[0\]\.parser: unknown parser "nosuchparser"/,
      /^inputs\[0\]\.poll_interval: expected at least 50ms, got 0ms/,
      /^inputs\[0\]\.start_at: expected one of beginning, end/,
      /^inputs\[1\]\.parser\.options\.pattern: .*invalid pattern/,
      /^inputs\[1\]\.multiline: .*unknown preset "cobol"/,
      /^inputs\[1\]\.max_line_bytes: expected at least 256B, got 0/,
      /^inputs\[2\]\.name: duplicate input name "app"/,
      /^inputs\[2\]\.paths: needs at least 1 item/,
      /^inputs\[2\]\.bogus: unknown key/,
      /^outputs\[0\]\.name: expected letters, digits/,
      /^outputs\[0\]\.inputs\[0\]: no input named "ap"/,
      /^outputs\[0\]\.object\.max_bytes: expected at least 100B, got 0/,
      /^outputs\[1\]: expected one of index .* not both/,
      /^outputs\[1\]\.batch\.max_bytes: expected at least 1KiB, got 0/,
      /^outputs\[3\]\.name: duplicate output name "A"/,
      /^buffer\.max_size: expected at least 1MiB, got 0/,
      /^shutdown\.timeout: expected at most 1d, got 30d/,
      /^server\.listen: expected a port from 0 to 65535, got "99999"/,
    ];
    expect(new Set(got).size, `a problem printed twice:\n${got.join('\n')}`).toBe(got.length);
    expect(got.length, got.join('\n')).toBe(expected.length);
    for (const [i, re] of expected.entries()) expect(got[i], got.join('\n')).toMatch(re);
  });
});

describe('output names are safe directory names', () => {
  const config = (names: string[]) =>
    `inputs: [{ paths: [a.log] }]\noutputs:\n${names.map((n) => `  - { type: stdout, name: ${JSON.stringify(n)} }`).join('\n')}\n`;

  it.each(['./a', '../../escaped', '.', '..', 'a/b', '-a', '_a', 'a b', '', 'x'.repeat(129)])('%j is refused', (name) => {
    const got = problems(config([name]));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^outputs\[0\]\.name: /);
  });

  it.each(['a', 'es-1', 'Archive_2.v1', '0'])('%j is valid', (name) => expect(problems(config([name]))).toEqual([]));

  it('names that differ only in case are duplicates (one directory on a case-insensitive filesystem)', () => {
    expect(problems(config(['es', 'ES']))).toEqual([expect.stringMatching(/^outputs\[1\]\.name: duplicate output name "ES"/)]);
  });
});

describe('server.listen', () => {
  const config = (listen: string) => `inputs: [{ paths: [a.log] }]\noutputs: [{ type: stdout }]\nserver: { listen: ${JSON.stringify(listen)} }\n`;
  it.each(['127.0.0.1:99999', '127.0.0.1:65536', '127.0.0.1:', ':2020', '2020', '300.1.1.1:80', '[::zz]:80', 'bad_host:80', '::1:80'])('%j is refused', (listen) => {
    expect(problems(config(listen))).toEqual([expect.stringMatching(/^server\.listen: expected /)]);
  });
  it.each(['127.0.0.1:0', '0.0.0.0:2020', '[::1]:65535', 'localhost:9090', 'logship.svc.cluster.local:80'])('%j is valid', (listen) => {
    expect(problems(config(listen))).toEqual([]);
  });
});
