import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { StartupError, systemReason } from '../startup-error.js';
import { healthJson, healthText } from './health-body.js';
import type { HealthMonitor } from './health.js';
import { parseListenAddress } from './listen-address.js';
import type { LivenessMonitor } from './liveness.js';
import type { MetricsRegistry } from './metrics.js';

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

/**
 * `/health` (outputs, buffers, disk, phase: for dashboards and alerts),
 * `/readyz` (not while starting or draining, nor while an output marked
 * `readiness: required` fails), `/livez` (the event loop turns), `/metrics`
 * (Prometheus text). The rules are in docs/health.md.
 */
export class StatusServer {
  private server: Server | undefined;

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly health: HealthMonitor,
    private readonly liveness: LivenessMonitor,
    private readonly logger: Logger,
  ) {}

  /** `host:port`; port 0 picks a free one (logged). A failure is a StartupError naming the address and the cause. */
  async listen(address: string): Promise<AddressInfo> {
    const parsed = parseListenAddress(address);
    if (typeof parsed === 'string') throw new StartupError(`server.listen ${address}: ${parsed}`);
    const { host, port } = parsed;
    const server = createServer((req, res) => {
      // Split by hand: new URL() throws on a request line like `GET //`, and a throw here would end the process.
      const [path, query = ''] = (req.url ?? '/').split('?', 2);
      if (req.method !== 'GET') {
        res.writeHead(405).end();
      } else if (path === '/health') {
        const report = this.health.report();
        const status = report.healthy ? 200 : 503;
        if (new URLSearchParams(query).get('format') === 'json') res.writeHead(status, { 'content-type': 'application/json' }).end(healthJson(report));
        else res.writeHead(status, TEXT).end(healthText(report));
      } else if (path === '/readyz') {
        const report = this.health.report();
        res.writeHead(report.ready ? 200 : 503, TEXT).end(report.ready ? 'ready\n' : `not ready\n${report.notReady.map((p) => `${p.reason}\n`).join('')}`);
      } else if (path === '/livez') {
        const live = this.liveness.state();
        res.writeHead(live.live ? 200 : 503, TEXT).end(live.live ? 'ok\n' : `not live\n${live.reason}\n`);
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
    this.health.start();
    this.liveness.start();
    const bound = server.address() as AddressInfo;
    this.logger.info({ address: bound.address, port: bound.port }, 'status server listening (/livez /readyz /metrics)');
    return bound;
  }

  async close(): Promise<void> {
    this.health.stop();
    this.liveness.stop();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
