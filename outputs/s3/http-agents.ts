/**
 * The sockets the S3 client opens: certificates checked against `tls.ca_file`
 * (else Node's CA list) unless `tls.verify: false`, and, as curl and the AWS
 * CLI do, through the proxy the environment names — `HTTPS_PROXY` for https
 * endpoints, `HTTP_PROXY` for http ones (either case) — except for the hosts
 * `NO_PROXY` lists. The AWS SDK reads none of these variables itself.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { readFile } from 'node:fs/promises';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';

export interface TlsOptions {
  readonly ca_file?: string | undefined;
  readonly verify: boolean;
}

export interface S3Agents {
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;
  /** The proxies in use, for the start-up log, without credentials (`https://proxy:3128`). */
  readonly proxies: { readonly http?: string; readonly https?: string };
}

type Env = Readonly<Record<string, string | undefined>>;

/** A socket per request at most this many at once per host: one output uploads a few parts at a time. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 50 } as const;

export async function createS3Agents(tls: TlsOptions | undefined, env: Env = process.env): Promise<S3Agents> {
  const tlsOptions: HttpsAgentOptions = {
    rejectUnauthorized: tls?.verify ?? true,
    ...(tls?.ca_file !== undefined && { ca: await readCa(tls.ca_file) }),
  };
  const noProxy = parseNoProxy(variable(env, 'NO_PROXY'));
  const httpsProxy = proxyUrl(variable(env, 'HTTPS_PROXY'), 'HTTPS_PROXY');
  const httpProxy = proxyUrl(variable(env, 'HTTP_PROXY'), 'HTTP_PROXY');
  const httpsAgent =
    httpsProxy === undefined
      ? new HttpsAgent({ ...AGENT_OPTIONS, ...tlsOptions })
      : bypassing(new HttpsProxyAgent({ ...AGENT_OPTIONS, ...tlsOptions, proxy: httpsProxy }), noProxy, HttpsAgent);
  const httpAgent = httpProxy === undefined ? new HttpAgent(AGENT_OPTIONS) : bypassing(new HttpProxyAgent({ ...AGENT_OPTIONS, proxy: httpProxy }), noProxy, HttpAgent);
  return {
    httpAgent,
    httpsAgent,
    proxies: { ...(httpProxy && { http: withoutUserinfo(httpProxy) }), ...(httpsProxy && { https: withoutUserinfo(httpsProxy) }) },
  };
}

/** The variable, upper case first (curl reads `http_proxy` in lower case only; both are common). */
function variable(env: Env, name: string): string | undefined {
  const value = env[name] ?? env[name.toLowerCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function proxyUrl(value: string | undefined, name: string): URL | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    // `proxy:3128` without a scheme means http, as curl reads it.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new Error(`${name} is not a URL: ${JSON.stringify(withoutUserinfoText(value))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name}: only http:// and https:// proxies are supported, not ${url.protocol}`);
  return url;
}

/** NO_PROXY entries: `*`, a host name (`minio`), a domain suffix (`.internal` or `internal`), an IP, each optionally with `:port`. */
interface NoProxyEntry {
  readonly host: string;
  readonly port: string | undefined;
}

export function parseNoProxy(value: string | undefined): NoProxyEntry[] {
  if (value === undefined) return [];
  return value
    .split(/[\s,]+/)
    .filter((e) => e !== '')
    .map((e) => {
      const m = /^(.*?)(?::(\d+))?$/.exec(e.toLowerCase())!;
      return { host: m[1]!.replace(/^\*?\./, '.').replace(/^\[(.*)\]$/, '$1'), port: m[2] };
    });
}

/** Does NO_PROXY exempt `host:port`? */
export function bypassesProxy(entries: readonly NoProxyEntry[], host: string, port: number | string | undefined): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return entries.some((e) => {
    if (e.host === '*') return true;
    if (e.port !== undefined && String(port) !== e.port) return false;
    const domain = e.host.startsWith('.') ? e.host : `.${e.host}`;
    return h === domain.slice(1) || h.endsWith(domain);
  });
}

/** `agent` tunnelling through its proxy, except to hosts NO_PROXY exempts, which it connects to directly like `Direct` would. */
function bypassing<A extends HttpAgent>(agent: A, noProxy: readonly NoProxyEntry[], Direct: typeof HttpAgent | typeof HttpsAgent): A {
  if (noProxy.length === 0) return agent;
  const tunnel = (agent as unknown as { createConnection: (options: { host: string; port: number }, cb: unknown) => unknown }).createConnection.bind(agent);
  const direct = (Direct.prototype as unknown as { createConnection: (options: unknown) => unknown }).createConnection;
  (agent as unknown as { createConnection: unknown }).createConnection = (options: { host: string; port: number }, cb: unknown) =>
    // Node's Agent takes a socket returned here, or waits for the callback.
    bypassesProxy(noProxy, options.host, options.port) ? direct.call(agent, options) : tunnel(options, cb);
  return agent;
}

async function readCa(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new Error(`cannot read tls.ca_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function withoutUserinfo(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function withoutUserinfoText(value: string): string {
  return value.replace(/\/\/[^@/]*@/, '//');
}
