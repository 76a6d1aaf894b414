// The status server: /livez, /readyz and /metrics on loopback, counting what
// the run did (events, truncated lines, buffer drops), and gone after a stop.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, requireEngine, sleep, useHarness, writeConfig, type LogshipProcess } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

async function portOf(proc: LogshipProcess): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const rec = proc.logRecords().find((r) => r.msg === 'status server listening (/livez /readyz /metrics)');
    if (rec) return rec.port as number;
    await sleep(100);
  }
  throw new Error(`no status server line in stderr:\n${proc.stderrTail()}`);
}

function metric(text: string, name: string, label: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${label}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('status server', () => {
  const h = useHarness();
  beforeAll(requireEngine);

  it('answers /livez, /readyz and /metrics on loopback with the run counters, and closes on stop', async () => {
    const root = await h.tmp('status');
    const file = path.join(root, 'logs', 'app.log');
    writeFileSync(file, `one\n${'x'.repeat(5000)}\ntwo\n`);
    const cfg = await writeConfig(root, { ...baseConfig(root, [{ name: 'app', paths: [file], max_line_bytes: '1KiB' }]), server: { listen: '127.0.0.1:0' } });
    const proc = h.start(cfg);
    const port = await portOf(proc);
    const reader = new OutputReader(path.join(root, 'out'));
    await waitFor(reader, () => reader.events.length >= 3, () => `${reader.events.length} of 3 events`, { proc, what: 'three events' });

    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(metric(text, 'logship_input_events_total', 'input="app"')).toBe(3);
    expect(metric(text, 'logship_input_lines_truncated_total', 'input="app"')).toBe(1);
    expect(metric(text, 'logship_buffer_dropped_events_total', 'output="file-0"')).toBe(0);
    expect(metric(text, 'logship_buffer_quarantined_places_total', 'output="file-0"')).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);

    expect((await proc.stop()).code).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
  });
});
