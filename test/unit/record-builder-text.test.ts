// RecordBatchBuilder.addText: the encoder writes each event's JSON text straight into the batch's bytes.
import { describe, expect, it } from 'vitest';
import { RecordBatchBuilder, recordJson } from '../../src/output/record-batch.js';

describe('RecordBatchBuilder.addText', () => {
  it('encodes every text as UTF-8 with its newline, however long or wide (emoji, CJK, a lone surrogate), growing as it goes', () => {
    const texts = [
      '{"a":1}',
      JSON.stringify({ m: 'grüße 日本語 😀' }),
      '{"s":"\ud800"}',
      JSON.stringify({ big: '€'.repeat(70_000) }),
      ...Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, m: 'x'.repeat(i) })),
    ];
    const b = new RecordBatchBuilder(16, 2);
    texts.forEach((t, i) => b.addText(t, i * 10, `id${i}`));
    const batch = b.build();
    expect(batch.count).toBe(texts.length);
    expect(batch.data.equals(Buffer.from(texts.map((t) => `${t}\n`).join('')))).toBe(true);
    texts.forEach((t, i) => expect(recordJson(batch, i).toString()).toBe(Buffer.from(t).toString()));
    expect(Array.from(batch.times.subarray(0, 3))).toEqual([0, 10, 20]);
    expect(batch.ids[499]).toBe('id499');
  });

  it('gives back the room it will not use, so a small batch held in a buffer does not hold a large allocation', () => {
    const b = new RecordBatchBuilder(1024 * 1024);
    b.addText('{"tiny":true}', 0, 'id');
    const batch = b.build();
    expect(batch.data.length).toBe(14);
    expect(batch.data.buffer.byteLength).toBe(14);
    expect(batch.ends.buffer.byteLength).toBe(4);
  });
});
