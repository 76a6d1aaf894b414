// Issue 14, "The first ten minutes": on a terminal logship writes readable
// log lines and a progress line (events/s read and shipped per output, buffer,
// lag). The line's figures from two snapshots; the clock is the test's.
import { describe, expect, it } from 'vitest';
import { formatProgress, ProgressLine, type ProgressSnapshot } from '../../src/cli/progress.js';
import { prettyLogLine } from '../../src/log-pretty.js';

const T0 = 1_700_000_000_000;

function snapshot(events: number, delivered: number, pending: number, lastAckAt: number | undefined): ProgressSnapshot {
  return {
    inputs: [{ name: 'app', events, unreadBytes: 3 * 1024 * 1024 + 200 * 1024 }],
    outputs: [{ name: 'local', delivered, pending, bufferBytes: 1536, bufferMaxBytes: 1024 ** 3, lastAckAt }],
  };
}

describe('progress line', () => {
  it('rates from the difference of two snapshots, buffer, pending and lag', () => {
    const line = formatProgress(snapshot(5000, 4000, 25, T0 + 4000), snapshot(1000, 1000, 0, T0), 5000, T0 + 5000);
    expect(line).toBe('progress: read app 800 ev/s (3.2 MiB unread) | local: shipped 600 ev/s, buffer 1.5 KiB of 1 GiB, 25 pending, lag 1 s\n');
  });

  it('the first line has no rate yet; nothing pending is no lag, however old the last acknowledgement', () => {
    expect(formatProgress(snapshot(7, 7, 0, T0), undefined, 0, T0 + 60_000)).toBe('progress: read app 0.0 ev/s (3.2 MiB unread) | local: shipped 0.0 ev/s, buffer 1.5 KiB of 1 GiB, 0 pending, lag 0 s\n');
  });

  it('draws nothing before the pipeline runs, then one line per draw', () => {
    const lines: string[] = [];
    let current: ProgressSnapshot | undefined;
    const p = new ProgressLine(() => current, (l) => lines.push(l));
    p.draw(T0);
    expect(lines).toEqual([]);
    current = snapshot(0, 0, 0, undefined);
    p.draw(T0 + 5000);
    current = snapshot(50, 40, 10, T0 + 9000);
    p.draw(T0 + 10_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('read app 10 ev/s');
    expect(lines[1]).toContain('local: shipped 8.0 ev/s');
  });
});

describe('pretty log lines', () => {
  it('time, level and message first, then every other field as key=value', () => {
    const json = JSON.stringify({ level: 'info', time: '2026-12-06T21:04:43.777Z', name: 'logship', output: 'local', downForMs: 2923, reasons: ['a b'], msg: 'delivery resumed' });
    expect(prettyLogLine(json)).toBe('21:04:43 INFO  delivery resumed output=local downForMs=2923 reasons=["a b"]\n');
    expect(prettyLogLine(JSON.stringify({ level: 'warn', time: '2026-12-06T21:04:43.777Z', file: '/etc/pod info', msg: 'm' }))).toBe('21:04:43 WARN  m file="/etc/pod info"\n');
  });
});
