/**
 * `nginx_error` and `apache_error`: the web servers' error logs.
 *
 *   nginx          2024/01/02 03:04:05 [error] 1234#5678: *99 message, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"
 *   Apache 2.4     [Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] AH00124: message
 *   Apache 2.2     [Wed Oct 11 14:32:52 2000] [error] [client 1.2.3.4] message
 *
 * Both write local time without an offset: it is read in `ctx.timezone`
 * (Apache's `[10/Oct/2000:13:55:36 -0700]` form, from `ErrorLogFormat`, has
 * its own). nginx's trailing context (`, client: …, server: …, request: "…"`)
 * becomes fields and `message` is the text before it; Apache's `message` is
 * the text after the bracketed groups (its `AH` code and `, referer: …` kept).
 * Fields outside ECS (nginx connection id, server, upstream, limit zone and
 * excess; Apache module and errno) are plain keys, for the normaliser to put
 * under `attributes`.
 *
 * Hand-written scanners, linear in the line length. Never throw.
 */
import { ParseFailure, lineModule } from './types.js';
import type { Fields, ParseResult, ParserContext, ParserModule } from './types.js';
import { clockAt, digitRunEnd, digitsAt, levelOf, localTimeToEpoch, monthAt } from './syslog.js';
import { clfTime, requestFields } from './access-log.js';

function safeInt(s: string): number | undefined {
  if (!/^[0-9]{1,16}$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : undefined;
}

// ---------------------------------------------------------------------------
// nginx
// ---------------------------------------------------------------------------

const NGINX_CONTEXT_KEYS = new Set(['client', 'server', 'request', 'subrequest', 'upstream', 'host', 'referrer']);
/** How many `, client: ` occurrences are tried as the start of nginx's context (bounds the work on hostile lines). */
const NGINX_CONTEXT_TRIES = 8;

/**
 * nginx's context (`, client: A, server: B, request: "…", upstream: "…", host: "…", referrer: "…"`)
 * starting at `s[i]` (the `, client: `); every value up to the end of the line must parse.
 * Quoted values are not escaped by nginx, so a value ends at the `"` followed by
 * `, <known key>: ` or by the end of the line.
 */
function nginxContext(s: string, i: number): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const n = s.length;
  while (i < n) {
    if (s.charCodeAt(i) !== 44 /* , */ || s.charCodeAt(i + 1) !== 32) return undefined;
    const colon = s.indexOf(': ', i + 2);
    if (colon < 0) return undefined;
    const key = s.slice(i + 2, colon);
    if (!NGINX_CONTEXT_KEYS.has(key) || out.has(key)) return undefined;
    let j = colon + 2;
    if (s.charCodeAt(j) === 34 /* " */) {
      // the closing quote: one followed by end of line or `, key: `
      let q = s.indexOf('"', j + 1);
      while (q >= 0 && q + 1 < n && !startsContextKey(s, q + 1)) q = s.indexOf('"', q + 1);
      if (q < 0) return undefined;
      out.set(key, s.slice(j + 1, q));
      i = q + 1;
    } else {
      // unquoted values (an address, a server name) hold no `, `
      let k = s.indexOf(', ', j);
      if (k < 0) k = n;
      out.set(key, s.slice(j, k));
      i = k;
    }
  }
  return out;
}

function startsContextKey(s: string, i: number): boolean {
  if (s.charCodeAt(i) !== 44 || s.charCodeAt(i + 1) !== 32) return false;
  // keys are short words: look only a few characters ahead (keeps hostile lines linear)
  const colon = s.slice(i + 2, i + 14).indexOf(':') + i + 2;
  if (colon < i + 2 || s.charCodeAt(colon + 1) !== 32) return false;
  return NGINX_CONTEXT_KEYS.has(s.slice(i + 2, colon));
}

