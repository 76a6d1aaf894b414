/**
 * `nginx` and `apache` access logs: the `combined` and `common` formats, detected per line.
 *
 *   common    $remote_addr $ident $remote_user [$time_local] "$request" $status $body_bytes_sent
 *   combined  common + ` "$http_referer" "$http_user_agent"`
 *
 * Anything after the user agent (nginx `main`'s `"$http_x_forwarded_for"`, Apache `%D`, …)
 * is kept verbatim under the plain key `extra`.
 *
 * Quoted values are kept as logged (nginx writes `"` as `\x22`, Apache as `\"`;
 * both escape non-printable bytes as `\xHH`, which has no faithful string
 * form), only the surrounding quotes are removed. A request line that is not
 * `METHOD TARGET HTTP/x.y` (TLS handshakes sent to a plain-HTTP port, `-`…)
 * still parses: `url.original` keeps the raw request, method and version are
 * left out.
 *
 * Hand-written scanner, linear in the line length. Never throws.
 */
import { ParseFailure, lineModule } from './types.js';
import type { Fields, ParseResult, ParserModule } from './types.js';
import { digitRunEnd } from './syslog.js';
import { parseClfTime } from './timestamp.js';

/** Index of the closing quote of the quoted value opening at `s[i]` (`"`); backslash escapes the next character. -1 when unterminated. */
export function closingQuote(s: string, i: number): number {
  const n = s.length;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) j++;
    else if (c === 34 /* " */) return j;
  }
  return -1;
}

const METHOD = /^[A-Z][A-Z_-]{0,31}$/;
const PROTOCOL = /^HTTP\/([0-9]{1,2}(?:\.[0-9]{1,2})?)$/;

/**
 * The fields of an HTTP request line (`GET /a?b=1 HTTP/1.1`): method, `url.original`,
 * `url.path`, `url.query`, `http.version`. A line that is not well-formed gives only
 * `url.original` = the raw line; `-` and the empty line give nothing.
 */
export function requestFields(raw: string, fields: Fields): void {
  if (raw === '' || raw === '-') return;
  const first = raw.indexOf(' ');
  const last = raw.lastIndexOf(' ');
  let method: string | undefined;
  let target: string | undefined;
  let version: string | undefined;
  if (first > 0 && last > first + 1) {
    const m = raw.slice(0, first);
    const v = PROTOCOL.exec(raw.slice(last + 1));
    if (METHOD.test(m) && v !== null) {
      method = m;
      target = raw.slice(first + 1, last);
      version = v[1];
    }
  } else if (first > 0 && first === last && first + 1 < raw.length) {
    // HTTP/0.9: `GET /`
    const m = raw.slice(0, first);
    if (METHOD.test(m)) {
      method = m;
      target = raw.slice(first + 1);
    }
  }
  if (method === undefined || target === undefined) {
    fields['url.original'] = raw;
    return;
  }
  fields['http.request.method'] = method;
  fields['url.original'] = target;
  urlParts(target, fields);
  if (version !== undefined) fields['http.version'] = version;
}

/** `url.path` and `url.query` of an origin-form (`/a?b`) or absolute-form (`http://h/a?b`) target. */
function urlParts(target: string, fields: Fields): void {
  let pathStart = -1;
  if (target.charCodeAt(0) === 47 /* / */) {
    pathStart = 0;
  } else {
    const scheme = target.indexOf('://');
    if (scheme > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(target.slice(0, scheme))) {
      const slash = target.indexOf('/', scheme + 3);
      const q = target.indexOf('?', scheme + 3);
      if (slash >= 0 && (q < 0 || slash < q)) pathStart = slash;
      else if (q >= 0) {
        fields['url.path'] = '/';
        setQuery(target.slice(q + 1), fields);
        return;
      } else {
        fields['url.path'] = '/';
        return;
      }
    }
  }
  if (pathStart < 0) return; // `*`, `host:443` (CONNECT)…
  let rest = target.slice(pathStart);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  if (q < 0) {
    fields['url.path'] = rest;
  } else {
    fields['url.path'] = rest.slice(0, q);
    setQuery(rest.slice(q + 1), fields);
  }
}

function setQuery(query: string, fields: Fields): void {
  const hash = query.indexOf('#');
  const q = hash >= 0 ? query.slice(0, hash) : query;
  if (q !== '') fields['url.query'] = q;
}

