import pino, { type Logger } from 'pino';
import { prettyLogLine } from './log-pretty.js';

export type { Logger };

/**
 * logship's own diagnostics: JSON lines on stderr, so stdout stays free for
 * `logship parse` and the stdout output; with `pretty`, lines for a person at
 * a terminal (src/log-pretty.ts), written at once.
 */
export function createLogger(level: string = process.env.LOGSHIP_LOG_LEVEL ?? 'info', pretty = false): Logger {
  return pino(
    {
      level,
      base: { name: 'logship' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pretty ? { write: (line: string) => void process.stderr.write(prettyLogLine(line)) } : pino.destination({ dest: 2, sync: false }),
  );
}
