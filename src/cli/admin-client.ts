import { parseListenAddress } from '../server/listen-address.js';
import { systemReason } from '../startup-error.js';

/** Where `logship top` and `logship tap` look by default: the admin listener of the examples. */
export const DEFAULT_ADMIN_SERVER = '127.0.0.1:2021';

/** A failure to talk to the admin listener: one line on stderr, exit 1. */
export class AdminUnreachable extends Error {}

/** `host:port` of `--server` into the base URL, or what is wrong with it. */
export function adminBaseUrl(server: string): string | { error: string } {
  const parsed = parseListenAddress(server);
  if (typeof parsed === 'string') return { error: `--server: ${parsed}` };
  const host = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
  return `http://${host}:${parsed.port}`;
}

/**
 * GET `path` of the admin listener. A refused connection or an error answer
 * becomes an AdminUnreachable naming the server and the cause (with the hint
 * that matters most: the listener is off unless `server.admin_listen` is set).
 */
export async function adminGet(base: string, path: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const cause = (err as { cause?: unknown }).cause;
    const reason = systemReason(cause) ?? (cause instanceof Error ? cause.message : (err as Error).message);
    throw new AdminUnreachable(`cannot reach the admin listener at ${base}: ${reason} (is logship running with server.admin_listen set to this address?)`);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let reason = text.trim();
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? reason;
    } catch {
      // Not JSON: the text as it is.
    }
    throw new AdminUnreachable(`${base}${path.split('?')[0]}: HTTP ${res.status}${reason === '' ? '' : `: ${reason}`}`);
  }
  return res;
}
