// Name templates (src/output/name-template.ts) and the byte-level field reader under them (src/output/record-field.ts):
// one syntax for S3/file prefixes and Elasticsearch index names.
import { describe, expect, it } from 'vitest';
import { BulkItems } from '../../outputs/elasticsearch/encoding.js';
import { actionLineBytes, createTarget } from '../../outputs/elasticsearch/target.js';
import { elasticsearchOutputSchema } from '../../outputs/elasticsearch/config.js';
import { fileOutputSchema } from '../../outputs/file/config.js';
import { s3OutputSchema } from '../../outputs/s3/config.js';
import { compileNameTemplate, nameTemplateProblem, sanitiseValue } from '../../src/output/name-template.js';
import { RecordField } from '../../src/output/record-field.js';
import { compileStrftime } from '../../src/util/strftime.js';
import { eventBatch } from '../support/records.js';

const T = Date.UTC(2026, 11, 6, 18, 30, 5);
const key = (template: string, extra: Partial<Parameters<typeof compileNameTemplate>[1]> = {}) =>
  compileNameTemplate(template, { kind: 'object-key', output: 'archive', inputs: ['app'], host: 'node-1', ...extra });

/** Each event's rendered name. */
function renderAll(template: ReturnType<typeof key>, events: readonly unknown[]): string[] {
  const batch = eventBatch(1, events.map((e) => JSON.stringify(e)));
  return events.map((_, i) => template.render(T, batch, i));
}

/**
 * The field the way a full parse sees it: the first key in the object (in order) that is the path's next segment
 * with the rest inside it, or that holds the dotted rest of the path.
 */
function parsedField(event: unknown, path: string[]): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const joined = path.join('.');
  for (const [k, v] of Object.entries(event)) {
    if (k === path[0]) {
      if (path.length === 1) return v;
      const inner = parsedField(v, path.slice(1));
      if (inner !== undefined) return inner;
    } else if (path.length > 1 && k === joined) {
      return v;
    }
  }
  return undefined;
}

