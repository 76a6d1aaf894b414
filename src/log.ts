import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * logship's own diagnostics: JSON lines on stderr, so stdout stays free for
 * `logship parse` and the stdout output.
 */
export function createLogger(level: string = process.env.LOGSHIP_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { name: 'logship' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 2, sync: false }),
  );
}
