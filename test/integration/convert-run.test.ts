// A converted config does what the old one did: `logship convert` output run
// by `logship run` on real files parses, filters and enriches the lines the
// way the Fluentd / Fluent Bit config said (regex with a time key, grep,
// static fields), and ships them where the config said.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { field, OutputReader, waitFor } from '../support/output.js';
import { CLI, useHarness } from '../support/logship-process.js';

const h = useHarness();

function convert(from: 'fluentd' | 'fluent-bit', file: string, root: string): string {
  const r = spawnSync(process.execPath, [CLI, 'convert', '--from', from, file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const out = path.join(root, 'logship.yaml');
  writeFileSync(out, r.stdout);
  return out;
}

const LINES = ['2024-05-01T12:00:00Z INFO started', '2024-05-01T12:00:01Z WARN GET /healthz 200', '2024-05-01T12:00:02Z ERROR db down', ''].join('\n');

async function shipped(root: string, config: string, last: string) {
  const proc = h.start(config);
  const reader = new OutputReader(path.join(root, 'out'));
  await waitFor(reader, () => reader.events.some((e) => e.message === last), () => JSON.stringify(reader.events.map((e) => e.raw)), { proc, timeoutMs: 120_000, what: last });
  await proc.stop();
  reader.poll();
  return reader.events;
}

describe('a converted config, run', () => {
  it('Fluentd: regexp parse with time_key, grep exclude, record_transformer field, file output', async () => {
    const root = await h.tmp('convert-run-fluentd');
    writeFileSync(path.join(root, 'logs/app.log'), LINES);
    writeFileSync(
      path.join(root, 'td-agent.conf'),
      `<source>
  @type tail
  path ${root}/logs/app.log
  pos_file ${root}/app.pos
  tag app
  read_from_head true
  <parse>
    @type regexp
    expression /^(?<logtime>\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z) (?<level>\\w+) (?<message>.*)$/
    time_key logtime
    time_format %Y-%m-%dT%H:%M:%SZ
  </parse>
</source>
<filter app>
  @type grep
  <exclude>
    key message
    pattern /healthz/
  </exclude>
</filter>
<filter app>
  @type record_transformer
  <record>
    env prod
  </record>
</filter>
<match app>
  @type file
  path ${root}/out/app
</match>
`,
    );
    const events = await shipped(root, convert('fluentd', 'td-agent.conf', root), 'db down');
    expect(events.map((e) => [e.message, field(e.raw, 'log.level'), field(e.raw, '@timestamp'), field(e.raw, 'attributes.env')])).toEqual([
      ['started', 'info', '2024-05-01T12:00:00.000Z', 'prod'],
      ['db down', 'error', '2024-05-01T12:00:02.000Z', 'prod'],
    ]);
  });

  it('Fluent Bit: a [PARSER] regex, grep Exclude, record_modifier Record, file output', async () => {
    const root = await h.tmp('convert-run-fluent-bit');
    writeFileSync(path.join(root, 'logs/app.log'), LINES);
    writeFileSync(
      path.join(root, 'fluent-bit.conf'),
      `[SERVICE]
    Parsers_File parsers.conf

[INPUT]
    Name           tail
    Tag            app
    Path           ${root}/logs/*.log
    Parser         app
    Read_from_Head On

[FILTER]
    Name    grep
    Match   app
    Exclude log healthz

[FILTER]
    Name    record_modifier
    Match   app
    Record  env prod

[OUTPUT]
    Name  file
    Match app
    Path  ${root}/out
`,
    );
    writeFileSync(
      path.join(root, 'parsers.conf'),
      `[PARSER]
    Name        app
    Format      regex
    Regex       ^(?<time>[^ ]+) (?<level>[A-Z]+) (?<log>.*)$
    Time_Key    time
    Time_Format %Y-%m-%dT%H:%M:%SZ
`,
    );
    const events = await shipped(root, convert('fluent-bit', 'fluent-bit.conf', root), 'db down');
    expect(events.map((e) => [e.message, field(e.raw, 'log.level'), field(e.raw, 'attributes.env')])).toEqual([
      ['started', 'info', 'prod'],
      ['db down', 'error', 'prod'],
    ]);
  });
});