export function parseNginxError(line: string, ctx: ParserContext): ParseResult {
  const fail = (what: string) => new ParseFailure(`nginx_error: ${what}`);
  // YYYY/MM/DD hh:mm:ss
  const year = digitsAt(line, 0, 4);
  const month = digitsAt(line, 5, 2);
  const day = digitsAt(line, 8, 2);
  if (year < 0 || month < 0 || day < 0 || line[4] !== '/' || line[7] !== '/' || line[10] !== ' ') {
    return fail('expected "YYYY/MM/DD hh:mm:ss [level]" at the start');
  }
  const clock = clockAt(line, 11);
  if (clock === undefined) return fail('expected "YYYY/MM/DD hh:mm:ss [level]" at the start');
  const ms = localTimeToEpoch({ year, month, day, hour: clock.hour, minute: clock.minute, second: clock.second, ms: clock.ms }, ctx);
  if (ms === undefined) return fail('time names no real time');
  let i = clock.end;
  if (line[i] !== ' ' || line[i + 1] !== '[') return fail('expected " [level]" after the time');
  const lvlEnd = line.indexOf(']', i + 2);
  if (lvlEnd < 0 || lvlEnd - i > 12) return fail('expected " [level]" after the time');
  const levelWord = line.slice(i + 2, lvlEnd);
  i = lvlEnd + 1;

  const fields: Fields = { '@timestamp': ms };
  const level = levelOf(levelWord);
  if (level !== undefined) fields['log.level'] = level;

  // ` PID#TID: `
  if (line[i] === ' ') {
    const pidEnd = digitRunEnd(line, i + 1);
    if (pidEnd > i + 1 && line[pidEnd] === '#') {
      const tidEnd = digitRunEnd(line, pidEnd + 1);
      if (tidEnd > pidEnd + 1 && line[tidEnd] === ':') {
        const pid = safeInt(line.slice(i + 1, pidEnd));
        const tid = safeInt(line.slice(pidEnd + 1, tidEnd));
        if (pid !== undefined) fields['process.pid'] = pid;
        if (tid !== undefined) fields['process.thread.id'] = tid;
        i = tidEnd + 1;
      }
    }
  }
  if (i < line.length && line[i] !== ' ') return fail(`unexpected text at ${i}`);
  if (line[i] === ' ') i++;
  // `*CID `
  if (line[i] === '*') {
    const cidEnd = digitRunEnd(line, i + 1);
    if (cidEnd > i + 1 && (line[cidEnd] === ' ' || cidEnd === line.length)) {
      const cid = safeInt(line.slice(i + 1, cidEnd));
      if (cid !== undefined) fields['connection_id'] = cid;
      i = cidEnd === line.length ? cidEnd : cidEnd + 1;
    }
  }
  const text = line.slice(i);
  fields['message'] = text;
  limitFields(text, fields);

  // The context opens with `client:` when a connection is known, else with `server:` (or another key).
  let at = contextStart(text, 0);
  for (let tries = 0; at >= 0 && tries < NGINX_CONTEXT_TRIES; tries++) {
    const context = nginxContext(text, at);
    if (context !== undefined) {
      fields['message'] = text.slice(0, at);
      const client = context.get('client');
      if (client !== undefined && client !== '') fields['source.address'] = client;
      const server = context.get('server');
      if (server !== undefined && server !== '') fields['server'] = server;
      const request = context.get('request');
      if (request !== undefined) requestFields(request, fields);
      const subrequest = context.get('subrequest');
      if (subrequest !== undefined) fields['subrequest'] = subrequest;
      const upstream = context.get('upstream');
      if (upstream !== undefined) fields['upstream'] = upstream;
      const host = context.get('host');
      if (host !== undefined && host !== '') fields['url.domain'] = host;
      const referrer = context.get('referrer');
      if (referrer !== undefined && referrer !== '') fields['http.request.referrer'] = referrer;
      break;
    }
    at = contextStart(text, at + 2);
  }
  return fields;
}