describe('name templates', () => {
  it('renders strftime-only templates exactly as strftime does, and the same string instance within a time bucket', () => {
    for (const p of ['', 'logs-%Y.%m.%d', 'app/dt=%Y-%m-%d/hour=%H/', '%F/%T-%s-%j-%y-%%']) {
      const t = key(p);
      expect(t.render(T)).toBe(compileStrftime(p)(T));
      expect(t.fields).toEqual([]);
    }
    const hourly = key('dt=%Y-%m-%d/hour=%H/');
    expect(hourly.render(T)).toBe(hourly.render(T + 60_000));
  });

  it('fills {host}, {output} and {input}, and refuses {input} unless the output takes events from one input', () => {
    expect(key('{host}/{output}/{input}/%Y/').render(T)).toBe('node-1/archive/app/2026/');
    expect(() => key('{input}/', { inputs: ['a', 'b'] })).toThrow(/\{input\} needs the output to take events from exactly one input/);
    expect(() => key('{input}/', { inputs: undefined })).toThrow(/exactly one input/);
    // A host name is sanitised like any value (it could hold a `%` or a `/`).
    expect(key('{host}/', { host: 'Pod 7/%Y' }).render(T)).toBe('Pod_7__Y/');
  });

  it('reads event fields from the record bytes: nested, dotted keys, numbers, absent and null as the default', () => {
    const t = key('{kubernetes.namespace}/{service.name:-nosvc}/dt=%Y-%m-%d/');
    expect(t.fields).toEqual(['kubernetes.namespace', 'service.name']);
    const names = renderAll(t, [
      { '@timestamp': 'x', kubernetes: { namespace: 'payments', pod: { name: 'p' } }, service: { name: 'checkout' } },
      { service: { name: 'checkout' } },
      { 'kubernetes.namespace': 'flat', service: { name: 42 } },
      { kubernetes: { namespace: null }, service: { name: '' } },
      { kubernetes: { namespace: { deep: 1 } }, service: ['checkout'] },
      { kubernetes: 'scalar', service: { name: true } },
    ]);
    expect(names).toEqual([
      'payments/checkout/dt=2026-12-06/',
      'unknown/checkout/dt=2026-12-06/',
      'flat/42/dt=2026-12-06/',
      'unknown/nosvc/dt=2026-12-06/',
      'unknown/nosvc/dt=2026-12-06/',
      'unknown/true/dt=2026-12-06/',
    ]);
  });

  it('never matches a key inside a string value, and decodes escaped values', () => {
    const t = key('{service.name}/');
    const names = renderAll(t, [
      { message: '"service":{"name":"fake"}', service: { name: 'real' } },
      { message: 'a \\"service\\": {"name": "x"} \\\\', note: '\\', other: { service: { name: 'nested-elsewhere' } } },
      { service: { name: 'caf\u00e9 "quoted"\n' } },
    ]);
    // é, the space, the quotes and the newline are each one unsafe character.
    expect(names).toEqual(['real/', 'unknown/', 'caf___quoted__/']);
  });

  it('sanitises values for keys and index names', () => {
    expect(sanitiseValue('a/b=c d*e', 'object-key')).toBe('a_b_c_d_e');
    expect(sanitiseValue('..', 'object-key')).toBe('_');
    expect(sanitiseValue('Checkout-API_v2.1', 'object-key')).toBe('Checkout-API_v2.1');
    expect(sanitiseValue('Checkout API', 'index')).toBe('checkout_api');
    expect(sanitiseValue('x'.repeat(500), 'object-key')).toHaveLength(100);
  });

  it('returns the previous name for a run of equal values: no new string per record', () => {
    const t = key('{service.name}/%Y/');
    const batch = eventBatch(1, [{ service: { name: 'a' } }, { service: { name: 'a' } }, { service: { name: 'b' } }].map((e) => JSON.stringify(e)));
    const first = t.render(T, batch, 0);
    expect(t.render(T, batch, 1)).toBe(first);
    expect(Object.is(t.render(T, batch, 1), first)).toBe(true);
    expect(t.render(T, batch, 2)).toBe('b/2026/');
  });

  it('finds exactly what a full JSON.parse finds, over random events', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const names = ['service', 'name', 'kubernetes', 'namespace', 'service.name', 'message', 'a'];
    const leaf = () => pick<unknown>(['x', 'svc "q" \\ /', 12.5, -3, true, false, null, '', 'caf\u00e9', '\u2028']);
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 2 || r < 0.5) return leaf();
      if (r < 0.6) return [leaf(), value(depth + 1)];
      const o: Record<string, unknown> = {};
      for (let k = Math.floor(rand() * 4); k >= 0; k--) o[pick(names)] = value(depth + 1);
      return o;
    };
    const paths = ['service.name', 'kubernetes.namespace', 'name', 'a.service.name'];
    for (let n = 0; n < 2000; n++) {
      const event = value(0);
      const json = JSON.stringify(typeof event === 'object' && event !== null && !Array.isArray(event) ? event : { message: event });
      const data = Buffer.from(json);
      for (const path of paths) {
        const reader = new RecordField(path);
        const expected = parsedField(JSON.parse(json), path.split('.'));
        const found = reader.find(data, 0, data.length);
        expect(found, `${path} in ${json}`).toBe(expected !== undefined);
        if (found) expect(JSON.parse(data.toString('utf8', reader.valueStart, reader.valueEnd)), `${path} in ${json}`).toEqual(expected);
      }
    }
  });

  it('finds nothing in malformed bytes, without throwing', () => {
    const reader = new RecordField('service.name');
    for (const bad of ['', '{', '{"service":', '{"service":{"name":"x', '[1]', '{"a":"\\"}', '{"service" {"name":"x"}}', 'null']) {
      expect(reader.find(Buffer.from(bad), 0, bad.length)).toBe(false);
    }
  });

  it('names the problem with a bad template', () => {
    expect(nameTemplateProblem('{}/', 'object-key', ['a'])).toMatch(/\{\} is neither \{host\}, \{input\}, \{output\} nor an event field/);
    expect(nameTemplateProblem('{service.name/', 'object-key', ['a'])).toMatch(/without its pair/);
    expect(nameTemplateProblem('{a b}', 'object-key', ['a'])).toMatch(/neither/);
    expect(nameTemplateProblem('{service.name:-bad/default}', 'object-key', ['a'])).toMatch(/the default of/);
    expect(nameTemplateProblem('{service.name:-Upper}', 'index', ['a'])).toMatch(/lower-case/);
    expect(nameTemplateProblem('%Q', 'object-key', ['a'])).toMatch(/unknown specifier %Q/);
    expect(nameTemplateProblem('{service.name:-ok}/%Y/', 'object-key', ['a'])).toBeUndefined();
  });
});

