import { describe, expect, it } from 'vitest';
import { normalize, type NormalizeOptions } from '../../parsers/normalize.js';
import { ParseFailure, type Fields } from '../../parsers/types.js';

const READ = Date.parse('2026-03-01T12:00:00Z');
const opts = (over: Partial<NormalizeOptions> = {}): NormalizeOptions => ({
  fieldsUnder: 'attributes',
  keepOriginal: false,
  timezone: undefined,
  timeFormat: undefined,
  now: () => READ,
  ...over,
});
const run = (fields: Fields | ParseFailure, over: Partial<NormalizeOptions> = {}, raw = 'raw text') =>
  normalize(fields, raw, { fallbackTime: READ }, opts(over)).event;

describe('normalize', () => {
  it('maps well-known keys to ECS names and the rest under attributes', () => {
    const e = run({ ts: '2024-01-02T03:04:05.5+01:00', lvl: 'WARNING', msg: 'disk low', logger: 'app.disk', pid: '42', thread: 'main', trace_id: 'abc', user_id: 7 });
    expect(e).toEqual({
      '@timestamp': '2024-01-02T02:04:05.500Z',
      message: 'disk low',
      log: { level: 'warn', logger: 'app.disk' },
      process: { pid: 42, thread: { name: 'main' } },
      trace: { id: 'abc' },
      attributes: { user_id: 7 },
      ecs: { version: '8.11.0' },
    });
  });

  it('keeps ECS dotted keys at the root and nests them', () => {
    const e = run({ 'http.request.method': 'GET', 'http.response.status_code': '200', 'url.original': '/x', 'source.address': '::1' });
    expect(e.http).toEqual({ request: { method: 'GET' }, response: { status_code: 200 } });
    expect(e.url).toEqual({ original: '/x' });
    expect(e.source).toEqual({ address: '::1', ip: '::1' });
    expect(e.attributes).toBeUndefined();
  });

  it('reads pino/bunyan err objects and numeric levels', () => {
    const e = run({ time: 1700000000000, level: 50, msg: 'x', err: { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n  at f' } });
    expect(e['@timestamp']).toBe('2023-11-14T22:13:20.000Z');
    expect(e.log).toEqual({ level: 'error' });
    expect(e.error).toEqual({ type: 'TypeError', message: 'boom', stack_trace: 'TypeError: boom\n  at f' });
  });

  it('a parse failure keeps the raw text as message, tagged, at the read time', () => {
    expect(run(new ParseFailure('nope'), {}, 'garbage \u0000 line')).toEqual({
      '@timestamp': '2026-03-01T12:00:00.000Z',
      message: 'garbage \u0000 line',
      error: { message: 'nope' },
      tags: ['parse_failure'],
      ecs: { version: '8.11.0' },
    });
  });

  it('an unreadable time is kept as an attribute and tagged, unless another time key worked', () => {
    const bad = run({ time: 'yesterday', msg: 'x' });
    expect(bad['@timestamp']).toBe('2026-03-01T12:00:00.000Z');
    expect(bad.attributes).toEqual({ time: 'yesterday' });
    expect(bad.tags).toEqual(['timestamp_parse_failure']);
    const rescued = run({ time: 'yesterday', ts: '2024-01-01T00:00:00Z', msg: 'x' });
    expect(rescued['@timestamp']).toBe('2024-01-01T00:00:00.000Z');
    expect(rescued.tags).toBeUndefined();
  });

  it('an unknown level word stays an attribute; the first level wins', () => {
    expect(run({ level: 'chatty', msg: 'x' })).toMatchObject({ attributes: { level: 'chatty' } });
    expect(run({ level: 'info', severity: 'error' })).toMatchObject({ log: { level: 'info' }, attributes: { severity: 'error' } });
  });

  it('fields_under "" puts fields at the root, but never over a name the schema owns', () => {
    const e = run({ msg: 'a', message: 'b', user: 'zoë', attributes: 1, log: 'x', tags: ['t'], event: 'e' }, { fieldsUnder: '' });
    expect(e.message).toBe('a');
    expect(e.user).toBeUndefined(); // `user` is an ECS field set: kept aside
    expect(e.attributes).toEqual({ message: 'b', user: 'zoë', attributes: 1, log: 'x', tags: ['t'], event: 'e' });
    expect(run({ color: 'red' }, { fieldsUnder: '' })).toMatchObject({ color: 'red' });
  });

  it('a parsed __proto__ key stays a plain field', () => {
    const fields = JSON.parse('{"msg":"x","__proto__":{"polluted":true}}') as Fields;
    const e = run(fields);
    const attrs = e.attributes as Record<string, unknown>;
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(JSON.stringify(e)).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keep_original adds event.original; extra fields from earlier stages are placed like parsed ones', () => {
    const { event } = normalize({ msg: 'x' }, 'the raw', { fallbackTime: READ, extra: { stream: 'stderr', 'error.type': 'E' }, tags: ['truncated'] }, opts({ keepOriginal: true }));
    expect(event).toEqual({
      '@timestamp': '2026-03-01T12:00:00.000Z',
      message: 'x',
      attributes: { stream: 'stderr' },
      error: { type: 'E' },
      event: { original: 'the raw' },
      tags: ['truncated'],
      ecs: { version: '8.11.0' },
    });
  });
});
