import type { HealthReport } from './health.js';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** `ok`, or `failing` and one reason per line. */
export function healthText(r: HealthReport): string {
  return r.healthy ? 'ok\n' : `failing\n${r.problems.map((p) => `${p.check}: ${p.reason}\n`).join('')}`;
}

/** The JSON body of `/health?format=json`; its shape is documented in docs/health.md (keep them together). */
export function healthJson(r: HealthReport): string {
  const problem = (p: HealthReport['problems'][number]) => ({ check: p.check, output: p.output ?? null, since: iso(p.since), reason: p.reason });
  return `${JSON.stringify({
    status: r.healthy ? 'ok' : 'failing',
    phase: r.phase,
    ready: r.ready,
    problems: r.problems.map(problem),
    notReady: r.notReady.map(problem),
    outputs: r.outputs.map((o) => ({
      name: o.name,
      failingSince: iso(o.failingSince),
      lastError: o.lastError ?? null,
      bufferFill: Math.round(o.bufferFill * 10_000) / 10_000,
      diskFull: o.diskFull,
      readiness: o.readiness,
    })),
  })}\n`;
}
