// The data-stream splice done on the encoder's bytes (outputs/elasticsearch/encoding.ts):
// where the `data_stream` fields go, when a document is left alone, and that item
// boundaries hold in a batch sharing one buffer (a slice of a bigger one included).
import { describe, expect, it } from 'vitest';
import { BulkItems } from '../../outputs/elasticsearch/encoding.js';
import { createTarget } from '../../outputs/elasticsearch/target.js';
import type { EventBatch } from '../../src/output/contract.js';
import { sliceRecords } from '../../src/output/record-batch.js';
import { prng } from '../support/prng.js';
import { eventBatch, texts } from '../support/records.js';

const DS = { type: 'logs', dataset: 'app', namespace: 'prod' } as const;
const FIELDS = '"data_stream":{"type":"logs","dataset":"app","namespace":"prod"}';
const target = createTarget({ data_stream: DS });

/** The documents of a body with every item, in order (each line checked to be JSON). */
function sentDocuments(items: BulkItems): string[] {
  const text = items.body(Array.from({ length: items.length }, (_, i) => i)).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines).toHaveLength(2 * items.length);
  for (const l of lines) JSON.parse(l);
  return lines.filter((_, k) => k % 2 === 1);
}

/** What the splice must make of a document without its own key: the fields before the closing brace. */
const spliced = (json: string) => (json === '{}' ? `{${FIELDS}}` : `${json.slice(0, -1)},${FIELDS}}`);

/** Checks every item's document in the body and through document(i), byte for byte. */
function expectDocuments(batch: EventBatch, expected: readonly string[]): void {
  const items = new BulkItems(batch, target);
  expect(sentDocuments(items)).toEqual(expected);
  for (let i = 0; i < items.length; i++) expect(items.document(i).equals(Buffer.from(expected[i]!))).toBe(true);
}

describe('encoding.ts: the data_stream splice on bytes', () => {
  it('{} becomes {"data_stream":{…}} with no comma', () => {
    expectDocuments(eventBatch(1, ['{}']), [`{${FIELDS}}`]);
    expect(JSON.parse(new BulkItems(eventBatch(1, ['{}']), target).document(0).toString())).toEqual({ data_stream: DS });
  });

  it('a document with its own "data_stream": key is sent byte for byte as the encoder made it (at the top or nested)', () => {
    const own = [
      JSON.stringify({ message: 'x', data_stream: { type: 'logs', dataset: 'mine', namespace: 'ns' } }),
      JSON.stringify({ data_stream: {} }),
      JSON.stringify({ labels: { data_stream: 'nested' }, message: 'y' }),
    ];
    expectDocuments(eventBatch(1, own), own);
  });

  it('"data_stream" only inside values (no quote-colon key pattern) gets the fields spliced', () => {
    const values = [
      JSON.stringify({ message: 'data_stream' }),
      JSON.stringify({ tags: ['data_stream', 'data_stream'] }),
      JSON.stringify({ message: 'data_stream: set' }),
      JSON.stringify({ message: '"data_stream": {}' }), // escaped quotes: \"data_stream\": is no key
      JSON.stringify({ data_streams: 1, my_data_stream: 2 }),
    ];
    expectDocuments(eventBatch(1, values), values.map(spliced));
    for (const doc of sentDocuments(new BulkItems(eventBatch(1, values), target))) expect((JSON.parse(doc) as { data_stream: unknown }).data_stream).toEqual(DS);
  });

  it('multibyte UTF-8 and escaped quotes or backslashes right before the closing brace', () => {
    const events = [
      { message: 'é' },
      { message: '日本語🎉' },
      { message: 'say "hi"' },
      { message: 'ends in a backslash \\' },
      { message: '}' },
      { message: '\u2028\u2029 \u0000 \ud83d' }, // line separators, NUL and a lone surrogate (JSON.stringify escapes it)
      { '🎉': { 'ключ': 'значение"' } },
    ];
    const jsons = events.map((e) => JSON.stringify(e));
    const batch = eventBatch(1, jsons);
    expectDocuments(batch, jsons.map(spliced));
    const docs = sentDocuments(new BulkItems(batch, target));
    docs.forEach((doc, i) => expect(JSON.parse(doc)).toEqual({ ...events[i], data_stream: DS }));
  });

  it('a batch where only some documents have the key: each is decided on its own bytes', () => {
    const jsons = [
      JSON.stringify({ data_stream: { dataset: 'first' } }), // the key in the first record
      JSON.stringify({ message: 'a' }),
      '{}',
      JSON.stringify({ data_stream: {}, labels: { data_stream: 1 } }), // two keys in one record
      JSON.stringify({ message: 'data_stream' }),
      JSON.stringify({ message: 'b' }),
      JSON.stringify({ data_stream: { dataset: 'last' } }), // the key in the last record
    ];
    const has = [true, false, false, true, false, false, true];
    expectDocuments(eventBatch(1, jsons), jsons.map((j, i) => (has[i] ? j : spliced(j))));
  });

  it('a batch sliced out of a bigger one sees only its own records (keys just outside it do not count)', () => {
    const jsons = [JSON.stringify({ data_stream: {} }), JSON.stringify({ message: 'in 1' }), JSON.stringify({ message: 'in 2' }), JSON.stringify({ data_stream: {} })];
    const whole = eventBatch(1, jsons);
    const middle = { seq: 1, ...sliceRecords(whole, 1, 3) };
    expect(middle.data.byteOffset).not.toBe(whole.data.byteOffset); // a view into the same bytes, not a copy
    expectDocuments(middle, [spliced(jsons[1]!), spliced(jsons[2]!)]);
  });

  it('random documents (unicode, escapes, empty and big fields, the key or not): every one is the encoder\'s bytes, spliced exactly when it has no key', () => {
    const rand = prng(0x5eedda7a);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const pieces = ['', 'a', 'é', '日本', '🎉', '"', '\\', '\n', '\t', '}', '{', ':', ',', 'data_stream', '"data_stream":', '\u2028', 'x'.repeat(5000)];
    const text = () => Array.from({ length: Math.floor(rand() * 6) }, () => pick(pieces)).join('');
    for (let round = 0; round < 20; round++) {
      const events = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => {
        const e: Record<string, unknown> = {};
        for (let k = Math.floor(rand() * 4); k > 0; k--) e[text()] = rand() < 0.5 ? text() : { [text()]: text() };
        if (rand() < 0.3) e.data_stream = { dataset: text() };
        return e;
      });
      const jsons = events.map((e) => JSON.stringify(e));
      const batch = eventBatch(round, jsons);
      expect(texts(batch)).toEqual(jsons);
      // A data_stream key anywhere in the document: the quote-colon pair after `{` or `,` (a value escapes its quotes).
      const expected = jsons.map((j) => (/[{,]"data_stream":/.test(j) ? j : spliced(j)));
      expectDocuments(batch, expected);
    }
  });
});
