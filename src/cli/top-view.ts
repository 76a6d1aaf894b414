import { formatBytes } from './human-units.js';

/** The parts of `/api/status` (docs/live-view.md) that `logship top` shows. */
export interface TopStatus {
  time: string;
  startedAt: string;
  phase: string;
  healthy: boolean;
  ready: boolean;
  notReady: { reason: string }[];
  problems: { reason: string }[];
  inputs: { name: string; filesTracked: number; linesPerSecond: number; eventsPerSecond: number; events: number; lagBytes: number; parseFailures: number }[];
  outputs: {
    name: string;
    type: string;
    eventsPerSecond: number;
    acknowledged: number;
    bufferBytes: number;
    bufferMaxBytes: number;
    oldestAgeSeconds: number | null;
    retries: number;
    deadLetters: number;
    failure: string | null;
  }[];
  lastErrors: { time: string; source: string; message: string }[];
}

const LAST_ERRORS_SHOWN = 5;

function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const count = (n: number) => n.toLocaleString('en');
const rate = (n: number) => n.toFixed(1);

/** Columns padded to their widest cell; numbers right-aligned, text left. */
function table(head: string[], rows: string[][], left: ReadonlySet<number>): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (left.has(c) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/**
 * One screen of `logship top` as plain text lines: the header (readiness and
 * its reasons), one row per input and per output, the last errors. The same
 * text is redrawn on a terminal and printed as is otherwise.
 */
export function renderTop(s: TopStatus, server: string): string {
  const uptime = (Date.parse(s.time) - Date.parse(s.startedAt)) / 1000;
  const out: string[] = [];
  out.push(`logship at ${server}: ${s.ready ? 'ready' : 'NOT READY'}, ${s.phase}, ${s.healthy ? 'healthy' : 'unhealthy'}, up ${formatAge(Math.max(0, uptime))}  (${s.time})`);
  for (const p of s.notReady) out.push(`  not ready: ${p.reason}`);
  for (const p of s.problems) if (!s.notReady.some((q) => q.reason === p.reason)) out.push(`  problem: ${p.reason}`);
  out.push('');
  out.push(
    ...table(
      ['INPUT', 'FILES', 'LINES/S', 'EVENTS/S', 'EVENTS', 'BEHIND', 'PARSE FAILURES'],
      s.inputs.map((i) => [i.name, String(i.filesTracked), rate(i.linesPerSecond), rate(i.eventsPerSecond), count(i.events), formatBytes(i.lagBytes), count(i.parseFailures)]),
      new Set([0]),
    ),
  );
  out.push('');
  out.push(
    ...table(
      ['OUTPUT', 'TYPE', 'EVENTS/S', 'ACKNOWLEDGED', 'BUFFER', 'OLDEST', 'RETRIES', 'DEAD LETTERS', 'FAILURE'],
      s.outputs.map((o) => [
        o.name,
        o.type,
        rate(o.eventsPerSecond),
        count(o.acknowledged),
        `${formatBytes(o.bufferBytes)} / ${formatBytes(o.bufferMaxBytes)}`,
        o.oldestAgeSeconds === null ? '-' : formatAge(o.oldestAgeSeconds),
        count(o.retries),
        count(o.deadLetters),
        o.failure ?? '-',
      ]),
      new Set([0, 1, 8]),
    ),
  );
  if (s.lastErrors.length > 0) {
    out.push('', 'LAST ERRORS');
    for (const e of s.lastErrors.slice(0, LAST_ERRORS_SHOWN)) out.push(`  ${e.time}  ${e.source}: ${e.message}`);
  }
  return `${out.join('\n')}\n`;
}
