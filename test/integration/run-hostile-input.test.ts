// Issue 9 item 1 through real processes: one deeply nested JSON line, or a
// user's parser returning what JSON cannot hold, used to kill `logship run`
// (and crash-loop on the same line) and `logship parse`. Now the line is an
// event (nesting bounded) or a parse_failure with the raw text, counted, and
// the lines after it are delivered by the same, still running, process.
import { spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, baseConfig, requireEngine, useHarness, writeConfig } from '../support/logship-process.js';
import { field, OutputReader, waitFor } from '../support/output.js';

const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

const HOSTILE_MODULE = `export default {
  name: 'hostile',
  create() {
    return {
      parse(text) {
        switch (text) {
          case 'bigint': return { msg: text, n: 10n };
          case 'cycle': { const o = { msg: text }; o.self = o; return o; }
          case 'getter': return Object.defineProperty({ msg: text }, 'boom', { enumerable: true, get() { throw new Error('getter exploded'); } });
          case 'tojson': return { msg: text, inner: { toJSON() { throw new Error('toJSON exploded'); } } };
          case 'deep': { const root = {}; let o = root; for (let i = 0; i < 200000; i++) o = o.a = {}; return { msg: text, deep: root }; }
          case 'drop': return null;
          default: return { msg: text };
        }
      },
    };
  },
};
`;

describe('hostile input in logship run and logship parse', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('parser: json, a 5,000-deep and a 100,000-deep line: events with the nesting bounded; the process keeps running and ships later lines', async () => {
    const root = await h.tmp('run-deep-json');
    const file = path.join(root, 'logs', 'app.log');
    writeFileSync(file, `${nested(5000)}\n${nested(100_000)}\n{"msg":"after the deep lines"}\n`);
    const cfg = await writeConfig(root, baseConfig(root, [{ paths: [file], parser: 'json' }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.length >= 3, () => `${reader.events.length} of 3 events`, { proc, what: 'the deep lines and the next one' });

    // Still running: a line written now arrives too.
    appendFileSync(file, '{"msg":"written later"}\n');
    await waitFor(reader, () => reader.events.some((e) => e.message === 'written later'), () => 'the later line', { proc, what: 'the later line' });
    expect((await proc.stop()).code).toBe(0);
    reader.poll();

    const [deep5k, deep100k] = reader.events;
    for (const [e, depth] of [[deep5k!, 5000], [deep100k!, 100_000]] as const) {
      expect(e.tags).toEqual([]);
      // Levels 1-64 are objects (level 1 is the record, attributes.a level 2); level 65 on is text.
      expect(field(e.raw, `attributes${'.a'.repeat(64)}`)).toBe(nested(depth - 64));
    }
    expect(reader.events.map((e) => e.message).slice(2)).toEqual(['after the deep lines', 'written later']);
  });

  it("a user's parser returning a BigInt, a cycle, a throwing getter or toJSON, a 200,000-deep object: parse_failure events with the raw line, counted; null drops", async () => {
    const root = await h.tmp('run-hostile-module');
    const modulePath = path.join(root, 'hostile.mjs');
    writeFileSync(modulePath, HOSTILE_MODULE);
    const file = path.join(root, 'logs', 'app.log');
    const bad = ['bigint', 'cycle', 'getter', 'tojson', 'deep'];
    writeFileSync(file, [...bad, 'drop', '', 'fine'].map((l) => `${l}\n`).join(''));
    const cfg = await writeConfig(root, baseConfig(root, [{ name: 'app', paths: [file], parser: { module: modulePath } }]));
    const proc = h.start(cfg);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.some((e) => e.message === 'fine'), () => `${reader.events.length} events, no "fine" yet`, { proc, what: 'the good line' });
    appendFileSync(file, 'later\n');
    await waitFor(reader, () => reader.events.some((e) => e.message === 'later'), () => 'the later line', { proc, what: 'the later line' });
    expect((await proc.stop()).code).toBe(0);
    reader.poll();

    expect(reader.events.map((e) => e.message)).toEqual([...bad, 'fine', 'later']);
    for (const e of reader.events.slice(0, bad.length)) {
      expect(e.tags).toEqual(['parse_failure']);
      expect(String(field(e.raw, 'error.message'))).toMatch(/^(event cannot be encoded|fields could not be read): /);
    }
    const stats = proc.logRecords().find((r) => r.msg === 'final stats' && r.input === 'app');
    expect(stats, proc.stderrTail()).toMatchObject({ events: bad.length + 2, parseFailures: bad.length, droppedRecords: 1, blankLines: 1 });
  });

  for (const format of ['json', 'auto']) {
    it(`logship parse --format ${format} on a 5,000-deep line: exit 0, the event and the next line`, () => {
      const r = spawnSync(process.execPath, [CLI, 'parse', '--format', format, '-'], {
        input: `${nested(5000)}\n{"msg":"next"}\n`,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events).toHaveLength(2);
      expect(field(events[0]!, `attributes${'.a'.repeat(64)}`)).toBe(nested(5000 - 64));
      expect(events[1]!.message).toBe('next');
    });
  }

  it('logship parse with a user module returning a BigInt: exit 0, a parse_failure event, the reason on stderr', async () => {
    const root = await h.tmp('parse-hostile-module');
    const modulePath = path.join(root, 'hostile.mjs');
    writeFileSync(modulePath, HOSTILE_MODULE);
    const config = path.join(root, 'logship.yaml');
    writeFileSync(config, `inputs: [{ paths: [x.log], parser: { module: ${JSON.stringify(modulePath)} } }]\noutputs: [{ type: stdout }]\n`);
    const r = spawnSync(process.execPath, [CLI, 'parse', '--config', config, '-'], { input: 'bigint\nfine\n', encoding: 'utf8', cwd: root, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.message)).toEqual(['bigint', 'fine']);
    expect(events[0]!.tags).toEqual(['parse_failure']);
    expect(r.stderr).toMatch(/parse_failure at byte 0: event cannot be encoded: .*BigInt/);
  });
});
