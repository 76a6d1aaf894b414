// Issue 14, "Processors, before the buffer": each processor and condition,
// applied in order to events, configured through the real config loader; and
// a bad regex or a bad processor named by its path, by the loader and by
// `logship validate`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainRecord } from '../../parsers/chain.js';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { eventId } from '../../src/event/event-id.js';
import { EventEncoder } from '../../src/pipeline/event-encoder.js';
import { ProcessorList } from '../../src/processors/processor-list.js';
import { Throttle } from '../../src/processors/throttle.js';
import { createMetrics } from '../../src/server/metrics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const KEY = 'deadbeefdeadbeef';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'logship-processors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config whose one input has these processors (YAML flow or block text, indented under `processors:`). */
function config(processors: string): string {
  return `inputs:\n  - paths: [/var/log/app.log]\n    processors:\n${processors.replace(/^/gm, '      ')}\noutputs:\n  - type: stdout\n`;
}

function load(processors: string): ProcessorList {
  return new ProcessorList(parseConfigText(config(processors), 'test.yaml', {}).inputs[0]!.processors);
}

/** Problems the loader reports, one string each. */
function problems(processors: string): string[] {
  try {
    parseConfigText(config(processors), 'test.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

type Ev = Record<string, unknown>;
const rec = (event: Ev, offset = 0) => ({ event, offset });
/** The events the processors keep, in order. */
function run(list: ProcessorList, events: Ev[], now = 0): Ev[] {
  return list.run(events.map((e, i) => rec(e, i * 100)), 'k'.repeat(16), now).map((r) => r.event);
}

describe('conditions', () => {
  const events = (): Ev[] => [
    { message: 'GET /healthz 200 kube-probe/1.29', log: { level: 'info' }, http: { response: { status_code: 200 } } },
    { message: 'payment failed', log: { level: 'error' }, http: { response: { status_code: 500 } }, error: { type: 'Timeout' } },
    { message: 'debug detail', log: { level: 'debug' }, attributes: { 'user.id': 'u1' } },
  ];
  const kept = (when: string) => run(load(`- drop: { when: ${when} }`), events()).map((e) => e.message);

  it('equals: strings, and a number equal to its text', () => {
    expect(kept('{ equals: { log.level: debug } }')).toEqual(['GET /healthz 200 kube-probe/1.29', 'payment failed']);
    expect(kept('{ equals: { http.response.status_code: 500 } }')).toEqual(['GET /healthz 200 kube-probe/1.29', 'debug detail']);
    expect(kept('{ equals: { http.response.status_code: "200" } }')).toEqual(['payment failed', 'debug detail']);
  });

  it('matches: unanchored RE2 search', () => {
    expect(kept("{ matches: { message: 'kube-probe' } }")).toEqual(['payment failed', 'debug detail']);
    expect(kept("{ matches: { log.level: '^(debug|info)$' } }")).toEqual(['payment failed']);
  });

  it('exists, including a key that holds a dot', () => {
    expect(kept('{ exists: error.type }')).toEqual(['GET /healthz 200 kube-probe/1.29', 'debug detail']);
    expect(kept('{ exists: attributes.user.id }')).toEqual(['GET /healthz 200 kube-probe/1.29', 'payment failed']);
  });

  it('all, any, not', () => {
    expect(kept('{ all: [{ equals: { log.level: info } }, { matches: { message: probe } }] }')).toEqual(['payment failed', 'debug detail']);
    expect(kept('{ any: [{ equals: { log.level: debug } }, { exists: error }] }')).toEqual(['GET /healthz 200 kube-probe/1.29']);
    expect(kept('{ not: { equals: { log.level: error } } }')).toEqual(['payment failed']);
  });

  it('keep keeps only what matches; both count what they drop', () => {
    const list = load('- keep: { when: { any: [{ equals: { log.level: error } }, { equals: { log.level: info } }] } }\n- drop: { when: { matches: { message: probe } } }');
    expect(run(list, events()).map((e) => e.message)).toEqual(['payment failed']);
    expect(list.counters().dropped).toEqual({ keep: 1, drop: 1 });
  });
});

describe('field processors, in order', () => {
  it('rename, remove, set run in the order listed, each seeing the one before', () => {
    const list = load(
      [
        '- rename: { attributes.usr: user.name, msg_level: log.level }',
        '- set: { service.name: checkout, labels.env: prod, event.dataset: app.log }',
        '- remove: [attributes.password, labels]',
        '- drop: { when: { equals: { user.name: healthcheck } } }',
        '- set: { labels.seen: true }',
      ].join('\n'),
    );
    const out = run(list, [
      { message: 'a', msg_level: 'warn', attributes: { usr: 'bob', password: 'hunter2' } },
      { message: 'b', attributes: { usr: 'healthcheck' } },
    ]);
    expect(out).toEqual([
      { message: 'a', log: { level: 'warn' }, user: { name: 'bob' }, attributes: {}, service: { name: 'checkout' }, event: { dataset: 'app.log' }, labels: { seen: true } },
    ]);
  });

  it('a rename whose target runs through a value is left undone, never losing the value', () => {
    const out = run(load('- rename: { a: message.x }'), [{ message: 'text', a: 1 }]);
    expect(out).toEqual([{ message: 'text', a: 1 }]);
  });

  it('redact in the list sees the fields as the processors before it left them', () => {
    const out = run(load('- set: { user.email: carol@example.com }\n- redact: { fields: [user] }'), [{ message: 'from 10.0.0.1' }]);
    expect(out).toEqual([{ message: 'from [REDACTED:ipv4]', user: { email: '[REDACTED:email]' } }]);
  });
});

describe('sample', () => {
  it('keeps about 1 in N, the same events every time, chosen by the event id the encoder will give them', () => {
    const events = () => Array.from({ length: 1000 }, (_, i) => ({ message: `m${i}` }));
    const keptA = run(load('- sample: { rate: 10 }'), events()).map((e) => e.message);
    const keptB = run(load('- sample: { rate: 10 }'), events()).map((e) => e.message);
    expect(keptB).toEqual(keptA);
    expect(keptA.length).toBeGreaterThan(50);
    expect(keptA.length).toBeLessThan(150);
    // Another source key (another file) picks other events.
    const other = load('- sample: { rate: 10 }').run(events().map((e, i) => rec(e, i * 100)), 'f'.repeat(16), 0).map((r) => r.event.message);
    expect(other).not.toEqual(keptA);
    // The id is the encoder's: event-id.ts from the source key and the offset.
    expect(eventId('k'.repeat(16), 100)).toBe(`${'k'.repeat(16)}000000000064`);
  });

  it('rate 1 keeps everything', () => {
    expect(run(load('- sample: { rate: 1 }'), [{ message: 'a' }, { message: 'b' }])).toHaveLength(2);
  });
});

describe('throttle', () => {
  it('lets events_per_second through per key, counts the excess per key, refills with time', () => {
    const list = load('- throttle: { events_per_second: 2, key: service.name }');
    const burst = (svc: string, n: number) => Array.from({ length: n }, () => ({ message: 'x', service: { name: svc } }));
    expect(run(list, [...burst('a', 5), ...burst('b', 1)], 1_000)).toHaveLength(3);
    expect(list.counters().throttled).toEqual({ a: 3 });
    expect(list.counters().dropped).toEqual({ throttle: 3 });
    // Half a second later one token is back for `a`.
    expect(run(list, burst('a', 3), 1_500)).toHaveLength(1);
    expect(list.counters().throttled).toEqual({ a: 5 });
  });

  it('without a key one limit holds for the input; a rate below 1 still lets one event through', () => {
    expect(run(load('- throttle: { events_per_second: 1 }'), [{ message: 'a' }, { message: 'b' }], 0)).toHaveLength(1);
    expect(run(load('- throttle: { events_per_second: 0.5 }'), [{ message: 'a' }, { message: 'b' }], 0)).toHaveLength(1);
  });

  it('counts at most 100 keys by name, the rest under _other', () => {
    const t = new Throttle(1);
    for (let i = 0; i < 150; i++) for (let j = 0; j < 2; j++) t.admit(`k${i}`, 0);
    expect(Object.keys(t.dropped)).toHaveLength(101);
    expect(t.dropped._other).toBe(50);
  });
});

describe('redact through the config', () => {
  it('mask by default with every built-in; hash with the key file, equal across two instances (as across restarts)', () => {
    writeFileSync(path.join(dir, 'key'), `${KEY}\n`);
    expect(run(load('- redact: {}'), [{ message: 'bob@example.com' }])).toEqual([{ message: '[REDACTED:email]' }]);
    const hashOnce = () => run(load(`- redact: { mode: hash, key_file: ${path.join(dir, 'key')} }`), [{ message: 'bob@example.com' }])[0]!.message;
    expect(hashOnce()).toMatch(/^\[HMAC:email:[0-9a-f]{32}\]$/);
    expect(hashOnce()).toBe(hashOnce());
  });

  it('counts redactions per kind', () => {
    const list = load("- redact: { patterns: [email, { name: ticket, regex: 'T-[0-9]+' }] }");
    run(list, [{ message: 'a@example.com b@example.com T-1' }]);
    expect(list.counters().redactions).toEqual({ email: 2, ticket: 1 });
  });

  it('an event the encoder cannot encode is rebuilt from the raw text by its fallback, and redacted again', () => {
    const list = load('- redact: {}');
    const raw = '{"user":"bob@example.com","n":1}';
    // As a user parser may return: a BigInt JSON.stringify refuses.
    const input: ChainRecord[] = [{ source: {}, offset: 0, time: 0, text: raw, event: { message: 'm', attributes: { n: 1n } } }];
    const records = list.run(input, 'k'.repeat(16), 0);
    const fallback = (rec: ChainRecord, reason: string): ChainRecord => ({ ...rec, event: { message: rec.text, error: { message: reason } } });
    const encoder = new EventEncoder({}, 'host', list.redactingFallback(fallback));
    const batch = encoder.encodeBatch(records, { path: '/var/log/app.log', key: 'k'.repeat(16) });
    const event = JSON.parse(batch.data.toString('utf8')) as { message: string };
    expect(event.message).toBe('{"user":"[REDACTED:email]","n":1}');
    expect(batch.data.includes('bob@example.com')).toBe(false);
  });
});

describe('metrics', () => {
  it('expose drops by processor, redactions by kind and throttled events by key, per input', async () => {
    const list = load("- throttle: { events_per_second: 1, key: service.name }\n- drop: { when: { exists: x } }\n- redact: { patterns: [email] }");
    run(list, [{ message: 'a@example.com', service: { name: 's' } }, { message: 'b', service: { name: 's' } }, { message: 'c', x: 1, service: { name: 't' } }]);
    const registry = createMetrics({ inputs: () => [{ input: 'app', events: 3, parseFailures: 0, blankLines: 0, droppedRecords: 0, parsedBy: undefined, processors: list.counters(), tailer: { truncatedLines: 0, filesTracked: 0, filesMatched: 0, rotations: 0, truncations: 0, truncationsWithLoss: 0 } as never }], outputs: () => [], checkpoint: () => ({ writeErrors: {}, diskFull: false }) });
    const text = await registry.metrics();
    expect(text).toContain('logship_processor_dropped_events_total{input="app",processor="throttle"} 1');
    expect(text).toContain('logship_processor_dropped_events_total{input="app",processor="drop"} 1');
    expect(text).toContain('logship_processor_redactions_total{input="app",kind="email"} 1');
    expect(text).toContain('logship_processor_throttled_events_total{input="app",key="s"} 1');
  });
});

describe('bad processors are reported by path', () => {
  it('a regex RE2 refuses, in a condition and in a user pattern', () => {
    expect(problems("- drop: { when: { matches: { message: '(a+' } } }")).toEqual([expect.stringMatching(/^inputs\[0\]\.processors\[0\]\.drop\.when\.matches\.message: invalid regular expression .*missing closing \)/)]);
    expect(problems("- drop: { when: { all: [{ exists: a }, { not: { matches: { log.level: '(?<=x)y' } } }] } }")).toEqual([
      expect.stringMatching(/^inputs\[0\]\.processors\[0\]\.drop\.when\.all\[1\]\.not\.matches\["log\.level"\]: invalid regular expression/),
    ]);
    expect(problems("- set: { a: 1 }\n- redact: { patterns: [email, { name: x, regex: '(a)\\1' }] }")).toEqual([
      expect.stringMatching(/^inputs\[0\]\.processors\[1\]\.redact\.patterns\[1\]\.regex: invalid regular expression/),
    ]);
  });

  it('a processor with no known key or two keys, a condition with two operators, an unknown detector, hash without a key', () => {
    const p = problems(
      [
        '- {}',
        '- { drop: { when: { exists: a } }, keep: { when: { exists: a } } }',
        '- drop: { when: { exists: a, equals: { b: 1 } } }',
        '- drop: { when: { like: { b: 1 } } }',
        '- redact: { patterns: [phone] }',
        '- redact: { mode: hash }',
        '- sample: { rate: 0 }',
        '- set: { event.id: x }',
        '- rename: { a: log.file.path }',
        '- frobnicate: {}',
      ].join('\n'),
    );
    expect(p).toEqual([
      expect.stringMatching(/^inputs\[0\]\.processors\[0\]: expected exactly one of drop, keep, redact, rename, remove, set, sample, throttle \(line/),
      expect.stringMatching(/^inputs\[0\]\.processors\[1\]: expected exactly one of .*, got drop and keep/),
      expect.stringMatching(/^inputs\[0\]\.processors\[2\]\.drop\.when: a condition has exactly one operator/),
      expect.stringMatching(/^inputs\[0\]\.processors\[3\]\.drop\.when\.like: unknown condition operator/),
      expect.stringMatching(/^inputs\[0\]\.processors\[4\]\.redact\.patterns\[0\]: unknown detector, expected one of jwt, .* or \{ name, regex \}/),
      expect.stringMatching(/^inputs\[0\]\.processors\[5\]\.redact\.key_file: required with mode: hash/),
      expect.stringMatching(/^inputs\[0\]\.processors\[6\]\.sample\.rate: must be >= 1/),
      expect.stringMatching(/^inputs\[0\]\.processors\[7\]\.set\["event\.id"\]: logship sets event\.id on every event after the processors/),
      expect.stringMatching(/^inputs\[0\]\.processors\[8\]\.rename\.a: logship sets log\.file\.path/),
      expect.stringMatching(/^inputs\[0\]\.processors\[9\]\.frobnicate: unknown key/),
      expect.stringMatching(/^inputs\[0\]\.processors\[9\]: expected exactly one of/),
    ]);
  });

  it('`logship validate` exits 1 naming the bad regex and an unreadable key file by path', () => {
    if (!existsSync(CLI)) throw new Error('dist/cli.js does not exist: run `npm run build` first');
    const file = path.join(dir, 'bad.yaml');
    const stateDir = path.join(dir, 'state');
    writeFileSync(
      file,
      `inputs:\n  - paths: [${dir}/app.log]\n    processors:\n      - drop: { when: { matches: { message: 'a(b' } } }\noutputs:\n  - type: stdout\nbuffer: { path: ${stateDir} }\n`,
    );
    let r = spawnSync(process.execPath, [CLI, 'validate', '--config', file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^logship: inputs\[0\]\.processors\[0\]\.drop\.when\.matches\.message: invalid regular expression .*\(line 4\)$/m);

    writeFileSync(file, `inputs:\n  - paths: [${dir}/app.log]\n    processors:\n      - redact: { mode: hash, key_file: ${dir}/no-such-key }\noutputs:\n  - type: stdout\nbuffer: { path: ${stateDir} }\n`);
    r = spawnSync(process.execPath, [CLI, 'validate', '--config', file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^logship: inputs\[0\]\.processors\[0\]\.redact\.key_file: cannot read key file .*no-such-key: ENOENT$/m);

    writeFileSync(path.join(dir, 'short-key'), 'abc\n');
    writeFileSync(file, `inputs:\n  - paths: [${dir}/app.log]\n    processors:\n      - redact: { mode: hash, key_file: ${dir}/short-key }\noutputs:\n  - type: stdout\nbuffer: { path: ${stateDir} }\n`);
    r = spawnSync(process.execPath, [CLI, 'validate', '--config', file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/redact\.key_file: key file .*holds 3 bytes; a key needs at least 16/);
  });
});
