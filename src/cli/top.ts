import { adminBaseUrl, adminGet, AdminUnreachable } from './admin-client.js';
import { renderTop, type TopStatus } from './top-view.js';

export interface TopOptions {
  server: string;
  once: boolean;
}

const REFRESH_MS = 1000;
/** Cursor home, clear the screen: the next frame replaces the last. */
const REDRAW = '\x1b[H\x1b[2J';

async function frame(base: string, server: string): Promise<string> {
  const res = await adminGet(base, '/api/status');
  return renderTop((await res.json()) as TopStatus, server);
}

/**
 * `logship top`: the figures of `/api/status` on the terminal, redrawn every
 * second (ANSI) until Ctrl-C. With `--once`, or when stdout is not a
 * terminal, one plain-text frame and exit. Exit 1 when the admin listener
 * cannot be reached at first.
 */
export async function topCommand(opts: TopOptions): Promise<number> {
  const base = adminBaseUrl(opts.server);
  if (typeof base !== 'string') {
    process.stderr.write(`logship top: ${base.error}\n`);
    return 2;
  }
  let text: string;
  try {
    text = await frame(base, opts.server);
  } catch (err) {
    if (!(err instanceof AdminUnreachable)) throw err;
    process.stderr.write(`logship top: ${err.message}\n`);
    return 1;
  }
  if (opts.once || !process.stdout.isTTY) {
    process.stdout.write(text);
    return 0;
  }
  let stopped = false;
  let wake = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopped) {
    process.stdout.write(REDRAW + text);
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, REFRESH_MS);
    });
    if (stopped) break;
    try {
      text = await frame(base, opts.server);
    } catch (err) {
      if (!(err instanceof AdminUnreachable)) throw err;
      // The view stays up while logship restarts; the last frame is kept under the reason.
      text = `${err.message}\n(retrying every second; Ctrl-C to quit)\n`;
    }
  }
  return 0;
}
