// Issue 3, through `logship run`: the parser chain in the daemon (container
// wrapper → multi-line → content format), a user's parser module that throws,
// and a multi-line event pending across a kill -9 (the checkpoint must not pass it).
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, useHarness, writeConfig } from '../support/logship-process.js';
import { field, OutputReader, waitFor, type ShippedEvent } from '../support/output.js';
import { checkpointOffset, waitForCheckpoint } from '../support/buffer-files.js';

const T = '2026-03-01T10:00:0';

function cri(second: number, stream: 'stdout' | 'stderr', tag: 'P' | 'F', text: string): string {
  return `${T}${second}.123456789Z ${stream} ${tag} ${text}\n`;
}

const byMessage = (events: readonly ShippedEvent[], needle: string) => events.filter((e) => e.message.includes(needle));

describe('parsers in logship run', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('CRI lines: P/F pieces joined per stream, a Java trace on stderr assembled across interleaved stdout JSON, JSON content parsed', async () => {
    const root = await h.tmp('run-parsers');
    const file = path.join(root, 'logs', 'pod.log');
    const longValue = 'x'.repeat(40_000);
    const content =
      cri(1, 'stdout', 'F', '{"level":"info","msg":"started","port":8080}') +
      cri(2, 'stderr', 'F', 'Exception in thread "main" java.lang.IllegalStateException: no db') +
      cri(2, 'stdout', 'P', `{"level":"warn","msg":"big","blob":"${longValue.slice(0, 16_000)}`) +
      cri(2, 'stderr', 'F', '\tat com.example.Db.connect(Db.java:42)') +
      cri(2, 'stdout', 'P', longValue.slice(16_000, 32_000)) +
      cri(2, 'stderr', 'F', '\tat com.example.Main.main(Main.java:7)') +
      cri(3, 'stdout', 'F', `${longValue.slice(32_000)}"}`) +
      cri(4, 'stderr', 'F', '{"level":"error","msg":"after the trace"}') +
      cri(5, 'stdout', 'F', '{"level":"debug","msg":"last"}');
    writeFileSync(file, content);

    const cfg = await writeConfig(
      root,
      baseConfig(root, [{ name: 'pod', paths: [file], container: 'cri', parser: 'json', multiline: { preset: 'java', timeout: '500ms' } }]),
    );
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.length >= 5, () => `${reader.events.length} of 5 events`, { proc, what: 'five events' });
    expect((await proc.stop()).code).toBe(0);
    reader.poll();
    const events = reader.events;
    expect(events).toHaveLength(5);

    const started = byMessage(events, 'started')[0]!;
    expect(field(started.raw, 'log.level')).toBe('info');
    expect(field(started.raw, 'attributes.port')).toBe(8080);
    expect(field(started.raw, 'attributes.stream')).toBe('stdout');
    expect(started.offset).toBe(0);

    // Three P/F pieces, interleaved with stderr lines, make one JSON document again.
    const big = byMessage(events, 'big')[0]!;
    expect(field(big.raw, 'attributes.blob')).toBe(longValue);
    expect(field(big.raw, 'log.level')).toBe('warn');
    expect(big.offset).toBe(content.indexOf(`${T}2.123456789Z stdout P`));
    // The time comes from the container line when the content has none.
    expect(field(big.raw, '@timestamp')).toBe('2026-03-01T10:00:02.123Z');

    // The stderr stream's trace is one event, unsplit by the stdout pieces between its lines.
    const trace = byMessage(events, 'IllegalStateException')[0]!;
    expect(trace.message.split('\n')).toHaveLength(3);
    expect(field(trace.raw, 'error.type')).toBe('java.lang.IllegalStateException');
    expect(field(trace.raw, 'error.message')).toBe('no db');
    expect(trace.tags).toContain('parse_failure'); // the trace is not JSON: kept whole, tagged
    expect(field(trace.raw, 'attributes.stream')).toBe('stderr');

    expect(field(byMessage(events, 'after the trace')[0]!.raw, 'log.level')).toBe('error');
    expect(new Set(events.map((e) => e.id)).size).toBe(5);
  });

  it("a user's parser module that throws fails only that record: kept, tagged, the process lives on", async () => {
    const root = await h.tmp('run-user-parser');
    const modulePath = path.join(root, 'my-parser.mjs');
    writeFileSync(
      modulePath,
      `export default {
        name: 'pipes',
        create(options) {
          return {
            parse(text) {
              if (text.includes('boom')) throw new Error('cannot parse ' + options.what);
              const [level, msg] = text.split('|');
              return { level, msg, sep: options.what };
            },
          };
        },
      };\n`,
    );
    const file = path.join(root, 'logs', 'app.log');
    writeFileSync(file, 'WARN|disk low\nboom\nINFO|all good\n');
    const cfg = await writeConfig(root, baseConfig(root, [{ paths: [file], parser: { module: modulePath, options: { what: 'pipes' } } }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.length >= 3, () => `${reader.events.length} of 3 events`, { proc, what: 'three events' });
    expect((await proc.stop()).code).toBe(0);
    const events = reader.events;
    expect(events.map((e) => e.message)).toEqual(['disk low', 'boom', 'all good']);
    expect(field(events[0]!.raw, 'log.level')).toBe('warn');
    expect(field(events[0]!.raw, 'attributes.sep')).toBe('pipes');
    expect(events[1]!.tags).toEqual(['parse_failure']);
    expect(field(events[2]!.raw, 'log.level')).toBe('info');
  });

  it('a multi-line event pending at kill -9 is read again whole after the restart, never split', async () => {
    const root = await h.tmp('run-pending');
    const file = path.join(root, 'logs', 'app.log');
    writeFileSync(file, '2026-03-01 first event\n2026-03-01 second event starts\n  continued 1\n  continued 2\n');
    const input = { paths: [file], multiline: { start: '^\\d{4}-\\d\\d-\\d\\d ', timeout: '10m' } };
    const cfg = await writeConfig(root, baseConfig(root, [input]));

    const first = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.length >= 1, () => 'the first event', { proc: first, what: 'the first event' });
    // Crash once a checkpoint has landed while the second event is still pending: at its first line.
    const secondStarts = Buffer.byteLength('2026-03-01 first event\n');
    await waitForCheckpoint(path.join(root, 'state'), file, secondStarts, first);
    await first.kill9();
    expect(checkpointOffset(path.join(root, 'state'), file), 'the checkpoint stops at the pending event').toBe(secondStarts);

    appendFileSync(file, '2026-03-01 third event\n');
    const second = h.start(cfg);
    await waitFor(reader, () => byMessage(reader.events, 'second event').length >= 1, () => 'the second event', { proc: second, what: 'the second event' });
    expect((await second.stop()).code).toBe(0);
    reader.poll();

    const seconds = byMessage(reader.events, 'second event');
    expect(seconds.length).toBeGreaterThanOrEqual(1);
    for (const e of seconds) expect(e.message).toBe('2026-03-01 second event starts\n  continued 1\n  continued 2');
    // No event made of the continuation lines alone: the checkpoint stayed at the event's first line.
    expect(reader.events.filter((e) => e.message.startsWith('  continued'))).toEqual([]);
    expect(byMessage(reader.events, 'third event')).toHaveLength(1);
  });
});
