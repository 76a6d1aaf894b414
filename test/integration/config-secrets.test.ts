// No config error may print a secret: values of password/api_key/token/secret*
// keys and the userinfo of any URL, whatever the error (schema, YAML syntax,
// an unresolved alias, a bad type, a value from the environment). Every shape
// goes through the real CLI, `validate` and `run`, and the output is grepped.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, requireEngine } from '../support/logship-process.js';

/** Every secret below contains it; finding it anywhere in the output is a leak. */
const MARK = 'S3CR3T';

const dir = mkdtempSync(path.join(tmpdir(), 'logship-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INPUTS = 'inputs: [{ paths: [/nonexistent/app.log] }]\n';
const es = (body: string) => `${INPUTS}outputs:\n  - type: elasticsearch\n${body.replace(/^/gm, '    ')}\n`;

const shapes: [string, string, Record<string, string>?][] = [
  ['a URL without a scheme', es(`hosts: "elastic:Sup3r${MARK}@es:9200"\nindex: logs`)],
  ['a URL without a scheme, unquoted, in a list', es(`hosts: [elastic:Sup3r${MARK}@es:9200]\nindex: logs`)],
  ['a password holding / # ?', es(`hosts: "http://elastic:Pa/ss#${MARK}?x@es:9200"\nindex: logs`)],
  ['a password holding / # ? and no scheme', es(`hosts: "elastic:Pa/ss#${MARK}?x@es:9200"\nindex: logs`)],
  ['a password holding @ in a non-http URL', es(`hosts: ["ftp://elastic:p@${MARK}@es:21"]\nindex: logs`)],
  ['a URL with userinfo under an enum key', es(`hosts: http://es:9200\nindex: logs\ncompression: "http://u:${MARK}@x"`)],
  ['a URL with userinfo as an index name', es(`hosts: http://es:9200\nindex: "http://u:${MARK}@x"`)],
  ['an unresolved alias as a password', es(`hosts: http://es:9200\nindex: logs\nauth: {username: u, password: *${MARK}aaa}`)],
  ['a block scalar header with text after |', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password: |${MARK}bbb`)],
  ['a block scalar header with text after >', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password: >-${MARK}bbb`)],
  ['a bad escape in a quoted password', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password: "x\\q${MARK}"`)],
  ['an unclosed quote in a password', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password: "${MARK}\nfoo: 1`)],
  ['a nested mapping on the password line', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password: ${MARK}: x`)],
  ['a broken line inside a secret block', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password:\n    ${MARK}: [unclosed`)],
  ['a duplicate password key', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password: ${MARK}1\n  password: ${MARK}2`)],
  ['a tab after the password', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password: ${MARK}\n\tx: 1`)],
  ['a list as a password', es(`hosts: http://es:9200\nindex: logs\nauth:\n  username: u\n  password: [${MARK}]`)],
  ['a mapping as an api_key', es(`hosts: http://es:9200\nindex: logs\nauth:\n  api_key: { ${MARK}: 1 }`)],
  ['a number as a bearer_token', es(`hosts: http://es:9200\nindex: logs\nauth:\n  bearer_token: 7${MARK.length}\n  api_key: ${MARK}`)],
  ['password and api_key together', es(`hosts: http://es:9200\nindex: logs\nauth: { username: u, password: ${MARK}, api_key: ${MARK}x }`)],
  ['an unknown secret-looking key', `${INPUTS}outputs: [{ type: stdout }]\nsecret_key: ${MARK}\n`],
  ['a secret in an unknown key of auth', es(`hosts: http://es:9200\nindex: logs\nauth: { username: u, password: p, client_secret: ${MARK} }`)],
  ['a URL from the environment without a scheme', es('hosts: ${ES_URL}\nindex: logs'), { ES_URL: `elastic:${MARK}@es:9200` }],
  ['a URL from the environment with / # ? in the password', es('hosts: "${ES_URL}"\nindex: logs'), { ES_URL: `https://elastic:a/b#${MARK}?@es:9200` }],
  ['a URL from the environment inside a list', es('hosts: ["http://es:9200", "${ES_URL}"]\nindex: logs'), { ES_URL: `es:${MARK}@x:1` }],
  ['a password from the environment beside an api_key', es('hosts: http://es:9200\nindex: logs\nauth: { username: u, password: "${ES_PASSWORD}", api_key: k }'), { ES_PASSWORD: MARK }],
  ['a password from the environment with a bad reference beside it', es('hosts: http://es:9200\nindex: logs\nauth: { username: u, password: "${ES_PASSWORD}${", api_key: k }'), { ES_PASSWORD: MARK }],
  ['a quoted password holding a quote, beside an api_key', es(`hosts: http://es:9200\nindex: logs\nauth: { username: u, password: "a\\"b, c: ${MARK}", api_key: k }`)],
  ['an unset variable in a password', es(`hosts: http://es:9200\nindex: logs\nauth: { username: u, password: "${MARK}\${NOPE_NOT_SET}" }`)],
  ['an env password under a wrong type', `${INPUTS}outputs: [{ type: stdout }]\nbuffer: { max_size: "\${SIZE}" }\n`, { SIZE: `http://u:${MARK}@x` }],
];

function cli(command: string, config: string, env: Record<string, string> = {}): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, command, '--config', config], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 100_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('config errors never print a secret', () => {
  requireEngine();
  it.each(shapes.map(([name, yaml, env], i) => ({ name, yaml, env, i })))('$name', async ({ yaml, env, i }) => {
    const file = path.join(dir, `c${i}.yaml`);
    writeFileSync(file, yaml);
    const commands = ['validate', 'run'] as const;
    const results = await Promise.all(commands.map((command) => cli(command, file, env)));
    for (const [k, command] of commands.entries()) {
      const { status, output } = results[k]!;
      expect(status, `${command} exit (output: ${output})`).toBe(1);
      expect(output, `${command} names a problem`).toMatch(/^logship: /m);
      expect(output, `${command} leaked the secret`).not.toContain(MARK);
      expect(output, `${command} printed a stack trace`).not.toMatch(/\n\s+at /);
    }
  });
});
