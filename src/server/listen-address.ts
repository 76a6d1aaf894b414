import { isIPv4, isIPv6 } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

// A DNS name (RFC 1123 labels) or `localhost`; IP literals are checked by node:net.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * `host:port` (`[::1]:2020` for IPv6) into its parts, or what is wrong with it:
 * the port 0–65535 (0 picks a free one), the host an IP address or a host name.
 */
export function parseListenAddress(address: string): ListenAddress | string {
  const at = address.lastIndexOf(':');
  if (at <= 0) return `expected host:port, like 0.0.0.0:2020, got ${JSON.stringify(address)}`;
  const rawHost = address.slice(0, at);
  const rawPort = address.slice(at + 1);
  if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) > 65535) return `expected a port from 0 to 65535, got ${JSON.stringify(rawPort)}`;
  const bracketed = rawHost.startsWith('[') && rawHost.endsWith(']');
  const host = bracketed ? rawHost.slice(1, -1) : rawHost;
  const valid = bracketed ? isIPv6(host) : isIPv4(host) || (!/^[\d.]+$/.test(host) && HOSTNAME.test(host));
  if (!valid) return `expected an IP address ([…] for IPv6) or a host name before the port, got ${JSON.stringify(rawHost)}`;
  return { host, port: Number(rawPort) };
}