/** The first `, key: ` of a known context key at or after `from`, or -1. */
function contextStart(s: string, from: number): number {
  for (let at = s.indexOf(', ', from); at >= 0; at = s.indexOf(', ', at + 2)) {
    if (startsContextKey(s, at)) return at;
  }
  return -1;
}

/**
 * `limit_req` / `limit_conn` (ngx_http_limit_req_module): `limiting requests, excess: 0.940 by zone "one"`,
 * `delaying request, excess: 0.5, by zone "one"`, `limiting connections by zone "addr"`.
 */
const LIMIT = /^(?:limiting|delaying) (?:requests?|connections?)(?:, excess: ([0-9]{1,10}(?:\.[0-9]{1,6})?),?)? by zone "([^"]{1,256})"/;

function limitFields(text: string, fields: Fields): void {
  if (text.charCodeAt(0) !== 108 /* l */ && text.charCodeAt(0) !== 100 /* d */) return;
  const m = LIMIT.exec(text);
  if (m === null) return;
  if (m[1] !== undefined) fields['excess'] = Number(m[1]);
  fields['zone'] = m[2];
}

// ---------------------------------------------------------------------------
// Apache
// ---------------------------------------------------------------------------

/**
 * `[Wed Oct 11 14:32:52[.123456] 2000]` (the default) or `[10/Oct/2000:13:55:36 -0700]`
 * (`ErrorLogFormat "[%{cu}t]…"`-style setups copying the access log's time) at `s[0]`
 * → the index past `]` and epoch ms.
 */
function apacheTime(s: string, ctx: ParserContext): { end: number; ms: number | undefined } | undefined {
  if (s[0] === '[' && s[27] === ']' && s[3] === '/') return { end: 28, ms: clfTime(s.slice(1, 27)) };
  if (s[0] !== '[' || s[4] !== ' ') return undefined;
  const month = monthAt(s, 5);
  if (month === 0 || s[8] !== ' ') return undefined;
  let j = 9;
  if (s[j] === ' ') j++;
  const dEnd = digitRunEnd(s, j);
  if (dEnd === j || dEnd - j > 2 || s[dEnd] !== ' ') return undefined;
  const day = Number(s.slice(j, dEnd));
  const clock = clockAt(s, dEnd + 1);
  if (clock === undefined || s[clock.end] !== ' ') return undefined;
  const year = digitsAt(s, clock.end + 1, 4);
  if (year < 0 || s[clock.end + 5] !== ']') return undefined;
  const ms = localTimeToEpoch({ year, month, day, hour: clock.hour, minute: clock.minute, second: clock.second, ms: clock.ms }, ctx);
  return { end: clock.end + 6, ms };
}

/** `1.2.3.4:5678`, `[2001:db8::1]:5678`, `2001:db8::1:5678` (2.4 always appends the port) → address and port. */
function clientAddress(raw: string, withPort: boolean): { address: string; port: number | undefined } {
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close > 0) {
      const port = raw[close + 1] === ':' ? safeInt(raw.slice(close + 2)) : undefined;
      return { address: raw.slice(1, close), port };
    }
  }
  if (withPort) {
    const colon = raw.lastIndexOf(':');
    if (colon > 0) {
      const port = safeInt(raw.slice(colon + 1));
      if (port !== undefined && port <= 65535) return { address: raw.slice(0, colon), port };
    }
  }
  return { address: raw, port: undefined };
}

