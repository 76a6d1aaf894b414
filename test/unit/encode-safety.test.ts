// Issue 9 item 1: no input, and nothing a user's parser returns, can stop the
// pipeline. A record whose event cannot be encoded becomes a parse_failure
// event holding the raw text and the reason; JSON nesting is bounded by the
// json parser's max_depth (deeper levels kept as the JSON text of the subtree).
import { texts } from '../support/records.js';
import { describe, expect, it } from 'vitest';
import { ParserChain, type ChainRecord, type ChainSpec } from '../../parsers/chain.js';
import { json, parseJson } from '../../parsers/json.js';
import { ParseFailure, type LineParser } from '../../parsers/types.js';
import { EventEncoder } from '../../src/pipeline/event-encoder.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const SOURCE = { path: '/var/log/app.log', key: 'k' };

function spec(parser: LineParser, maxLineBytes = 1024 * 1024): ChainSpec {
  return {
    container: undefined,
    multiline: undefined,
    parser,
    maxLineBytes,
    partialTimeoutMs: 5000,
    normalize: { fieldsUnder: 'attributes', keepOriginal: false, timezone: undefined, timeFormat: undefined, now: () => NOW },
  };
}

/** Runs lines through a chain and the encoder as `logship run` does; returns the encoded events and what was counted. */
function run(parser: LineParser, lines: string[], maxLineBytes?: number) {
  const failures: string[] = [];
  const skipped: string[] = [];
  const chain = new ParserChain(spec(parser, maxLineBytes), (reason) => failures.push(reason), (reason) => skipped.push(reason));
  const records: ChainRecord[] = [];
  let offset = 0;
  const offsets = lines.map((l) => {
    const o = offset;
    offset += Buffer.byteLength(l) + 1;
    return o;
  });
  chain.push(SOURCE, lines, offsets, null, NOW, records);
  const encoder = new EventEncoder({ 'service.name': 'shop' }, 'host-1', (rec, reason) => chain.unencodable(rec, reason));
  const batch = encoder.encodeBatch(records, SOURCE);
  return { events: texts(batch).map((r) => JSON.parse(r) as Record<string, any>), failures, skipped };
}

function nested(depth: number, leaf = '1'): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

describe('json max_depth (Vector parse_json semantics: the record object is level 1)', () => {
  it('keeps an object opening below max_depth as the JSON text of that subtree', () => {
    const p = json.create(json.options!.parse({ max_depth: 1 }), undefined as never);
    expect(p.parse('{"top_layer": {"layer_one": "finish", "layer_two": 2}, "n": [1, [2]]}')).toEqual({
      top_layer: '{"layer_one": "finish", "layer_two": 2}',
      n: '[1, [2]]',
    });
  });

  it('default 64: level 64 is an object, level 65 the text of the rest', () => {
    const r = parseJson(nested(70)) as Record<string, unknown>;
    let node: unknown = r;
    for (let i = 0; i < 63; i++) node = (node as Record<string, unknown>).a;
    expect(typeof node).toBe('object');
    expect((node as Record<string, unknown>).a).toBe(nested(6));
  });

  it('brackets inside strings neither count nor cut', () => {
    const line = `{"msg":"${'{['.repeat(100)}","x":${nested(3)}}`;
    expect(parseJson(line, 2)).toEqual({ msg: '{['.repeat(100), x: { a: nested(2) } });
  });

  it('a 100,000-deep valid line does not overflow JSON.parse', () => {
    const r = parseJson(nested(100_000));
    expect(r).not.toBeInstanceOf(ParseFailure);
  });

  it('a malformed deep line is a failure that names the position, as before', () => {
    const deep = `{"a":${'['.repeat(100_000)}`;
    expect((parseJson(deep) as ParseFailure).reason).toBe(`invalid JSON: unexpected end of input at position ${deep.length}`);
  });

  it('max_depth is validated: 1..128', () => {
    expect(json.options!.safeParse({ max_depth: 0 }).success).toBe(false);
    expect(json.options!.safeParse({ max_depth: 129 }).success).toBe(false);
    expect(json.options!.safeParse({}).success).toBe(true);
  });
});

