// `logship convert` on configurations modelled on the ones published in the
// Fluentd, Fluent Bit and aws-for-fluent-bit docs and examples
// (fixtures/convert/README.md lists each source): the output matches its
// golden file, and every generated config passes `logship validate`.
// UPDATE_GOLDEN=1 rewrites the golden files (review the diff).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputDefinitions } from '../../outputs/registry.js';
import { CLI, REPO_ROOT, requireEngine } from '../support/logship-process.js';

const FIXTURES = path.join(REPO_ROOT, 'fixtures/convert');

const CASES: { from: 'fluentd' | 'fluent-bit'; file: string }[] = [
  { from: 'fluentd', file: 'fluentd/apache-elasticsearch.conf' },
  { from: 'fluentd', file: 'fluentd/app-json-s3.conf' },
  { from: 'fluentd', file: 'fluentd/java-multiline.conf' },
  { from: 'fluent-bit', file: 'fluent-bit/tail-elasticsearch.conf' },
  { from: 'fluent-bit', file: 'fluent-bit/tail-opensearch.yaml' },
  { from: 'fluent-bit', file: 'fluent-bit/aws-ecs-daemon/fluent-bit.conf' },
  { from: 'fluent-bit', file: 'fluent-bit/aws-multiline/fluent-bit.conf' },
];

// The environment variables the fixtures reference, as a deployment would set them.
const FIXTURE_ENV = {
  ES_PASSWORD: 'secret',
  ES_USER: 'fluent',
  BUCKET_HOST: 'example-host-logs',
  REGION_HOST: 'eu-west-1',
  CLUSTER_NAME: 'prod',
};

let dir: string;
beforeAll(() => {
  requireEngine();
  dir = mkdtempSync(path.join(os.tmpdir(), 'logship-convert-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logship(args: string[], cwd: string, env: Record<string, string> = {}) {
  const { LOGSHIP_CONFIG: _, ...inherited } = process.env;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...inherited, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('logship convert: published configurations', () => {
  for (const { from, file } of CASES) {
    it(`${file}: the golden output, and logship validate accepts it`, () => {
      const r = logship(['convert', '--from', from, file], FIXTURES);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const golden = path.join(FIXTURES, `${file}.golden.yaml`);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, r.stdout);
      expect(r.stdout).toBe(readFileSync(golden, 'utf8'));

      let config = r.stdout;
      if (/^ {2}- type: opensearch$/m.test(config) && !outputDefinitions.some((d) => d.type === ('opensearch' as string))) {
        // This build has no OpenSearch output yet: the entry says so, and the rest must still validate.
        expect(config).toContain('a logship build without it rejects this entry');
        config = config.replace(/^( {2}- type: )opensearch$/gm, '$1elasticsearch');
      }
      const target = path.join(dir, `${file.replace(/[/.]/g, '_')}.yaml`);
      writeFileSync(target, config);
      const v = logship(['validate', '--config', target], dir, FIXTURE_ENV);
      expect(v.stderr).toBe('');
      expect(v.code).toBe(0);
    });
  }

  it('every directive of a section left unconverted is named with its line and a reason', () => {
    const r = logship(['convert', '--from', 'fluent-bit', 'fluent-bit/tail-elasticsearch.conf'], FIXTURES);
    expect(r.stdout).toMatch(/# Mem_Buf_Limit 5MB \(fluent-bit\/tail-elasticsearch\.conf:23\) not converted: logship bounds memory/);
    expect(r.stdout).toMatch(/# <filter> @type kubernetes \(fluent-bit\/tail-elasticsearch\.conf:27\) not converted: logship adds no Kubernetes metadata/);
    expect(r.stdout).toMatch(/# - \[SERVICE\] HTTP_Port 2020 \(fluent-bit\/tail-elasticsearch\.conf:12\) not converted/);
  });
});

describe('logship convert: input it cannot read as the format', () => {
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('a Fluent Bit file given as Fluentd exits 1 naming the line', () => {
    const r = logship(['convert', '--from', 'fluentd', path.join(FIXTURES, 'fluent-bit/tail-elasticsearch.conf')], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/is not a Fluentd config: .*tail-elasticsearch\.conf:6: expected a <source>, <match>, <filter>, <label> or <system> section at the top level, got "\[SERVICE\]"/);
  });

  it('a Fluentd file given as Fluent Bit exits 1 naming the line', () => {
    const r = logship(['convert', '--from', 'fluent-bit', path.join(FIXTURES, 'fluentd/app-json-s3.conf')], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a Fluent Bit config: .*app-json-s3\.conf:6: expected a \[SECTION\] header/);
  });

  it('an unclosed or mismatched Fluentd section exits 1', () => {
    const unclosed = write('unclosed.conf', '<source>\n  @type tail\n  path /x.log\n');
    expect(logship(['convert', '--from', 'fluentd', unclosed], dir).stderr).toMatch(/<source> opened at .*unclosed\.conf:1 is never closed/);
    const mismatched = write('mismatched.conf', '<match **>\n  @type stdout\n</source>\n');
    const r = logship(['convert', '--from', 'fluentd', mismatched], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mismatched\.conf:3: <\/source> closes <match>/);
  });

  it('a YAML file that is not a Fluent Bit config exits 1', () => {
    const r = logship(['convert', '--from', 'fluent-bit', write('other.yaml', 'inputs:\n  - paths: [a]\n')], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"inputs" is not a Fluent Bit YAML section/);
  });

  it('a missing file exits 1; a bad --from is a usage error (2)', () => {
    expect(logship(['convert', '--from', 'fluentd', 'nope.conf'], dir)).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot read nope\.conf/) });
    expect(logship(['convert', '--from', 'vector', 'x.conf'], dir)).toMatchObject({ code: 2, stderr: expect.stringMatching(/--from: expected fluentd or fluent-bit, got "vector"/) });
  });

  it('a config with nothing that maps still exits 0, and says why nothing did', () => {
    const file = write('forward-only.conf', '<source>\n  @type forward\n  port 24224\n</source>\n<match **>\n  @type kafka2\n</match>\n');
    const r = logship(['convert', '--from', 'fluentd', file], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/<source> @type forward \(.*forward-only\.conf:1\) not converted: logship reads log files/);
    expect(r.stdout).toMatch(/No tail input converted/);
  });
});
