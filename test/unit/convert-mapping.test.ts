// The pieces of `logship convert` in process: both dialects' syntax, tag
// routing (Fluentd's first match against Fluent Bit's every match), and the
// mappings whose semantics differ between the shippers and logship.
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { convertConfig } from '../../src/convert/convert.js';
import { parseFluentBit } from '../../src/convert/fluent-bit-syntax.js';
import { parseFluentd } from '../../src/convert/fluentd-syntax.js';
import { ConvertSyntaxError } from '../../src/convert/section.js';
import { fluentBitMatcher, fluentdMatcher } from '../../src/convert/tag-match.js';
import { duration, jsRegex, size, withoutPlaceholders } from '../../src/convert/values.js';

const noInclude = () => 'not in this test';

interface Converted {
  inputs: Record<string, unknown>[];
  outputs: Record<string, unknown>[];
}

function convert(dialect: 'fluentd' | 'fluent-bit', text: string, file = dialect === 'fluentd' ? 'td-agent.conf' : 'fluent-bit.conf'): { config: Converted; text: string } {
  const out = convertConfig(dialect, file, text);
  return { config: YAML.parse(out) as Converted, text: out };
}

describe('Fluentd syntax', () => {
  it('reads quoted, multi-line JSON and commented values, and ENV lookups as ${VAR}', () => {
    const doc = parseFluentd(
      [
        '<source>',
        '  @type tail',
        '  path /a.log # a comment',
        '  exclude_path ["/x.log",',
        '                "/y.log"]',
        `  tag "app.#{ENV['SUFFIX']}"`,
        `  host "#{ENV['ES_HOST'] || 'localhost'}"`,
        "  pattern '\\d+ #'",
        '  <parse>',
        '    @type json',
        '  </parse>',
        '</source>',
      ].join('\n'),
      'f.conf',
      noInclude,
    );
    const source = doc.root.children[0]!;
    expect(source.params.map((p) => [p.key, p.value])).toEqual([
      ['@type', 'tail'],
      ['path', '/a.log'],
      ['exclude_path', '["/x.log",\n"/y.log"]'],
      ['tag', 'app.${SUFFIX}'],
      ['host', '${ES_HOST:-localhost}'],
      ['pattern', '\\d+ #'],
    ]);
    expect(source.children[0]!.name).toBe('parse');
    expect(source.params[3]!.where).toBe('f.conf:6');
  });

  it('notes an @include it cannot follow, and refuses what is not Fluentd', () => {
    expect(parseFluentd('@include http://example.com/x.conf\n', 'f.conf', () => 'remote includes are not fetched').notes[0]).toMatch(/not followed: remote includes are not fetched/);
    expect(() => parseFluentd('[INPUT]\n  Name tail\n', 'f.conf', noInclude)).toThrow(ConvertSyntaxError);
    expect(() => parseFluentd('<source>\n  k "unclosed\n</source>\n', 'f.conf', noInclude)).toThrow(/unclosed " in a value/);
  });
});

describe('Fluent Bit syntax', () => {
  it('classic: @SET variables replaced, environment ones kept, keys repeated', () => {
    const doc = parseFluentBit('@SET HOST=es.local\n[OUTPUT]\n    Name es\n    Host ${HOST}\n    HTTP_Passwd ${ES_PASSWORD}\n[FILTER]\n    Name modify\n    Add a 1\n    Add b 2\n', 'f.conf', noInclude);
    expect(doc.sections.map((s) => s.name)).toEqual(['output', 'filter']);
    expect(doc.sections[0]!.peek('host')).toBe('es.local');
    expect(doc.sections[0]!.peek('http_passwd')).toBe('${ES_PASSWORD}');
    expect(doc.sections[1]!.takeAll('add').map((p) => p.value)).toEqual(['a 1', 'b 2']);
  });

  it('YAML: pipeline lists become sections, list values repeated keys, env: variables replaced', () => {
    const doc = parseFluentBit('env:\n  P: /var/log\npipeline:\n  inputs:\n    - name: tail\n      path: ${P}/a.log\n  filters:\n    - name: record_modifier\n      match: "*"\n      record:\n        - a 1\n        - b 2\n', 'f.yaml', noInclude);
    expect(doc.sections.map((s) => [s.name, s.peek('name')])).toEqual([['input', 'tail'], ['filter', 'record_modifier']]);
    expect(doc.sections[0]!.peek('path')).toBe('/var/log/a.log');
    expect(doc.sections[0]!.where).toBe('f.yaml:5');
    expect(doc.sections[1]!.takeAll('record').map((p) => p.value)).toEqual(['a 1', 'b 2']);
  });
});

describe('tag patterns', () => {
  it('Fluentd: * is one part, ** any number (none too), {a,b} either', () => {
    expect(fluentdMatcher('a.*')('a.b')).toBe(true);
    expect(fluentdMatcher('a.*')('a.b.c')).toBe(false);
    expect(fluentdMatcher('a.**')('a')).toBe(true);
    expect(fluentdMatcher('a.**')('a.b.c')).toBe(true);
    expect(fluentdMatcher('**.log')('var.log')).toBe(true);
    expect(fluentdMatcher('a.{b,c}.d')('a.c.d')).toBe(true);
    expect(fluentdMatcher('x y')('y')).toBe(true);
  });
  it('Fluent Bit: * matches across dots; Match_Regex', () => {
    expect(fluentBitMatcher('kube.*', undefined)('kube.var.log.x')).toBe(true);
    expect(fluentBitMatcher('*', undefined)('anything')).toBe(true);
    expect(fluentBitMatcher(undefined, '^app\\.(a|b)$')('app.b')).toBe(true);
  });
});

describe('routing', () => {
  it('Fluentd: an event goes to the first <match> only; filters before it apply', () => {
    const { config } = convert(
      'fluentd',
      `<source>\n @type tail\n path /a.log\n tag app.a\n</source>\n<filter app.**>\n @type record_transformer\n <record>\n  env prod\n </record>\n</filter>\n<match app.**>\n @type stdout\n</match>\n<match **>\n @type file\n path /tmp/x/y\n</match>\n`,
    );
    expect(config.outputs.map((o) => o.type)).toEqual(['stdout']);
    expect(config.inputs[0]!.processors).toEqual([{ set: { 'attributes.env': 'prod' } }]);
  });

  it('Fluentd: @label and relabel lead to the match inside the label', () => {
    const { config } = convert(
      'fluentd',
      `<source>\n @type tail\n path /a.log\n tag a\n @label @ONE\n</source>\n<label @ONE>\n <match **>\n  @type relabel\n  @label @TWO\n </match>\n</label>\n<label @TWO>\n <match a>\n  @type stdout\n </match>\n</label>\n<match **>\n @type file\n path /tmp/x/y\n</match>\n`,
    );
    expect(config.outputs).toEqual([{ type: 'stdout' }]);
  });

  it('Fluent Bit: every matching output receives the events; outputs list the inputs they take', () => {
    const { config } = convert(
      'fluent-bit',
      `[INPUT]\n Name tail\n Path /a.log\n Tag a\n[INPUT]\n Name tail\n Path /b.log\n Tag b\n[OUTPUT]\n Name stdout\n Match *\n[OUTPUT]\n Name file\n Match b\n Path /tmp/x\n`,
    );
    expect(config.outputs).toEqual([{ type: 'stdout' }, { type: 'file', inputs: ['b'], path: '/tmp/x' }]);
  });
});

describe('mappings', () => {
  it('read_from_head: both shippers start new files at their end unless told otherwise', () => {
    expect(convert('fluent-bit', '[INPUT]\n Name tail\n Path /a.log\n').config.inputs[0]!.start_at).toBe('end');
    expect(convert('fluent-bit', '[INPUT]\n Name tail\n Path /a.log\n Read_from_Head On\n').config.inputs[0]!.start_at).toBe('beginning');
  });

  it('grep: Fluentd <regexp>s must all match, <exclude>s drop on any; <or> groups; level compared without case', () => {
    const { config } = convert(
      'fluentd',
      `<source>\n @type tail\n path /a.log\n tag a\n</source>\n<filter a>\n @type grep\n <regexp>\n  key level\n  pattern /^ERROR$/\n </regexp>\n <regexp>\n  key message\n  pattern /db/\n </regexp>\n <exclude>\n  key message\n  pattern /probe/\n </exclude>\n <exclude>\n  key msg\n  pattern /ping/\n </exclude>\n <or>\n  <regexp>\n   key service\n   pattern /^a$/\n  </regexp>\n  <exclude>\n   key service\n   pattern /^b$/\n  </exclude>\n </or>\n</filter>\n<match a>\n @type stdout\n</match>\n`,
    );
    expect(config.inputs[0]!.processors).toEqual([
      { keep: { when: { all: [{ matches: { 'log.level': '(?i)^ERROR$' } }, { matches: { message: 'db' } }, { any: [{ matches: { 'service.name': '^a$' } }, { not: { matches: { 'service.name': '^b$' } } }] }] } } },
      { drop: { when: { any: [{ matches: { message: 'probe' } }, { matches: { message: 'ping' } }] } } },
    ]);
  });

  it('a regex RE2 cannot run (a backreference) is noted, not converted', () => {
    const { config, text } = convert('fluent-bit', '[INPUT]\n Name tail\n Path /a.log\n Tag a\n[FILTER]\n Name grep\n Match a\n Regex log (a)\\1\n[OUTPUT]\n Name stdout\n Match a\n');
    expect(config.inputs[0]!.processors).toBeUndefined();
    expect(text).toMatch(/# log \(a\)\\1 \(fluent-bit\.conf:8\) not converted: invalid regular expression \(RE2 syntax/);
  });

  it('regex parser: Ruby anchors and flags, dotted group names, the time_key group renamed time', () => {
    expect(jsRegex('/\\A(?<a.b>\\h+) (?<c-d>.*)\\z/m')).toEqual({ pattern: '^(?<a__b>[0-9a-fA-F]+) (?<c_d>.*)$', flags: 's' });
    const { config } = convert('fluentd', `<source>\n @type tail\n path /a.log\n tag a\n <parse>\n  @type regexp\n  expression /^(?<logtime>[^ ]+) (?<message>.*)$/\n  time_key logtime\n  time_format %Y-%m-%dT%H:%M:%S.%L%z\n </parse>\n</source>\n`);
    expect(config.inputs[0]).toMatchObject({ parser: { name: 'regex', options: { pattern: '^(?<time>[^ ]+) (?<message>.*)$' } }, time_format: '%Y-%m-%dT%H:%M:%S.%f%z' });
  });

  it('Ruby code and per-record placeholders are not static fields; environment variables are', () => {
    const { config, text } = convert(
      'fluentd',
      `<source>\n @type tail\n path /a.log\n tag a\n</source>\n<filter a>\n @type record_transformer\n <record>\n  host_name "#{Socket.gethostname}"\n  the_tag \${tag}\n  region "#{ENV['AWS_REGION']}"\n </record>\n</filter>\n<match a>\n @type stdout\n</match>\n`,
    );
    expect(config.inputs[0]!.processors).toEqual([{ set: { 'attributes.region': '${AWS_REGION}' } }]);
    expect(text).toMatch(/host_name #\{Socket\.gethostname\} \(td-agent\.conf:9\) not converted: Ruby code/);
    expect(text).toMatch(/the_tag \$\{tag\} \(td-agent\.conf:10\) not converted: a per-record placeholder/);
  });

  it('Fluentd v0.12: format and time_format on the <source> itself', () => {
    const { config, text } = convert('fluentd', `<source>\n @type tail\n path /a.log\n tag a\n format /^(?<logtime>[^ ]+) \\[(?<log_level>\\w+)\\] (?<message>.*)$/\n time_key logtime\n time_format %Y/%m/%d %H:%M:%S\n</source>\n<match a>\n @type stdout\n</match>\n`);
    expect(config.inputs[0]).toMatchObject({ parser: { name: 'regex', options: { pattern: '^(?<time>[^ ]+) \\[(?<log_level>\\w+)\\] (?<message>.*)$' } }, time_format: '%Y/%m/%d %H:%M:%S' });
    expect(text).not.toMatch(/\(td-agent\.conf:\d+\) not converted/);
  });

  it("Fluentd's per-event placeholders are left out of index names and prefixes (logship would read them as environment variables)", () => {
    expect(withoutPlaceholders('fluentd.${tag}.%Y%m%d')).toEqual({ value: 'fluentd.%Y%m%d', removed: true });
    expect(withoutPlaceholders('logs/${tag}/%Y/')).toEqual({ value: 'logs/%Y/', removed: true });
    expect(withoutPlaceholders('my_-index')).toEqual({ value: 'my_-index', removed: false });
    const { config, text } = convert('fluentd', `<source>\n @type tail\n path /a.log\n tag a\n</source>\n<match a>\n @type elasticsearch\n index_name app-\${tag}\n</match>\n`);
    expect(config.outputs[0]).toMatchObject({ index: 'app' });
    expect(text).toMatch(/index app-\$\{tag\}: its per-event placeholders are left out/);
  });

  it('a YAML multiline_parsers entry: its start_state rule starts an event, the others continue it', () => {
    const { config } = convert(
      'fluent-bit',
      `multiline_parsers:\n  - name: ml\n    type: regex\n    flush_timeout: 500\n    rules:\n      - state: start_state\n        regex: '/^\\d{4}-/'\n        next_state: cont\n      - state: cont\n        regex: '/^\\s+at /'\n        next_state: cont\npipeline:\n  inputs:\n    - name: tail\n      path: /a.log\n      multiline.parser: ml\n  outputs:\n    - name: stdout\n      match: '*'\n`,
      'fluent-bit.yaml',
    );
    expect(config.inputs[0]!.multiline).toEqual({ start: '^\\d{4}-', continue: '^\\s+at ', timeout: '500ms' });
  });

  it('a malformed exclude_path is a note, not a crash', () => {
    const { config, text } = convert('fluentd', `<source>\n @type tail\n path /a.log\n exclude_path ["/x.log", 3]\n</source>\n`);
    expect(config.inputs[0]!.exclude).toBeUndefined();
    expect(text).toMatch(/exclude_path \["\/x\.log", 3\] \(td-agent\.conf:4\) not converted: expected a JSON array of strings/);
  });

  it('durations and sizes in both spellings', () => {
    expect([duration('60'), duration('1m30s'), duration('0.5'), duration('${X}'), duration('soon')]).toEqual(['1m', '90s', '500ms', '${X}', undefined]);
    expect([size('8m'), size('5MB'), size('256k'), size('100')]).toEqual(['8MiB', '5MiB', '256KiB', '100B']);
  });
});
