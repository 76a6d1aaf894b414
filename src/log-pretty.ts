/**
 * logship's own log lines for a person at a terminal: `21:04:43 INFO
 * delivery resumed: … output=local downForMs=2923`. The JSON lines pino makes
 * are rewritten one by one; everything they hold is kept.
 */

const LEVELS: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR', fatal: 'FATAL' };
/** What the line shows in its own place, not among the key=value pairs. */
const SHOWN = new Set(['level', 'time', 'name', 'msg']);

export function prettyLogLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : '';
  const level = LEVELS[String(rec.level)] ?? String(rec.level).toUpperCase();
  let line = `${time} ${level} ${typeof rec.msg === 'string' ? rec.msg : ''}`;
  for (const [k, v] of Object.entries(rec)) {
    if (SHOWN.has(k) || v === undefined) continue;
    line += ` ${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`;
  }
  return `${line}\n`;
}
