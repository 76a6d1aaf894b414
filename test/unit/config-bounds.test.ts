// Every duration and size has a minimum and a maximum, named in the error:
// 0 burns CPU or empties messages, and past 2^31 ms Node's timers fire after 1 ms.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { formatDuration, formatSize } from '../../parsers/units.js';
import { duration, MAX_TIMER_MS } from '../../src/config/units.js';

const INPUT = '{ paths: [a.log] }';
const FILE_OUT = '{ type: file, path: out }';
const ES_OUT = '{ type: elasticsearch, hosts: "http://127.0.0.1:9200", index: logs }';

/** A config with `input` merged into its input, `output` its output and `top` added at the top level. */
function config({ input = '', output = FILE_OUT, top = '' }: { input?: string; output?: string; top?: string }): string {
  const inputs = input === '' ? INPUT : `${INPUT.slice(0, -2)}, ${input} }`;
  return `inputs: [${inputs}]\noutputs: [${output}]\n${top}\n`;
}

function problems(text: string): string[] {
  try {
    parseConfigText(text, 'test.yaml', {});
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

const withOutput = (extra: string, base = ES_OUT) => `${base.slice(0, -2)}, ${extra} }`;

describe('durations and sizes are bounded', () => {
  it.each([
    ['poll_interval: 0ms (a busy loop)', { input: 'poll_interval: 0ms' }, 'inputs[0].poll_interval: expected at least 50ms, got 0ms'],
    ['poll_interval: 25d (overflows a timer to 1 ms)', { input: 'poll_interval: 25d' }, 'inputs[0].poll_interval: expected at most 1h, got 25d'],
    ['rescan_interval: 0ms', { input: 'rescan_interval: 0ms' }, 'inputs[0].rescan_interval: expected at least 100ms, got 0ms'],
    ['max_line_bytes: 0 (empties every message)', { input: 'max_line_bytes: 0' }, 'inputs[0].max_line_bytes: expected at least 256B, got 0'],
    ['fingerprint_bytes: 1', { input: 'fingerprint_bytes: 1' }, 'inputs[0].fingerprint_bytes: expected at least 64B, got 1'],
    ['checkpoint.interval: 0ms', { top: 'checkpoint: { interval: 0ms }' }, 'checkpoint.interval: expected at least 100ms, got 0ms'],
    ['shutdown.timeout: 30d (a timer that fires at once)', { top: 'shutdown: { timeout: 30d }' }, 'shutdown.timeout: expected at most 1d, got 30d'],
    ['buffer.max_size: 0', { top: 'buffer: { max_size: 0 }' }, 'buffer.max_size: expected at least 1MiB, got 0'],
    ['buffer.segment_size: 1KiB', { top: 'buffer: { segment_size: 1KiB }' }, 'buffer.segment_size: expected at least 64KiB, got 1KiB'],
    ['buffer.sync_interval: 0ms', { top: 'buffer: { sync_interval: 0ms }' }, 'buffer.sync_interval: expected at least 10ms, got 0ms'],
    ['an output buffer max_size: 0', { output: withOutput('buffer: { max_size: 0 }', FILE_OUT) }, 'outputs[0].buffer.max_size: expected at least 1MiB, got 0'],
    ['batch.max_bytes: 0', { output: withOutput('batch: { max_bytes: 0 }') }, 'outputs[0].batch.max_bytes: expected at least 1KiB, got 0'],
    ['batch.max_bytes: 1GiB (past ES limits)', { output: withOutput('batch: { max_bytes: 1GiB }') }, 'outputs[0].batch.max_bytes: expected at most 100MiB, got 1GiB'],
    ['request_timeout: 30d', { output: withOutput('request_timeout: 30d') }, 'outputs[0].request_timeout: expected at most 1h, got 30d'],
    ['retry.max_duration: 60d', { output: withOutput('retry: { max_duration: 60d }') }, 'outputs[0].retry.max_duration: expected at most 7d, got 60d'],
    ['object.max_age: 0ms', { output: withOutput('object: { max_age: 0ms }', FILE_OUT) }, 'outputs[0].object.max_age: expected at least 100ms, got 0ms'],
    ['file sync_interval: 25d', { output: withOutput('sync_interval: 25d', FILE_OUT) }, 'outputs[0].sync_interval: expected at most 1h, got 25d'],
    ['multiline.timeout: 0ms', { input: 'multiline: { start: "^x", timeout: 0ms }' }, 'inputs[0].multiline.timeout: expected at least 10ms, got 0ms'],
  ])('%s is refused, the bound named', (_name, parts, expected) => {
    expect(problems(config(parts)).map((p) => p.replace(/ \(line \d+\)$/, ''))).toEqual([expected]);
  });

  it.each([
    ['the smallest values tests and examples use', {
      input: 'poll_interval: 50ms, rescan_interval: 100ms, max_line_bytes: 1KiB, fingerprint_bytes: 64',
      output: withOutput('object: { max_bytes: 200, max_age: 100ms }, sync_interval: 20ms', FILE_OUT),
      top: 'buffer: { max_size: 1MiB, segment_size: 64KiB, sync_interval: 20ms }\nshutdown: { timeout: 1s }',
    }],
    ['object.max_bytes: 64KiB', { output: withOutput('object: { max_bytes: 64KiB }', FILE_OUT) }],
    ['an ES output with small batches and quick retries', { output: withOutput('batch: { max_bytes: 64KiB, timeout: 0ms }, retry: { initial_backoff: 10ms, max_backoff: 50ms, max_duration: 1s }') }],
    ['the largest bounds', { input: 'poll_interval: 1h', top: 'shutdown: { timeout: 24h }\nbuffer: { max_size: 16TiB }' }],
  ])('%s are valid', (_name, parts) => {
    expect(problems(config(parts))).toEqual([]);
  });

  it('a duration bound past what a Node timer holds is a programming error', () => {
    expect(() => duration({ min: 0, max: MAX_TIMER_MS + 1 })).toThrow(/overflows/);
    expect(() => duration({ min: 0, max: MAX_TIMER_MS })).not.toThrow();
  });

  it('bounds print in the largest exact unit', () => {
    expect([formatSize(64 * 1024), formatSize(200), formatSize(1024 ** 4 * 16)]).toEqual(['64KiB', '200B', '16TiB']);
    expect([formatDuration(50), formatDuration(1500), formatDuration(86_400_000)]).toEqual(['50ms', '1500ms', '1d']);
  });
});
