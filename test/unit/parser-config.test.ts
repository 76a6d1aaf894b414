// Issue 9, "what a new user hit": a fallback list of parsers per input, and
// static `fields` refused only where they would shadow what logship itself
// writes on every event (event.dataset and service.* are the user's).
import { describe, expect, it } from 'vitest';
import { ParserChain, type ChainRecord } from '../../parsers/chain.js';
import { buildChainSpec, type ParsingConfig } from '../../parsers/setup.js';
import { ConfigError, parseConfigText } from '../../src/config/load.js';

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, 'test.yaml', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('config was accepted, expected problems');
}

const input = (lines: string) => `inputs:\n  - paths: [a.log]\n${lines}outputs:\n  - type: stdout\n`;

describe('parser: a list, the first that parses wins', () => {
  it('validates: accepted, and every element checked with its own path', () => {
    const cfg = parseConfigText(input('    parser: [json, nginx, { name: key_value, options: { field_split: ";" } }, plain]\n'), 't.yaml', {});
    expect(cfg.inputs[0]!.parser).toEqual(['json', 'nginx', { name: 'key_value', options: { field_split: ';' } }, 'plain']);
    const problems = problemsOf(input('    parser: [json, jsno, cri, { name: key_value, options: { nope: 1 } }]\n'));
    expect(problems.some((p) => p.startsWith('inputs[0].parser[1]: unknown parser "jsno"'))).toBe(true);
    expect(problems.some((p) => p.startsWith('inputs[0].parser[2]: "cri" is a container format'))).toBe(true);
    expect(problems.some((p) => p.startsWith('inputs[0].parser[3].options'))).toBe(true);
    expect(problemsOf(input('    parser: []\n')).some((p) => p.includes('empty list'))).toBe(true);
  });

  it('json, then nginx, then plain: each line goes to the first that parses it; counted per parser', async () => {
    const settings: ParsingConfig = { parser: ['json', 'nginx', 'plain'], keep_original: false, fields_under: 'attributes', max_line_bytes: 1 << 20 };
    const spec = await buildChainSpec(settings, () => Date.parse('2026-03-01T12:00:00Z'));
    const failures: string[] = [];
    const chain = new ParserChain(spec, (r) => failures.push(r));
    const lines = [
      '{"msg":"from json","level":"warn"}',
      '93.184.216.34 - - [02/Jan/2024:03:04:05 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8"',
      'just text',
      '{"broken json',
    ];
    const out: ChainRecord[] = [];
    chain.push({}, lines, [0, 100, 200, 300], null, 0, out);
    expect(out.map((r) => r.event.message)).toEqual(['from json', lines[1], 'just text', '{"broken json']);
    expect(out[1]!.event.http).toMatchObject({ request: { method: 'GET' }, response: { status_code: 200 } });
    expect(out[3]!.event.tags).toBeUndefined(); // plain took it
    expect(failures).toEqual([]);
    expect(spec.parsedBy!()).toEqual({ json: 1, nginx: 1, plain: 2 });
  });

  it('when every parser fails, the failure names each reason', async () => {
    const spec = await buildChainSpec({ parser: ['json', 'syslog'], keep_original: false, fields_under: 'attributes', max_line_bytes: 1 << 20 });
    const failures: string[] = [];
    const out: ChainRecord[] = [];
    new ParserChain(spec, (r) => failures.push(r)).push({}, ['nothing known'], [0], null, 0, out);
    expect(out[0]!.event.tags).toEqual(['parse_failure']);
    expect(failures[0]).toMatch(/^no parser of the list took it \(json: invalid JSON: .*; syslog: .*\)$/);
  });
});

describe('fields: only what logship writes on every event is reserved', () => {
  it('event.dataset, event.module, service.*, log.level, labels are the user\'s', () => {
    const cfg = parseConfigText(input('    fields: { event.dataset: shop.orders, event.module: shop, service.name: shop, service.version: "1.2", log.level: info, labels.team: a }\n'), 't.yaml', {});
    expect(cfg.inputs[0]!.fields).toMatchObject({ 'event.dataset': 'shop.orders', 'service.name': 'shop' });
  });

  for (const [key, owned] of [
    ['@timestamp', '@timestamp'],
    ['message', 'message'],
    ['tags', 'tags'],
    ['log', 'log.file.path'],
    ['log.file', 'log.file.path'],
    ['log.offset', 'log.offset'],
    ['log.offset.x', 'log.offset'],
    ['event', 'event.id'],
    ['event.id', 'event.id'],
    ['event.original', 'event.original'],
    ['ecs', 'ecs.version'],
    ['ecs.version', 'ecs.version'],
  ]) {
    it(`${key} is refused, naming ${owned}`, () => {
      expect(problemsOf(input(`    fields: { ${JSON.stringify(key)}: x }\n`))).toEqual([expect.stringContaining(`logship sets ${owned} on every event`)]);
    });
  }
});
