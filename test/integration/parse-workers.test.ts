// Parse workers (`pipeline.workers`, src/pipeline/parse-workers.ts): the same
// files give the same events, byte for byte, and the same counters whether
// the parser chain, the processors and the encoder run on the main thread or
// in worker threads; a user's parser module loads in the worker, and one
// that cannot load stops the start with the same message.
import { appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, until, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { OutputReader, waitFor, type ShippedEvent } from '../support/output.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');

const USER_PARSER = `export default {
  name: 'pipes',
  create(options) {
    return {
      parse(text) {
        if (text.includes('boom')) throw new Error('cannot parse ' + options.what);
        const [time, level, msg] = text.split('|');
        return { '@timestamp': time, level, msg };
      },
    };
  },
};
`;

/** A JSON log with a parse failure, a line the processors drop and one they redact; every line carries its time. */
function jsonLines(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const time = new Date(Date.UTC(2026, 2, 1, 10, 0, i)).toISOString();
    if (i === 7) lines.push(`{"@timestamp":"${time}","msg":"broken json ${i}"`);
    else if (i === 11) lines.push(JSON.stringify({ '@timestamp': time, msg: `healthcheck ${i}` }));
    else if (i === 13) lines.push(JSON.stringify({ '@timestamp': time, msg: `mail from jane.doe@example.com ${i}` }));
    else lines.push(JSON.stringify({ '@timestamp': time, level: i % 3 === 0 ? 'warn' : 'info', msg: `event ${i}`, user: { id: i } }));
  }
  return lines.join('\n') + '\n';
}

interface Run {
  events: ShippedEvent[];
  /** The raw JSON of each event by id. */
  byId: Map<string, string>;
  finalStats: Record<string, unknown>[];
}

