import { adminBaseUrl, adminGet, AdminUnreachable } from './admin-client.js';

export interface TapOptions {
  server: string;
  stage: string;
  input?: string | undefined;
  output?: string | undefined;
  limit?: string | undefined;
  rate?: string | undefined;
  format: string;
}

interface TapLine {
  tap?: string;
  stage?: string;
  input?: string;
  output?: string;
  file?: string;
  offset?: number;
  line?: string;
  event?: Record<string, unknown>;
  dropped?: number;
  droppedTotal?: number;
  reason?: string;
}

const COLOR = { dim: '\x1b[2m', red: '\x1b[31m', yellow: '\x1b[33m', reset: '\x1b[0m' };

function levelColor(level: unknown): string {
  const l = typeof level === 'string' ? level.toLowerCase() : '';
  if (l.startsWith('err') || l === 'fatal' || l === 'critical') return COLOR.red;
  if (l.startsWith('warn')) return COLOR.yellow;
  return '';
}

/** One line per event for `--format pretty`: time, stage and where, level, message (coloured on a terminal). */
export function prettyLine(t: TapLine, color: boolean): string {
  const c = (code: string, s: string) => (color && code !== '' ? `${code}${s}${COLOR.reset}` : s);
  if (t.stage === 'read') return `${c(COLOR.dim, `read ${t.input} ${t.file}:${t.offset}`)} ${t.line}`;
  const e = t.event ?? {};
  const log = e.log as { level?: unknown } | undefined;
  const level = log?.level ?? e['log.level'];
  const where = t.stage === 'shipped' ? `shipped→${t.output}` : `parsed ${t.input}`;
  const time = typeof e['@timestamp'] === 'string' ? e['@timestamp'] : '';
  const lvl = level === undefined ? '' : ` ${c(levelColor(level), String(level).toUpperCase())}`;
  return `${c(COLOR.dim, `${time} ${where}`)}${lvl} ${String(e.message ?? JSON.stringify(e))}`;
}

const usage = (message: string) => {
  process.stderr.write(`logship tap: ${message} (see logship tap --help)\n`);
  return 2;
};

/**
 * `logship tap`: streams sampled events from the admin listener's `/api/tap`
 * (NDJSON) to stdout until `--limit` events came, the stream ends (logship
 * stopped) or Ctrl-C. Drops reported by the server (this client read too
 * slowly) are said on stderr, with their count.
 */
export async function tapCommand(opts: TapOptions): Promise<number> {
  const base = adminBaseUrl(opts.server);
  if (typeof base !== 'string') return usage(base.error);
  if (opts.format !== 'json' && opts.format !== 'pretty') return usage(`--format: expected json or pretty, got ${JSON.stringify(opts.format)}`);
  const query = new URLSearchParams({ stage: opts.stage });
  if (opts.input !== undefined) query.set('input', opts.input);
  if (opts.output !== undefined) query.set('output', opts.output);
  if (opts.limit !== undefined) query.set('limit', opts.limit);
  // `--rate 5/s` or `--rate 5`.
  if (opts.rate !== undefined) query.set('rate', opts.rate.replace(/\/s$/, ''));
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `logship tap | head`: a reader that has seen enough is not an error.
    if (err.code === 'EPIPE') abort.abort();
  });
  const color = opts.format === 'pretty' && process.stdout.isTTY === true;
  let events = 0;
  try {
    const res = await adminGet(base, `/api/tap?${query}`, abort.signal);
    let rest = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line === '') continue;
        const t = JSON.parse(line) as TapLine;
        if (t.tap === 'dropped') process.stderr.write(`logship tap: ${t.dropped} events dropped (${t.droppedTotal} so far): this client read slower than they came; logship did not wait\n`);
        else if (t.tap === 'end') process.stderr.write(`logship tap: ${t.reason}\n`);
        else if (t.tap !== undefined) continue;
        else {
          events++;
          const text = opts.format === 'json' ? line : prettyLine(t, color);
          if (!process.stdout.write(`${text}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
      }
    }
  } catch (err) {
    if (abort.signal.aborted) return 0;
    if (err instanceof AdminUnreachable) {
      process.stderr.write(`logship tap: ${err.message}\n`);
      return 1;
    }
    // The stream broke (logship stopped): what came is printed; say so.
    process.stderr.write(`logship tap: the stream ended: ${(err as Error).message}\n`);
    return events > 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
