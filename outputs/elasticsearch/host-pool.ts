/** A node URL as requests use it: the origin, a path prefix, and no credentials. */
export interface Host {
  /** `https://es-1:9200`: what messages show (never userinfo). */
  readonly origin: string;
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  /** `/es` for `https://proxy/es/`; '' for none. */
  readonly pathPrefix: string;
  /** `Basic …` from the URL's `user:password@`, used when the output has no `auth`; never shown. */
  readonly urlAuthorization: string | undefined;
}

interface Entry {
  readonly host: Host;
  /** Epoch ms before which the host is skipped while another is usable; 0 = alive. */
  deadUntil: number;
  failures: number;
}

/** The first cool-off after a failed connection; doubles per failure in a row (as the official client's pool). */
const FIRST_COOL_OFF_MS = 1_000;
const MAX_COOL_OFF_MS = 60_000;

/**
 * The hosts of one output, round robin over the ones alive. A host whose
 * request failed without an answer is skipped for a cool-off that grows with
 * each failure in a row; when every host is cooling off, the one that comes
 * back first is tried (so a single host is always tried). The client sends
 * a request that got no answer to the next live host at once.
 */
export class HostPool {
  private readonly entries: Entry[];
  private next = 0;

  constructor(hosts: readonly Host[], private readonly now: () => number = Date.now) {
    if (hosts.length === 0) throw new Error('no hosts');
    this.entries = hosts.map((host) => ({ host, deadUntil: 0, failures: 0 }));
  }

  /** The host for the next request; the one after it is picked next. */
  pick(): Host {
    const i = this.choose();
    this.next = (i + 1) % this.entries.length;
    return this.entries[i]!.host;
  }

  /** The host `pick()` would return, without moving on. */
  peek(): Host {
    return this.entries[this.choose()]!.host;
  }

  private choose(): number {
    const now = this.now();
    for (let k = 0; k < this.entries.length; k++) {
      const i = (this.next + k) % this.entries.length;
      if (this.entries[i]!.deadUntil <= now) return i;
    }
    let soonest = 0;
    for (let i = 1; i < this.entries.length; i++) if (this.entries[i]!.deadUntil < this.entries[soonest]!.deadUntil) soonest = i;
    return soonest;
  }

  /** The host answered (any status: it is up). */
  alive(host: Host): void {
    const e = this.entry(host);
    e.deadUntil = 0;
    e.failures = 0;
  }

  /** The host gave no answer. */
  dead(host: Host): void {
    const e = this.entry(host);
    e.failures++;
    e.deadUntil = this.now() + Math.min(MAX_COOL_OFF_MS, FIRST_COOL_OFF_MS * 2 ** Math.min(e.failures - 1, 16));
  }

  private entry(host: Host): Entry {
    return this.entries.find((e) => e.host === host)!;
  }
}

/** Parses a node URL; its userinfo (`user:password@`) becomes basic auth, kept out of `origin`. */
export function parseHost(url: string): Host {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`expected an http:// or https:// URL, got ${u.protocol}`);
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return {
    origin: `${u.protocol}//${u.host}`,
    protocol: u.protocol,
    // [::1] → ::1 for net.connect.
    hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    pathPrefix: u.pathname.replace(/\/+$/, ''),
    urlAuthorization: u.username !== '' ? basicAuthorization(decodeURIComponent(u.username), decodeURIComponent(u.password)) : undefined,
  };
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