export function parseApacheError(line: string, ctx: ParserContext): ParseResult {
  const fail = (what: string) => new ParseFailure(`apache_error: ${what}`);
  const t = apacheTime(line, ctx);
  if (t === undefined) return fail('expected "[Www Mmm dd hh:mm:ss yyyy]" or "[dd/Mmm/yyyy:hh:mm:ss +zzzz]" at the start');
  if (t.ms === undefined) return fail('time names no real time');
  const fields: Fields = { '@timestamp': t.ms };
  let i = t.end;
  let v24 = false;
  let sawLevel = false;
  // Bracketed groups: [level] / [module:level], [pid N:tid M], [client A], [remote A].
  // In 2.4, `%F: ` (source file, `mod_authz_core.c(820): `) and `%E: ` (an APR error,
  // `(70007)The timeout specified has expired: `) stand between [pid] and [client]:
  // that text is kept at the start of the message.
  let prefix = '';
  for (;;) {
    if (line[i] !== ' ') break;
    let j = i + 1;
    if (line[j] !== '[' && v24 && prefix === '') {
      const window = line.slice(j, j + 512);
      let close = window.indexOf(': [client ');
      if (close < 0) close = window.indexOf(': [remote ');
      if (close < 0 || window.lastIndexOf(']', close) >= 0) break;
      prefix = line.slice(j, j + close + 1);
      i = j + close + 1;
      j = i + 1;
    }
    if (line[j] !== '[') break;
    const close = line.indexOf(']', j + 1);
    if (close < 0) break;
    const group = line.slice(j + 1, close);
    if (!sawLevel) {
      const colon = group.indexOf(':');
      const word = colon >= 0 ? group.slice(colon + 1) : group;
      if (!/^[a-z]{3,7}[1-8]?$/.test(word)) return fail(`expected "[level]" or "[module:level]", got ${JSON.stringify(group.slice(0, 64))}`);
      if (colon >= 0) {
        v24 = true;
        const module = group.slice(0, colon);
        if (module !== '') fields['module'] = module;
      }
      const level = levelOf(word);
      if (level !== undefined) fields['log.level'] = level;
      sawLevel = true;
    } else if (group.startsWith('pid ')) {
      v24 = true;
      const tidAt = group.indexOf(':tid ');
      const pid = safeInt(tidAt >= 0 ? group.slice(4, tidAt) : group.slice(4));
      if (pid !== undefined) fields['process.pid'] = pid;
      if (tidAt >= 0) {
        const tid = safeInt(group.slice(tidAt + 5));
        if (tid !== undefined) fields['process.thread.id'] = tid;
      }
    } else if (group.startsWith('client ')) {
      const { address, port } = clientAddress(group.slice(7), v24);
      fields['source.address'] = address;
      if (port !== undefined) fields['source.port'] = port;
    } else if (group.startsWith('remote ')) {
      const { address, port } = clientAddress(group.slice(7), true);
      fields['server.address'] = address;
      if (port !== undefined) fields['server.port'] = port;
    } else {
      break;
    }
    i = close + 1;
  }
  if (!sawLevel) return fail('expected "[level]" after the time');
  if (line[i] === ' ') i++;
  const rest = line.slice(i);
  const message = prefix !== '' ? `${prefix} ${rest}` : rest;
  fields['message'] = message;
  // `(111)Connection refused: AH00957: …`: an APR error (errno and its text) before the AH code.
  const errno = /^\(([0-9]{1,6})\)[^:]{1,200}: /.exec(rest);
  if (errno !== null) fields['errno'] = Number(errno[1]);
  const code = /^AH[0-9]{5}(?=: )/.exec(errno === null ? rest : rest.slice(errno[0].length));
  if (code !== null) fields['error.code'] = code[0];
  if (v24) {
    const ref = rest.lastIndexOf(', referer: ');
    if (ref >= 0) {
      const referrer = rest.slice(ref + 11);
      if (referrer !== '' && !referrer.includes(' ')) fields['http.request.referrer'] = referrer;
    }
  }
  return fields;
}


/** nginx `error_log` lines. */
export const nginxError: ParserModule = lineModule('nginx_error', parseNginxError);

/** Apache httpd `ErrorLog` lines, 2.2 and 2.4 default formats. */
export const apacheError: ParserModule = lineModule('apache_error', parseApacheError);
