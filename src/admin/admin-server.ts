import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { parseListenAddress } from '../server/listen-address.js';
import { StartupError, systemReason } from '../startup-error.js';
import type { LiveView } from './live-view.js';
import type { StatusCollector } from './status-collector.js';
import { STATUS_PAGE } from './status-page.js';
import { TapClient } from './tap-client.js';
import { parseTapRequest, type TapNames } from './tap-request.js';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export interface AdminSettings {
  readonly address: string;
  /** `server.admin_allow_raw`: taps of raw lines (before redaction) allowed. */
  readonly allowRaw: boolean;
}

/**
 * The admin listener (`server.admin_listen`, docs/live-view.md): the status
 * page `/`, `/api/status` and the `/api/tap` stream. It shows file paths and
 * events, so it is a listener of its own, apart from the probes and metrics
 * of `server.listen`, and loopback in every example.
 */
export class AdminServer {
  private server: Server | undefined;
  private readonly taps = new Set<TapClient>();

  constructor(
    private readonly settings: AdminSettings,
    private readonly collector: StatusCollector,
    private readonly live: LiveView,
    private readonly names: () => TapNames,
    private readonly logger: Logger,
  ) {}

  async listen(): Promise<AddressInfo> {
    const { address } = this.settings;
    const parsed = parseListenAddress(address);
    if (typeof parsed === 'string') throw new StartupError(`server.admin_listen ${address}: ${parsed}`);
    const server = createServer((req, res) => {
      // Split by hand: new URL() throws on a request line like `GET //`.
      const [path, query = ''] = (req.url ?? '/').split('?', 2);
      if (req.method !== 'GET') {
        res.writeHead(405).end();
      } else if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(STATUS_PAGE);
      } else if (path === '/api/status') {
        res.writeHead(200, JSON_TYPE).end(`${JSON.stringify(this.collector.status())}\n`);
      } else if (path === '/api/tap') {
        const tap = parseTapRequest(new URLSearchParams(query), this.names(), this.settings.allowRaw);
        if ('error' in tap) {
          res.writeHead(tap.status, JSON_TYPE).end(`${JSON.stringify({ error: tap.error })}\n`);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        let detach = () => {};
        const client = new TapClient(tap, res, () => {
          detach();
          this.taps.delete(client);
        });
        this.taps.add(client);
        detach = this.live.tap.attach(client);
        client.notice('attached', { stage: tap.stage, input: tap.input ?? null, output: tap.output ?? null });
        this.logger.info({ stage: tap.stage, input: tap.input, output: tap.output, remote: req.socket.remoteAddress }, 'tap attached');
      } else {
        res.writeHead(404).end();
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new StartupError(`server.admin_listen ${address}: ${systemReason(err) ?? err.message}`)));
      server.listen(parsed.port, parsed.host, () => resolve());
    });
    this.collector.start();
    const bound = server.address() as AddressInfo;
    this.logger.info({ address: bound.address, port: bound.port }, 'admin listener listening (/ /api/status /api/tap)');
    return bound;
  }

  async close(): Promise<void> {
    this.collector.stop();
    const server = this.server;
    if (!server) return;
    for (const tap of this.taps) tap.finish('logship is stopping');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