describe('parse workers', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('the same events, byte for byte, and the same counters with the parsing in workers as on the main thread', async () => {
    const root = await h.tmp('parse-workers');
    const logs = path.join(root, 'logs');
    copyFileSync(path.join(FIXTURES, 'multiline/java.log'), path.join(logs, 'java.log'));
    const javaEvents = readFileSync(path.join(FIXTURES, 'multiline/java.expected.ndjson'), 'utf8').trim().split('\n').length;
    writeFileSync(path.join(logs, 'app.json'), jsonLines(40));
    const modulePath = path.join(root, 'pipes.mjs');
    writeFileSync(modulePath, USER_PARSER);
    writeFileSync(path.join(logs, 'pipes.log'), Array.from({ length: 12 }, (_, i) => (i === 5 ? 'boom\n' : `2026-03-01T11:00:${String(i).padStart(2, '0')}Z|INFO|pipe ${i}\n`)).join(''));
    // 40 JSON lines less the one dropped; every java trace whole; 12 piped lines (one a parse failure, kept).
    const expected = 39 + javaEvents + 12;

    const run = async (workers: number | 'auto', label: string): Promise<Run> => {
      const cfg = baseConfig(
        root,
        [
          { paths: [path.join(logs, 'java.log')], multiline: { preset: 'java', timeout: '500ms' } },
          {
            paths: [path.join(logs, 'app.json')],
            parser: 'json',
            processors: [{ drop: { when: { matches: { message: 'healthcheck' } } } }, { redact: { patterns: ['email'] } }],
          },
          { paths: [path.join(logs, 'pipes.log')], parser: { module: modulePath, options: { what: 'pipes' } } },
        ],
        { path: path.join(root, `out-${label}`) },
      );
      Object.assign(cfg, { buffer: { path: path.join(root, `state-${label}`) }, pipeline: { workers } });
      const proc = h.start(await writeConfig(root, cfg, `logship-${label}.yaml`), { LOGSHIP_LOG_LEVEL: 'debug' });
      const reader = new OutputReader(path.join(root, `out-${label}`));
      await waitFor(reader, () => reader.events.length >= expected, () => `${reader.events.length} of ${expected} events (${label})`, { proc, what: `every event (${label})` });
      expect((await proc.stop()).code).toBe(0);
      reader.poll();
      expect(proc.logRecords().find((r) => r.msg === 'parse workers')?.workers, proc.describe()).toBe(workers);
      return collect(proc, reader.events);
    };

    const local = await run(0, 'main-thread');
    const workers = await run(2, 'workers');
    expect(local.events).toHaveLength(expected);
    expect(workers.events).toHaveLength(expected);
    expect([...workers.byId.keys()].sort()).toEqual([...local.byId.keys()].sort());
    for (const [id, json] of local.byId) expect(workers.byId.get(id), id).toBe(json);

    // What the processors and parsers did shows in the events themselves…
    const texts = [...local.byId.values()];
    expect(texts.some((t) => t.includes('healthcheck'))).toBe(false);
    expect(texts.some((t) => t.includes('jane.doe@example.com'))).toBe(false);
    expect(texts.filter((t) => t.includes('parse_failure'))).toHaveLength(2);
    expect(texts.filter((t) => t.includes('"error":{') && t.includes('stack_trace')).length).toBeGreaterThan(0);
    // …and in each input's counters, the same either way.
    const counters = (r: Run) => r.finalStats.map(({ input, events, parseFailures, droppedRecords, blankLines }) => ({ input, events, parseFailures, droppedRecords, blankLines }));
    expect(counters(workers)).toEqual(counters(local));
    expect(counters(local).map((c) => c.parseFailures)).toEqual([0, 1, 1]);
  });

  it("an idle input does not start its worker's thread: the first lines do", async () => {
    const root = await h.tmp('parse-workers-lazy');
    const file = path.join(root, 'logs', 'app.log');
    writeFileSync(file, '');
    const cfg = { ...baseConfig(root, [{ paths: [file], parser: 'json' }]), pipeline: { workers: 1 } };
    const proc = h.start(await writeConfig(root, cfg), { LOGSHIP_LOG_LEVEL: 'debug' });
    const threads = () => readdirSync(`/proc/${proc.pid}/task`).length;
    // Running: the tailer opened the (empty) file and saved its first checkpoint.
    await until('the first checkpoint', proc, () => existsSync(path.join(root, 'state', 'checkpoints.json')));
    const idle = threads();
    appendFileSync(file, '{"msg":"first"}\n');
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.length >= 1, () => 'the first event', { proc, what: 'the first event' });
    expect(threads()).toBe(idle + 1);
    expect((await proc.stop()).code).toBe(0);
  });

  it('auto runs no more workers than a container memory limit leaves room for', async () => {
    const root = await h.tmp('parse-workers-memory');
    const file = path.join(root, 'logs', 'app.log');
    writeFileSync(file, '');
    const cfg = { ...baseConfig(root, [{ paths: [file], parser: 'json' }]), pipeline: { workers: 'auto' } };
    const chosen = async (limit: string) => {
      const proc = h.start(await writeConfig(root, cfg, `logship-${limit}.yaml`), { LOGSHIP_LOG_LEVEL: 'debug', LOGSHIP_MEMORY_LIMIT: limit });
      await until('the parse workers chosen', proc, () => proc.logRecords().some((r) => r.msg === 'parse workers'));
      expect((await proc.stop()).code).toBe(0);
      const record = proc.logRecords().find((r) => r.msg === 'parse workers')!;
      expect(proc.logRecords().find((r) => r.msg === 'memory budget' || String(r.msg).startsWith('memory budget:'))?.parseWorkersAllowed).toBe(record.memoryAllows);
      return record as unknown as { workers: number; cpus: number; memoryAllows: number };
    };
    // A worker's ~40 MiB would take a 128Mi sidecar past its limit, whatever the CPUs.
    expect(await chosen('128Mi')).toMatchObject({ workers: 0, memoryAllows: 0 });
    const roomy = await chosen('1Gi');
    expect(roomy.memoryAllows).toBeGreaterThanOrEqual(4);
    expect(roomy.workers).toBe(Math.min(4, roomy.cpus - 1));
  });

  it('a parser module that cannot load stops the start with the same message on a worker as on the main thread', async () => {
    const root = await h.tmp('parse-workers-bad-module');
    const modulePath = path.join(root, 'broken.mjs');
    writeFileSync(modulePath, 'throw new Error("this module is broken on purpose");\n');
    const file = path.join(root, 'logs', 'app.log');
    writeFileSync(file, 'a line\n');
    const messageOf = async (workers: number): Promise<string> => {
      const cfg = { ...baseConfig(root, [{ paths: [file], parser: { module: modulePath, options: {} } }]), pipeline: { workers } };
      const proc = h.start(await writeConfig(root, cfg, `logship-${workers}.yaml`));
      const exit = await proc.exited;
      expect(exit.code, proc.describe()).toBe(1);
      const fatal = proc.logRecords().find((r) => r.level === 'fatal' || r.level === 60);
      expect(fatal, proc.describe()).toBeDefined();
      return (fatal!.err as { message: string }).message;
    };
    const onMain = await messageOf(0);
    expect(onMain).toContain('this module is broken on purpose');
    expect(await messageOf(1)).toBe(onMain);
  });
});

function collect(proc: LogshipProcess, events: ShippedEvent[]): Run {
  const byId = new Map<string, string>();
  for (const e of events) {
    // The java lines and the parse failures carry no time logship reads: theirs is the time they were read, which differs by run.
    const raw = e.path?.endsWith('java.log') || e.tags.includes('parse_failure') ? { ...e.raw, '@timestamp': 'read time' } : e.raw;
    byId.set(e.id!, JSON.stringify(raw));
  }
  const finalStats = proc
    .logRecords()
    .filter((r) => r.msg === 'final stats' && r.input !== undefined)
    .sort((a, b) => String(a.input).localeCompare(String(b.input)));
  return { events, byId, finalStats };
}