describe('name templates in output configs', () => {
  it('s3 and file prefixes accept placeholders and refuse {input} with several inputs, naming the key', () => {
    const s3 = (extra: Record<string, unknown>) => s3OutputSchema.safeParse({ type: 's3', bucket: 'b', ...extra });
    expect(s3({ prefix: '{service.name}/dt=%Y-%m-%d/' }).success).toBe(true);
    expect(s3({ prefix: '{input}/', inputs: ['app'] }).success).toBe(true);
    const several = s3({ prefix: '{input}/', inputs: ['app', 'nginx'] });
    expect(several.success).toBe(false);
    expect(several.error!.issues[0]!.path).toEqual(['prefix']);
    expect(several.error!.issues[0]!.message).toMatch(/exactly one input/);
    expect(s3({ prefix: '{oops' }).error!.issues[0]!.message).toMatch(/without its pair/);
    expect(fileOutputSchema.safeParse({ type: 'file', path: '/tmp/x', prefix: '{input}/' }).error!.issues[0]!.message).toMatch(/exactly one input/);
    expect(fileOutputSchema.safeParse({ type: 'file', path: '/tmp/x', prefix: '{input}/', inputs: ['app'] }).success).toBe(true);
  });

  it('an elasticsearch index takes the same placeholders, lower-cased; today\'s strftime-only names are unchanged', () => {
    const parse = (index: string, inputs?: string[]) => elasticsearchOutputSchema.safeParse({ type: 'elasticsearch', hosts: 'http://127.0.0.1:9200', index, ...(inputs && { inputs }) });
    expect(parse('logs-{service.name}-%Y.%m.%d').success).toBe(true);
    expect(parse('logs-{input}', ['a', 'b']).error!.issues[0]!.message).toMatch(/exactly one input/);
    expect(parse('Logs-{service.name}').error!.issues[0]!.message).toMatch(/contains "L"/);

    const target = createTarget({ index: 'logs-{service.name}-{output}-%Y.%m.%d', name: 'es' });
    expect(target.pattern).toBe('logs-*-*-*.*.*');
    const batch = eventBatch(1, [JSON.stringify({ service: { name: 'Check Out' } }), JSON.stringify({ message: 'no service' })]);
    expect(target.indexFor(T, batch, 0)).toBe('logs-check_out-es-2026.12.06');
    expect(target.indexFor(T, batch, 1)).toBe('logs-unknown-es-2026.12.06');
    // The bulk body names each document's own index.
    const items = new BulkItems({ ...batch, seq: 1, times: Float64Array.of(T, T) }, target);
    expect(items.indexes).toEqual(['logs-check_out-es-2026.12.06', 'logs-unknown-es-2026.12.06']);
    expect(items.body([0, 1]).toString('utf8')).toContain('{"create":{"_index":"logs-check_out-es-2026.12.06"');
    expect(createTarget({ index: 'logs-checkout-%Y.%m.%d' }).indexFor(T)).toBe('logs-checkout-2026.12.06');
    // batch.max_bytes counts each action line at its longest: a field's value may be up to 100 characters.
    expect(actionLineBytes({ index: 'logs-{service.name}-%Y' }) - actionLineBytes({ index: 'logs-unknown-%Y' })).toBe(100);
  });
});
