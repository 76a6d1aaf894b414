import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { StartupError, systemReason } from '../startup-error.js';
import { parseListenAddress } from './listen-address.js';

/**
 * `/livez` (the process runs), `/readyz` (not while starting or draining: a
 * stopping sidecar must not look ready), `/metrics` (Prometheus text).
 */
export class StatusServer {
  private server: Server | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly ready: () => boolean,
    private readonly logger: Logger,
  ) {}

  /** `host:port`; port 0 picks a free one (logged). A failure is a StartupError naming the address and the cause. */
  async listen(address: string): Promise<AddressInfo> {
    const parsed = parseListenAddress(address);
    if (typeof parsed === 'string') throw new StartupError(`server.listen ${address}: ${parsed}`);
    const { host, port } = parsed;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405).end();
      } else if (path === '/livez') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const ok = this.ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
      } else if (path === '/metrics') {
        this.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new StartupError(`server.listen ${address}: ${systemReason(err) ?? err.message}`)));
      server.listen(port, host, () => resolve());
    });
    const bound = server.address() as AddressInfo;
    this.logger.info({ address: bound.address, port: bound.port }, 'status server listening (/livez /readyz /metrics)');
    return bound;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
