import { describe, expect, it } from 'vitest';
import { ParserChain, type ChainRecord } from '../../parsers/chain.js';
import { buildChainSpec, type ParsingConfig } from '../../parsers/setup.js';

// Events leave the parser chain in the order of their first line, whatever
// stream of a container log finishes first, and a line that is not a container
// line never overtakes a multi-line event still being assembled before it.

const T = '2024-03-05T12:00:00.000000000Z';

async function chainFor(multiline: ParsingConfig['multiline']): Promise<ParserChain> {
  const spec = await buildChainSpec({ parser: 'plain', container: 'cri', multiline, keep_original: false, fields_under: 'attributes', max_line_bytes: 1 << 20 }, () => 0);
  return new ParserChain(spec);
}

/** Feeds the lines one by one (offset = index), then flushes; returns [offset, message, stream] per event. */
function run(chain: ParserChain, lines: string[]): [number, string, unknown][] {
  const source = {};
  const out: ChainRecord[] = [];
  lines.forEach((l, i) => chain.push(source, [l], [i], null, 0, out));
  chain.flushAll(0, out);
  return out.map((r) => [r.offset, r.event.message as string, (r.event.attributes as Record<string, unknown> | undefined)?.stream]);
}

describe('multiline order: events leave in the order of their first line', () => {
  it('a stderr line written while a stdout trace is assembled leaves after the trace and before the next stdout line', async () => {
    const got = run(await chainFor({ preset: 'java' }), [
      `${T} stdout F java.lang.IllegalStateException: pool exhausted`,
      `${T} stderr F W0305 12:00:00.000000       1 client.go:618] retrying`,
      `${T} stdout F \tat com.example.Pool.acquire(Pool.java:88)`,
      `${T} stdout F 2024-03-05 12:00:01 INFO next`,
    ]);
    expect(got).toEqual([
      [0, 'java.lang.IllegalStateException: pool exhausted\n\tat com.example.Pool.acquire(Pool.java:88)', 'stdout'],
      [1, 'W0305 12:00:00.000000       1 client.go:618] retrying', 'stderr'],
      [3, '2024-03-05 12:00:01 INFO next', 'stdout'],
    ]);
  });

  it('a line that is not a CRI line ends the trace before it and leaves after it, not before', async () => {
    const got = run(await chainFor({ preset: 'java' }), [
      `${T} stdout F java.lang.IllegalStateException: pool exhausted`,
      `${T} stdout F \tat com.example.Pool.acquire(Pool.java:88)`,
      'not a CRI line',
      `${T} stdout F 2024-03-05 12:00:01 INFO next`,
    ]);
    expect(got.map(([offset, message]) => [offset, message])).toEqual([
      [0, 'java.lang.IllegalStateException: pool exhausted\n\tat com.example.Pool.acquire(Pool.java:88)'],
      [2, 'not a CRI line'],
      [3, '2024-03-05 12:00:01 INFO next'],
    ]);
  });

  it('a raw line also ends a line whose CRI pieces are still coming (as Fluent Bit does), tagged partial_line', async () => {
    const source = {};
    const out: ChainRecord[] = [];
    const chain = await chainFor(undefined);
    const lines = [`${T} stderr P dd`, 'single line to force pending flush of the previous line', `${T} stderr F ee`];
    lines.forEach((l, i) => chain.push(source, [l], [i], null, 0, out));
    chain.flushAll(0, out);
    expect(out.map((r) => [r.offset, r.event.message, r.event.tags])).toEqual([
      [0, 'dd', ['partial_line']],
      [1, 'single line to force pending flush of the previous line', ['parse_failure']],
      [2, 'ee', undefined],
    ]);
  });

  it('a custom start pattern after CRI P/F joining groups the joined lines per stream, events in first-line order', async () => {
    const got = run(await chainFor({ start: '^\\[\\d{4}-' }), [
      `${T} stdout P [2024-03-05 12:00:00] A starts `,
      `${T} stderr F [2024-03-05 12:00:00] B starts`,
      `${T} stdout F and A's first line ends`,
      `${T} stdout F [2024-03-05 12:00:01] C`,
      `${T} stderr F   B continues`,
      `${T} stdout F [2024-03-05 12:00:02] D`,
    ]);
    expect(got).toEqual([
      [0, "[2024-03-05 12:00:00] A starts and A's first line ends", 'stdout'],
      [1, '[2024-03-05 12:00:00] B starts\n  B continues', 'stderr'],
      [3, '[2024-03-05 12:00:01] C', 'stdout'],
      [5, '[2024-03-05 12:00:02] D', 'stdout'],
    ]);
  });

  it('the checkpoint does not pass an event that waits for an earlier one', async () => {
    const chain = await chainFor({ preset: 'java' });
    const source = {};
    const out: ChainRecord[] = [];
    const push = (line: string, offset: number) => chain.push(source, [line], [offset], null, 0, out);
    push(`${T} stdout F java.lang.IllegalStateException: pool exhausted`, 0);
    push(`${T} stderr F first stderr line`, 100);
    push(`${T} stderr F second stderr line`, 200);
    // The first stderr line is finished but waits for the stdout trace.
    expect(out).toEqual([]);
    expect(chain.pendingStart(source)).toBe(0);
    push(`${T} stdout F 2024-03-05 12:00:01 INFO next`, 300);
    expect(out.map((r) => r.offset)).toEqual([0, 100]);
    expect(chain.pendingStart(source)).toBe(200);
  });
});