describe('the json parser through the chain and the encoder', () => {
  it('a 5,000-deep line is an event (nesting bounded), the next line is unaffected', () => {
    const json64 = json.create(json.options!.parse({}), undefined as never);
    const { events, failures } = run(json64, [nested(5000), '{"msg":"after"}']);
    expect(failures).toEqual([]);
    expect(events).toHaveLength(2);
    expect(events[1]!.message).toBe('after');
  });
});

/** A user's parser returning each shape that JSON.stringify or the normaliser cannot take. */
const hostile = {
  parse(text: string): unknown {
    switch (text) {
      case 'bigint':
        return { msg: text, n: 10n };
      case 'cycle': {
        const o: Record<string, unknown> = { msg: text };
        o.self = o;
        return o;
      }
      case 'getter':
        return Object.defineProperty({ msg: text }, 'boom', { enumerable: true, get: () => { throw new Error('getter exploded'); } });
      case 'nested-getter':
        return { msg: text, inner: Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('nested getter exploded'); } }) };
      case 'tojson':
        return { msg: text, inner: { toJSON: () => { throw new Error('toJSON exploded'); } } };
      case 'deep': {
        const root: Record<string, unknown> = {};
        let node = root;
        for (let i = 0; i < 200_000; i++) node = (node.a = {}) as Record<string, unknown>;
        return { msg: text, deep: root };
      }
      case 'drop':
        return null;
      case 'string':
        return 'just a string';
      case 'array':
        return [1, 2];
      default:
        return { msg: text };
    }
  },
};

describe("a user's parser returning what cannot be encoded", () => {
  const shapes: [string, RegExp][] = [
    ['bigint', /event cannot be encoded: .*BigInt/],
    ['cycle', /event cannot be encoded: .*circular/],
    ['getter', /fields could not be read: getter exploded/],
    ['nested-getter', /event cannot be encoded: nested getter exploded/],
    ['tojson', /event cannot be encoded: toJSON exploded/],
    ['deep', /event cannot be encoded: Maximum call stack size exceeded/],
    ['string', /parser returned string, not an object of fields/],
    ['array', /parser returned an array, not an object of fields/],
  ];

  for (const [line, reason] of shapes) {
    it(`${line}: a parse_failure event with the raw text and the reason, counted; the pipeline goes on`, () => {
      const { events, failures } = run(hostile as LineParser, [line, 'fine']);
      expect(events).toHaveLength(2);
      const [bad, good] = events;
      expect(bad!.message).toBe(line);
      expect(bad!.tags).toEqual(['parse_failure']);
      expect(bad!.error.message).toMatch(reason);
      // The pipeline's own fields are still there: file, offset, id, host, static fields, ECS version.
      expect(bad!.log).toEqual({ file: { path: SOURCE.path }, offset: 0 });
      expect(bad!.event.id).toBe(`k${'0'.repeat(12)}`);
      expect(bad!.service).toEqual({ name: 'shop' });
      expect(bad!.host).toEqual({ name: 'host-1' });
      expect(bad!.ecs).toEqual({ version: '8.11.0' });
      expect(bad!.attributes).toBeUndefined();
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(reason);
      expect(good!.message).toBe('fine');
    });
  }

  it('null drops the record: no event, counted as dropped', () => {
    const { events, failures, skipped } = run(hostile as LineParser, ['drop', 'fine']);
    expect(events.map((e) => e.message)).toEqual(['fine']);
    expect(failures).toEqual([]);
    expect(skipped).toEqual(['dropped']);
  });

  it('the failure event keeps the raw text cut at max_line_bytes, tagged truncated', () => {
    const long: LineParser = { parse: (text) => ({ msg: 'x', n: BigInt(text.length) }) };
    const { events } = run(long, ['é'.repeat(100)], 11);
    expect(events[0]!.message).toBe('é'.repeat(5));
    expect(events[0]!.tags).toEqual(['truncated', 'parse_failure']);
  });
});

describe('blank lines', () => {
  it('are skipped and counted, whitespace-only ones too; nothing else is', () => {
    const plain: LineParser = { parse: (text) => ({ message: text }) };
    const { events, skipped } = run(plain, ['a', '', '  \t', '\r', 'b']);
    expect(events.map((e) => e.message)).toEqual(['a', 'b']);
    expect(skipped).toEqual(['blank', 'blank', 'blank']);
  });
});
