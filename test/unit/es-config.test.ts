import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ElasticsearchOutputConfig } from '../../outputs/elasticsearch/config.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'logship-es-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function write(text: string): string {
  const file = join(dir, `config-${fileCounter++}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** A config whose only output is an elasticsearch output with these (indented) lines. */
function esConfig(outputLines: string): string {
  const body = outputLines
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `inputs:\n  - paths: [/var/log/app/*.log]\noutputs:\n  - type: elasticsearch\n${body}\n`;
}

async function loadEs(outputLines: string, env: Record<string, string> = {}): Promise<ElasticsearchOutputConfig & { name: string }> {
  const config = await loadConfig(write(esConfig(outputLines)), env);
  const out = config.outputs[0]!;
  if (out.type !== 'elasticsearch') throw new Error(`expected an elasticsearch output, got ${out.type}`);
  return out;
}

/** The ConfigError a config is rejected with; fails the test when it is accepted. */
async function rejection(outputLines: string, env: Record<string, string> = {}): Promise<ConfigError> {
  const err = await loadConfig(write(esConfig(outputLines)), env).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) throw new Error('config was accepted, expected problems');
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

async function problemsOf(outputLines: string, env: Record<string, string> = {}): Promise<string[]> {
  return (await rejection(outputLines, env)).problems;
}

describe('elasticsearch output: defaults', () => {
  it('a minimal index output gets the documented defaults', async () => {
    const out = await loadEs('hosts: http://localhost:9200\nindex: logs-%Y.%m.%d');
    expect(out.name).toBe('elasticsearch-0');
    expect(out.hosts).toEqual(['http://localhost:9200']);
    expect(out.index).toBe('logs-%Y.%m.%d');
    expect(out.data_stream).toBeUndefined();
    expect(out.batch).toEqual({ max_bytes: 5 * 1024 * 1024, max_events: 20_000, timeout: 300, idle_gap: 100 });
    expect(out.concurrency).toBe(2);
    expect(out.compression).toBe('gzip');
    expect(out.request_timeout).toBe(30_000);
    expect(out.index_template).toEqual({ enabled: false, name: 'logship', priority: 200 });
    expect(out.api_version).toBe('auto');
    expect(out.retry).toEqual({ initial_backoff: 200, max_backoff: 30_000 });
    expect(out.dead_letter).toEqual({ max_bytes: 100 * 1024 * 1024, max_files: 5 });
    expect(out.auth).toBeUndefined();
    expect(out.tls).toBeUndefined();
  });

  it('a minimal data_stream output gets the same defaults and logs-generic-default', async () => {
    const out = await loadEs('hosts: [https://es-1:9200, https://es-2:9200]\ndata_stream: {}');
    expect(out.hosts).toEqual(['https://es-1:9200', 'https://es-2:9200']);
    expect(out.index).toBeUndefined();
    expect(out.data_stream).toEqual({ type: 'logs', dataset: 'generic', namespace: 'default' });
    expect(out.batch).toEqual({ max_bytes: 5 * 1024 * 1024, max_events: 20_000, timeout: 300, idle_gap: 100 });
    expect(out.concurrency).toBe(2);
    expect(out.compression).toBe('gzip');
    expect(out.request_timeout).toBe(30_000);
    expect(out.index_template.enabled).toBe(false);
    expect(out.api_version).toBe('auto');
  });

  it('sizes and durations are read with their units', async () => {
    const out = await loadEs('hosts: http://es:9200\ndata_stream: { dataset: checkout, namespace: prod }\nbatch: { max_bytes: 10MiB, timeout: 2s, idle_gap: 250ms }\nrequest_timeout: 1m\nretry: { max_duration: 5m }\napi_version: 8\ncompression: none');
    expect(out.data_stream).toEqual({ type: 'logs', dataset: 'checkout', namespace: 'prod' });
    expect(out.batch).toEqual({ max_bytes: 10 * 1024 * 1024, max_events: 20_000, timeout: 2000, idle_gap: 250 });
    expect(out.request_timeout).toBe(60_000);
    expect(out.retry.max_duration).toBe(300_000);
    expect(out.api_version).toBe(8);
    expect(out.compression).toBe('none');
  });
});

describe('elasticsearch output: index or data_stream', () => {
  it('both → a problem on the output', async () => {
    const problems = await problemsOf('hosts: http://es:9200\nindex: logs\ndata_stream: {}');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^outputs\[0\]: expected one of index .* or data_stream .*, not both/);
  });

  it.each([
    ['upper case', 'Logs-%Y.%m.%d'],
    ['a *', 'logs-*'],
    ['a lone % at the end', 'logs-%'],
    ['a lone % before a dash', "'logs-%-x'"],
    ['an unknown specifier', 'logs-%B'],
    ['a space', "'logs %Y'"],
    ['a leading underscore', '_logs'],
    ['a colon', "'logs:%Y'"],
  ])('an index with %s → a problem naming outputs[0].index', async (_what, index) => {
    const problems = await problemsOf(`hosts: http://es:9200\nindex: ${index}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^outputs\[0\]\.index: /);
  });

  it('the upper-case problem says what is wrong', async () => {
    const [problem] = await problemsOf('hosts: http://es:9200\nindex: Logs-%Y');
    expect(problem).toMatch(/lower case/);
  });

  it('the lone-% problem says so', async () => {
    const [problem] = await problemsOf('hosts: http://es:9200\nindex: logs-%');
    expect(problem).toMatch(/lone "%"/);
  });

  it.each(['logs-%Y.%m.%d', 'logs-%%-%Y', 'logs-%Y.%m.%d-%H', 'logs-static'])('the index %j is accepted', async (index) => {
    expect((await loadEs(`hosts: http://es:9200\nindex: '${index}'`)).index).toBe(index);
  });

  it('a data_stream dataset with a dash or upper case → a problem naming it', async () => {
    const problems = await problemsOf('hosts: http://es:9200\ndata_stream: { dataset: my-app, namespace: Prod }');
    expect(problems.some((p) => p.startsWith('outputs[0].data_stream.dataset: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('outputs[0].data_stream.namespace: '))).toBe(true);
  });
});

describe('elasticsearch output: hosts', () => {
  it.each(['ftp://es:9200', 'es-1:9200', 'localhost:9200', 'not a url', '//es:9200'])('%j → a problem under outputs[0].hosts', async (host) => {
    const problems = await problemsOf(`hosts: '${host}'\nindex: logs`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^outputs\[0\]\.hosts(\[0\])?: expected an http:\/\/ or https:\/\/ URL/);
  });

  it('names the bad one in a list', async () => {
    const problems = await problemsOf("hosts: ['http://es-1:9200', 'ftp://es-2:9200']\nindex: logs");
    expect(problems).toEqual([expect.stringMatching(/^outputs\[0\]\.hosts\[1\]: expected an http:\/\/ or https:\/\/ URL/)]);
  });

  it('an empty list → a problem', async () => {
    const problems = await problemsOf('hosts: []\nindex: logs');
    expect(problems[0]).toMatch(/^outputs\[0\]\.hosts/);
  });

  it('missing hosts → a problem naming outputs[0].hosts', async () => {
    const problems = await problemsOf('index: logs');
    expect(problems).toEqual([expect.stringMatching(/^outputs\[0\]\.hosts: /)]);
  });

  it('missing hosts → required', async () => {
    const problems = await problemsOf('index: logs');
    expect(problems).toEqual([expect.stringMatching(/^outputs\[0\]\.hosts: required/)]);
  });
});

describe('elasticsearch output: auth', () => {
  const base = 'hosts: https://es:9200\nindex: logs';

  it.each([
    ['username + password', 'auth: { username: elastic, password: pw }', { username: 'elastic', password: 'pw' }],
    ['username + password_file', 'auth: { username: elastic, password_file: /run/secrets/pw }', { username: 'elastic', password_file: '/run/secrets/pw' }],
    ['api_key', 'auth: { api_key: abc }', { api_key: 'abc' }],
    ['api_key_file', 'auth: { api_key_file: /run/secrets/key }', { api_key_file: '/run/secrets/key' }],
    ['bearer_token', 'auth: { bearer_token: tok }', { bearer_token: 'tok' }],
  ])('%s is accepted', async (_what, auth, expected) => {
    expect((await loadEs(`${base}\n${auth}`)).auth).toEqual(expected);
  });

  it.each([
    ['nothing', 'auth: {}'],
    ['username + password and api_key', 'auth: { username: elastic, password: pw, api_key: abc }'],
    ['api_key and bearer_token', 'auth: { api_key: abc, bearer_token: tok }'],
    ['api_key_file and bearer_token_file', 'auth: { api_key_file: /a, bearer_token_file: /b }'],
    ['username with api_key (no password)', 'auth: { username: elastic, api_key: abc }'],
  ])('%s → not exactly one strategy', async (_what, auth) => {
    const problems = await problemsOf(`${base}\n${auth}`);
    expect(problems.some((p) => /^outputs\[0\]\.auth: .*exactly one of/.test(p))).toBe(true);
  });

  it('username without password → a problem', async () => {
    const problems = await problemsOf(`${base}\nauth: { username: elastic }`);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.startsWith('outputs[0].auth'))).toBe(true);
    expect(problems.some((p) => /needs both username and password/.test(p))).toBe(true);
  });

  it('password without username → a problem', async () => {
    const problems = await problemsOf(`${base}\nauth: { password: pw }`);
    expect(problems.some((p) => /^outputs\[0\]\.auth: .*needs both username and password/.test(p))).toBe(true);
  });

  it.each(['password', 'api_key', 'bearer_token'])('%s together with its _file → a problem on the _file key', async (k) => {
    const extra = k === 'password' ? 'username: elastic, ' : '';
    const problems = await problemsOf(`${base}\nauth: { ${extra}${k}: inline-value, ${k}_file: /run/secrets/x }`);
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^outputs\\[0\\]\\.auth\\.${k}_file: give ${k} or ${k}_file, not both`))]);
  });

  it('an unknown auth key is named', async () => {
    const problems = await problemsOf(`${base}\nauth: { username: elastic, password: pw, passwd: pw }`);
    expect(problems).toEqual([expect.stringMatching(/^outputs\[0\]\.auth\.passwd: unknown key/)]);
  });
});

describe('elasticsearch output: secrets from the environment', () => {
  const SECRET = 'Hunter2-s3cr3t!xyz';
  const NUMERIC_SECRET = '8675309123';

  /** Every way the error is shown: its problems and its message. */
  function expectNoSecret(err: ConfigError, secret: string): void {
    expect(err.problems.length).toBeGreaterThan(0);
    for (const p of err.problems) expect(p).not.toContain(secret);
    expect(err.message).not.toContain(secret);
  }

  it('${ES_PASSWORD} is substituted', async () => {
    const out = await loadEs('hosts: https://es:9200\nindex: logs\nauth:\n  username: elastic\n  password: ${ES_PASSWORD}', { ES_PASSWORD: SECRET });
    expect(out.auth).toEqual({ username: 'elastic', password: SECRET });
  });

  it('an unset ES_PASSWORD is a problem naming the variable', async () => {
    const problems = await problemsOf('hosts: https://es:9200\nindex: logs\nauth:\n  username: elastic\n  password: ${ES_PASSWORD}');
    expect(problems).toEqual([expect.stringMatching(/^outputs\[0\]\.auth\.password: .*ES_PASSWORD is not set/)]);
  });

  it('a valid secret in a config invalid elsewhere is never shown', async () => {
    const err = await rejection(
      `hosts: ftp://es:9200
index: Logs-%Y
concurrency: 0
compression: brotli
batch: { max_bytes: lots }
auth:
  username: elastic
  password: \${ES_PASSWORD}`,
      { ES_PASSWORD: SECRET },
    );
    expect(err.problems.length).toBeGreaterThanOrEqual(4);
    expectNoSecret(err, SECRET);
  });

  it('a secret in an invalid auth block (two strategies, value and file) is never shown', async () => {
    const err = await rejection(
      `hosts: https://es:9200
index: logs
auth:
  username: elastic
  password: \${ES_PASSWORD}
  password_file: /run/secrets/pw
  api_key: \${ES_PASSWORD}
  bearer_token: \${ES_PASSWORD}`,
      { ES_PASSWORD: SECRET },
    );
    expect(err.problems.length).toBeGreaterThanOrEqual(2);
    expectNoSecret(err, SECRET);
  });

  it('a numeric secret from the environment (retyped to a number) is rejected without being shown', async () => {
    const err = await rejection('hosts: https://es:9200\nindex: logs\nauth:\n  username: elastic\n  password: ${ES_PASSWORD}', { ES_PASSWORD: NUMERIC_SECRET });
    expect(err.problems).toEqual([expect.stringMatching(/^outputs\[0\]\.auth\.password: expected a string/)]);
    expectNoSecret(err, NUMERIC_SECRET);
  });

  it('a quoted numeric secret from the environment stays a string', async () => {
    const out = await loadEs('hosts: https://es:9200\nindex: logs\nauth:\n  username: elastic\n  password: "${ES_PASSWORD}"', { ES_PASSWORD: NUMERIC_SECRET });
    expect(out.auth?.password).toBe(NUMERIC_SECRET);
  });

  it.each([
    ['an inline number', 'password: 8675309123'],
    ['a list', 'password: ["${ES_PASSWORD}"]'],
    ['a mapping', 'password: { value: "${ES_PASSWORD}" }'],
    ['an empty string', 'password: "${ES_EMPTY:-}"\n  api_key: "${ES_PASSWORD}"'],
    ['a misspelt key', 'passwd: ${ES_PASSWORD}'],
  ])('a secret given as %s is never shown', async (_what, passwordLine) => {
    const err = await rejection(`hosts: https://es:9200\nindex: Bad\nauth:\n  username: elastic\n  ${passwordLine}`, { ES_PASSWORD: NUMERIC_SECRET, ES_EMPTY: '' });
    expectNoSecret(err, NUMERIC_SECRET);
  });

  it('a password in a host URL from the environment (in a list) is never shown when the URL is rejected', async () => {
    const err = await rejection('hosts: ["${ES_URL}"]\nindex: logs', { ES_URL: `htps://elastic:${SECRET}@es:9200` });
    expect(err.problems).toEqual([expect.stringMatching(/^outputs\[0\]\.hosts\[0\]: expected an http/)]);
    expectNoSecret(err, SECRET);
  });

  it('a password in a single host URL from the environment is never shown when the URL is rejected', async () => {
    const err = await rejection('hosts: ${ES_URL}\nindex: logs', { ES_URL: `htps://elastic:${SECRET}@es:9200` });
    expectNoSecret(err, SECRET);
  });
});

describe('elasticsearch output: tls', () => {
  const base = 'hosts: https://es:9200\nindex: logs';

  it('cert_file without key_file → a problem on tls', async () => {
    const problems = await problemsOf(`${base}\ntls: { cert_file: /etc/logship/client.crt }`);
    expect(problems).toEqual([expect.stringMatching(/^outputs\[0\]\.tls: cert_file and key_file go together/)]);
  });

  it('key_file without cert_file → a problem on tls', async () => {
    const problems = await problemsOf(`${base}\ntls: { key_file: /etc/logship/client.key }`);
    expect(problems).toEqual([expect.stringMatching(/^outputs\[0\]\.tls: cert_file and key_file go together/)]);
  });

  it('both, or a CA alone, are accepted; verify defaults to true', async () => {
    expect((await loadEs(`${base}\ntls: { cert_file: /c.crt, key_file: /c.key }`)).tls).toEqual({ cert_file: '/c.crt', key_file: '/c.key', verify: true });
    expect((await loadEs(`${base}\ntls: { ca_file: /ca.crt, verify: false }`)).tls).toEqual({ ca_file: '/ca.crt', verify: false });
  });
});

describe('elasticsearch output: other values', () => {
  const base = 'hosts: https://es:9200\nindex: logs';

  it.each([
    ['api_version: 6', /^outputs\[0\]\.api_version: /],
    ['compression: brotli', /^outputs\[0\]\.compression: /],
    ['concurrency: 0', /^outputs\[0\]\.concurrency: /],
    ['concurrency: 65', /^outputs\[0\]\.concurrency: /],
    ['batch: { timeout: 10 }', /^outputs\[0\]\.batch\.timeout: expected a duration/],
    ['request_timeout: soon', /^outputs\[0\]\.request_timeout: expected a duration/],
    ['request_timeout: 0s', /^outputs\[0\]\.request_timeout: expected at least 100ms, got 0s/],
    ['retry: { initial_backoff: 0ms }', /^outputs\[0\]\.retry\.initial_backoff: expected at least 1ms, got 0ms/],
    ['dead_letter: { max_files: 0 }', /^outputs\[0\]\.dead_letter\.max_files: /],
    ['bulk_size: 5MiB', /^outputs\[0\]\.bulk_size: unknown key/],
  ])('%s → a problem naming the path', async (line, pattern) => {
    const problems = await problemsOf(`${base}\n${line}`);
    expect(problems).toEqual([expect.stringMatching(pattern)]);
  });
});