/** `10/Oct/2000:13:55:36 -0700` (the inside of `[...]`, exactly that shape: access logs always carry the offset) → epoch ms. */
export function clfTime(s: string): number | undefined {
  return s.length === 26 ? parseClfTime(s) : undefined;
}

/** Parses one access-log line (combined or common). */
export function parseAccessLine(line: string, format: string): ParseResult {
  const n = line.length;
  const fail = (what: string) => new ParseFailure(`${format}: ${what}`);

  // $remote_addr
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) return fail('expected "ADDRESS IDENT USER [TIME]" at the start');
  const address = line.slice(0, sp1);
  // ident (`-` in nginx, %l in Apache)
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 <= sp1 + 1) return fail('expected "ADDRESS IDENT USER [TIME]" at the start');
  const ident = line.slice(sp1 + 1, sp2);
  // $remote_user: up to ` [` (a user name may hold spaces)
  const open = line.indexOf(' [', sp2 + 1);
  if (open <= sp2) return fail('no "[time]" after address, ident and user');
  const user = line.slice(sp2 + 1, open);
  const close = line.indexOf(']', open + 2);
  if (close < 0) return fail('unterminated "[time"');
  const time = clfTime(line.slice(open + 2, close));
  if (time === undefined) return fail(`invalid time ${JSON.stringify(line.slice(open + 2, Math.min(close, open + 66)))}`);

  // "$request"
  let i = close + 1;
  if (line.charCodeAt(i) !== 32 || line.charCodeAt(i + 1) !== 34) return fail('expected \' "request"\' after the time');
  const reqEnd = closingQuote(line, i + 1);
  if (reqEnd < 0) return fail('unterminated "request"');
  const request = line.slice(i + 2, reqEnd);
  i = reqEnd + 1;

  // $status $body_bytes_sent
  if (line.charCodeAt(i) !== 32) return fail('expected a status after the request');
  const stEnd = digitRunEnd(line, i + 1);
  if (stEnd === i + 1 || stEnd - (i + 1) > 3) return fail('invalid status');
  const status = Number(line.slice(i + 1, stEnd));
  i = stEnd;
  if (line.charCodeAt(i) !== 32) return fail('expected bytes after the status');
  let bytes: number | undefined;
  if (line.charCodeAt(i + 1) === 45 /* - */) {
    i += 2;
  } else {
    const bEnd = digitRunEnd(line, i + 1);
    if (bEnd === i + 1 || bEnd - (i + 1) > 15) return fail('invalid body bytes');
    bytes = Number(line.slice(i + 1, bEnd));
    i = bEnd;
  }
  if (i < n && line.charCodeAt(i) !== 32) return fail('unexpected text after body bytes');

  const fields: Fields = { 'source.address': address };
  if (ident !== '-') fields['ident'] = ident;
  if (user !== '-' && user !== '') fields['user.name'] = user;
  fields['@timestamp'] = time;
  requestFields(request, fields);
  fields['http.response.status_code'] = status;
  if (bytes !== undefined) fields['http.response.body.bytes'] = bytes;

  // combined: "$http_referer" "$http_user_agent"
  if (line.charCodeAt(i) === 32 && line.charCodeAt(i + 1) === 34) {
    const refEnd = closingQuote(line, i + 1);
    if (refEnd >= 0) {
      const referrer = line.slice(i + 2, refEnd);
      if (referrer !== '-' && referrer !== '') fields['http.request.referrer'] = referrer;
      i = refEnd + 1;
      if (line.charCodeAt(i) === 32 && line.charCodeAt(i + 1) === 34) {
        const uaEnd = closingQuote(line, i + 1);
        if (uaEnd >= 0) {
          const ua = line.slice(i + 2, uaEnd);
          if (ua !== '-' && ua !== '') fields['user_agent.original'] = ua;
          i = uaEnd + 1;
        }
      }
    }
  }
  const extra = line.slice(i).trim();
  if (extra !== '') fields['extra'] = extra;
  fields['message'] = line;
  return fields;
}


/** nginx access log (`combined` — nginx's default — or `common`, per line). */
export const nginx: ParserModule = lineModule('nginx', (text) => parseAccessLine(text, 'nginx'));

/** Apache access log (`combined` or `common`, per line). */
export const apache: ParserModule = lineModule('apache', (text) => parseAccessLine(text, 'apache'));
