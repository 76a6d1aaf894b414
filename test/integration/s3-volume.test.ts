// Issue 12, the `s3` output through logship (dist/cli.js) at volume, against s3rver behind the test proxy
// (test/support/s3-server.ts): 200,000 events into Hive-partitioned gzip objects that follow the rollover and the
// key template; one 50 MiB object uploaded in parts as the server receives them; two instances with their own
// state directories writing the same prefix.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sleep, useHarness, type LogshipProcess } from '../support/logship-process.js';
import { useS3Server } from '../support/s3-server.js';
import { archiveAckedId, s3Messages, s3ShippingConfig } from '../support/s3-shipping.js';

const s3 = useS3Server({ engine: true });

const MiB = 1024 * 1024;
const KiB = 1024;
const START = Date.UTC(2026, 0, 31, 22, 0, 0);

describe('s3 output at volume', () => {
  const h = useHarness();

  it('200,000 events: each once, objects of about max_bytes, keys <dt=…/hour=…/><writer>-<first record>-<first event id> of the first event', async () => {
    const root = await h.tmp('s3-volume');
    const file = path.join(root, 'logs', 'app.log');
    const total = 200_000;
    // Four hours over a day boundary, events 72 ms apart, each with some incompressible text.
    const json: string[] = [];
    for (let i = 0; i < total; i++) json.push(JSON.stringify({ '@timestamp': new Date(START + i * 72).toISOString(), message: `m-${i} ${randomBytes(12).toString('base64')}` }));
    writeFileSync(file, `${json.join('\n')}\n`);
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const maxBytes = 512 * KiB;
    const proc = h.start(await s3ShippingConfig(s3.server, root, file, { prefix: `${base}dt=%Y-%m-%d/hour=%H/`, object: { max_bytes: '512KiB', max_age: '30s' } }, { input: { parser: 'json' } }));
    await untilAcked(proc, root, total);
    expect((await proc.stop()).code).toBe(0);

    const writerId = readFileSync(path.join(root, 'state', 's3', 'archive.writer-id'), 'utf8').trim();
    const shape = new RegExp(`^${base}dt=(\\d{4}-\\d\\d-\\d\\d)/hour=(\\d\\d)/${writerId}-(\\d+)-[0-9a-f]+\\.ndjson\\.gz$`);
    const seen = new Set<string>();
    let count = 0;
    const byHour = new Map<string, { first: number; bytes: number }[]>();
    for (const key of await s3.server.list(base)) {
      const m = shape.exec(key);
      expect(m, key).not.toBeNull();
      const { body } = await s3.server.get(key);
      const events = gunzipSync(body)
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { '@timestamp': string; message: string });
      // The partition is the first event's hour, and every event of the object is in it.
      expect(events[0]!['@timestamp'].slice(0, 13)).toBe(`${m![1]}T${m![2]}`);
      for (const e of events) {
        expect(e['@timestamp'].slice(0, 13)).toBe(`${m![1]}T${m![2]}`);
        seen.add(e.message);
        count++;
      }
      const hour = `${m![1]}/${m![2]}`;
      byHour.set(hour, [...(byHour.get(hour) ?? []), { first: Number(m![3]), bytes: body.length }]);
    }
    expect(count).toBe(total);
    expect(seen.size).toBe(total);
    expect([...byHour.keys()].sort()).toEqual(['2026-01-31/22', '2026-01-31/23', '2026-02-01/00', '2026-02-01/01']);
    // Every object but the last of its hour closed on size, so holds at least max_bytes (how far past it depends
    // on how many records were appended before the compressed size was known); the last closed on age once the
    // events moved on to the next hour (an open object holds its records in the buffer until it closes).
    for (const [hour, objects] of byHour) {
      objects.sort((a, b) => a.first - b.first);
      for (const o of objects.slice(0, -1)) expect(o.bytes, hour).toBeGreaterThanOrEqual(maxBytes);
    }
  }, 300_000);

  it('a 50 MiB object goes up in 8 MiB parts, each as the server receives it, and comes back whole', async ({ skip }) => {
    if (s3.server.requests === undefined) return skip();
    const root = await h.tmp('s3-volume');
    const file = path.join(root, 'logs', 'app.log');
    // 5,200 lines of 10 KiB, uncompressed: the object is more than 50 MiB with the event fields around each line.
    const lines = Array.from({ length: 5200 }, (_, i) => `big-${i} ${randomBytes(7680).toString('base64').slice(0, 10 * KiB)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const proc = h.start(await s3ShippingConfig(s3.server, root, file, { prefix: base, compression: 'none', part_size: '8MiB', object: { max_events: 5200, max_age: '1h', max_bytes: '1GiB' } }, { input: { max_line_bytes: '64KiB' } }));
    await untilAcked(proc, root, lines.length);
    expect((await proc.stop()).code).toBe(0);

    const keys = await s3.server.list(base);
    expect(keys).toHaveLength(1);
    const { body } = await s3.server.get(keys[0]!);
    expect(body.length).toBeGreaterThan(50 * MiB);
    const sent = s3.server.requests.filter((r) => r.url.startsWith(`/${s3.server.bucket}/${keys[0]}`));
    const parts = sent.filter((r) => r.method === 'PUT' && r.url.includes('partNumber='));
    expect(sent[0]!.method).toBe('POST');
    expect(sent.at(-1)!.method).toBe('POST');
    expect(parts.length).toBe(Math.ceil(body.length / (8 * MiB)));
    for (const p of parts.slice(0, -1)) expect(p.bodyBytes).toBe(8 * MiB);
    expect(parts.reduce((n, p) => n + p.bodyBytes, 0)).toBe(body.length);
    const got = body
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { message: string }).message);
    expect(got).toEqual(lines);
  }, 300_000);

  it('two instances with their own state directories writing one bucket and prefix: no key shared, every event once', async () => {
    const root = await h.tmp('s3-volume');
    const base = `logship-test-${randomBytes(6).toString('hex')}/`;
    const runs: { proc: LogshipProcess; dir: string; lines: string[] }[] = [];
    for (const n of [1, 2]) {
      const dir = path.join(root, `instance-${n}`);
      const file = path.join(dir, 'app.log');
      const lines = Array.from({ length: 5000 }, (_, i) => `i${n}-${i} ${randomBytes(16).toString('hex')}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, `${lines.join('\n')}\n`);
      runs.push({ proc: h.start(await s3ShippingConfig(s3.server, dir, file, { prefix: `${base}%Y/`, object: { max_events: 700, max_age: '1s' } })), dir, lines });
    }
    for (const r of runs) await untilAcked(r.proc, r.dir, r.lines.length);
    for (const r of runs) expect((await r.proc.stop()).code).toBe(0);

    const keys = await s3.server.list(base);
    const writers = new Set(keys.map((k) => k.slice(k.lastIndexOf('/') + 1).split('-')[0]));
    expect(writers.size).toBe(2);
    const received = await s3Messages(s3.server, base);
    const all = runs.flatMap((r) => r.lines);
    expect(received.length).toBe(all.length);
    expect(new Set(received)).toEqual(new Set(all));
    for (const [key, digests] of s3.server.proxy?.contents ?? []) if (key.startsWith(base)) expect(digests, key).toHaveLength(1);
  }, 300_000);
});

/** Waits until the output's buffer acknowledged `count` records on disk (ids start at 0). */
async function untilAcked(proc: LogshipProcess, root: string, count: number): Promise<void> {
  const deadline = Date.now() + 240_000;
  while (archiveAckedId(root) !== count - 1) {
    if (Date.now() > deadline || !proc.running) throw new Error(`not every record acknowledged\n${proc.describe()}`);
    await sleep(200);
  }
}
