#!/usr/bin/env node
// A stand-in for three applications for the logship demo, each writing its own
// log under DIR (default ./demo/logs) and rotating it by rename, the way
// logrotate or a logging framework would, so the demo exercises logship's
// rotation handling too:
//
//   shop.log        a Java service: `<ISO time> LEVEL [thread] logger - message`
//                   lines, and now and then an ERROR with its stack trace
//   notifier.log    a Node service logging pino JSON (numeric levels, epoch ms)
//   access.log      nginx in front of them, `combined` access log format
//
//   node demo-writer.mjs [DIR]
//
// Environment (all optional):
//   DEMO_RATE            entries per second (default 4)
//   DEMO_COUNT           stop after this many entries, exit 0 (default: run until stopped)
//   DEMO_ROTATE_LINES    rotate a file after this many lines (default 200)
//   DEMO_KEEP            rotated generations kept: shop.log.1 … shop.log.N (default 3)
//
// The first entries are one of each kind (a stack trace among them), so the
// first seconds of the demo already show every parser. Plain Node, no
// dependencies. Stops cleanly on SIGTERM and SIGINT (exit 0).
import fs from 'node:fs';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? './demo/logs');
const rate = positive('DEMO_RATE', 4);
const count = positive('DEMO_COUNT', Infinity);
const rotateLines = positive('DEMO_ROTATE_LINES', 200);
const keep = positive('DEMO_KEEP', 3);

function positive(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`demo-writer: ${name} must be a positive number, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

// ---- content ---------------------------------------------------------------

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const int = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));
const hex = (n) => Array.from({ length: n }, () => int(0, 15).toString(16)).join('');

const threads = ['http-nio-8080-exec-1', 'http-nio-8080-exec-2', 'http-nio-8080-exec-7', 'scheduler-1', 'kafka-consumer-0'];
const users = ['alice', 'bob', 'carol', 'dave', 'erin'];
const paths = ['/api/orders', '/api/orders/{id}', '/api/cart', '/api/checkout', '/api/users/{id}', '/healthz'];
const methods = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];

function plain(level, logger, message) {
  return `${new Date().toISOString()} ${level.padEnd(5)} [${pick(threads)}] ${logger} - ${message}`;
}

function infoLine() {
  const p = pick(paths).replace('{id}', String(int(1000, 9999)));
  return pick([
    () => plain('INFO', 'c.e.shop.web.RequestLog', `${pick(methods)} ${p} -> ${pick([200, 200, 200, 201, 204, 304])} in ${int(2, 180)}ms`),
    () => plain('INFO', 'c.e.shop.orders.OrderService', `order ${int(100000, 999999)} placed by ${pick(users)}: ${int(1, 6)} items, total ${int(5, 500)}.${String(int(0, 99)).padStart(2, '0')} EUR`),
    () => plain('INFO', 'c.e.shop.cache.CatalogCache', `refreshed ${int(800, 1200)} products in ${int(40, 400)}ms`),
    () => plain('DEBUG', 'c.e.shop.db.Pool', `connections active=${int(1, 20)} idle=${int(0, 10)} waiting=0`),
  ])();
}

function warnLine() {
  return pick([
    () => plain('WARN', 'c.e.shop.payments.PaymentClient', `payment provider slow: ${int(900, 4000)}ms (threshold 800ms), attempt ${int(1, 3)}/3`),
    () => plain('WARN', 'c.e.shop.db.Pool', `connection pool at ${int(80, 99)}% capacity`),
    () => plain('WARN', 'c.e.shop.web.RateLimiter', `client 10.0.${int(0, 255)}.${int(1, 254)} throttled on ${pick(paths)}`),
  ])();
}

function errorLine() {
  return plain('ERROR', 'c.e.shop.inventory.StockService', `stock sync failed for warehouse ${pick(['AMS-1', 'FRA-2', 'DUB-1'])}: upstream returned 503`);
}

// An ERROR line followed by its stack trace: with `multiline: { preset: java }`
// the exception and its frames are one event with `error.*` fields.
function stackTrace() {
  const orderId = int(100000, 999999);
  return [
    plain('ERROR', 'c.e.shop.orders.OrderController', `unhandled exception processing order ${orderId}`),
    `java.lang.IllegalStateException: order ${orderId} is already being processed`,
    '\tat com.example.shop.orders.OrderService.lock(OrderService.java:212)',
    '\tat com.example.shop.orders.OrderService.checkout(OrderService.java:148)',
    '\tat com.example.shop.orders.OrderController.checkout(OrderController.java:67)',
    '\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
    'Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.',
    '\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)',
    '\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)',
    '\t... 42 more',
  ];
}

// pino-style JSON: numeric levels, epoch-millisecond time.
function jsonLine() {
  const [level, msg, extra] = pick([
    [30, 'request completed', { req: { method: pick(methods), url: pick(paths).replace('{id}', String(int(1000, 9999))) }, res: { statusCode: 200 }, responseTime: int(1, 90) }],
    [30, 'user signed in', { user: pick(users), method: pick(['password', 'sso']) }],
    [40, 'retrying webhook delivery', { attempt: int(2, 5), endpoint: 'https://hooks.example.com/orders' }],
    [50, 'webhook delivery failed', { attempt: 5, err: { type: 'Error', message: 'connect ECONNREFUSED 10.0.4.17:443' } }],
  ]);
  return JSON.stringify({ level, time: Date.now(), pid: process.pid, hostname: 'shop-api-7c9d', name: 'notifier', msg, traceId: hex(16), ...extra });
}

const agents = ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'curl/8.5.0', 'kube-probe/1.31', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n) => String(n).padStart(2, '0');

// nginx `combined`: $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
function accessLine() {
  const d = new Date();
  const time = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  const p = pick(paths).replace('{id}', String(int(1000, 9999)));
  const status = pick([200, 200, 200, 201, 204, 304, 404, 499, 502]);
  return `10.0.${int(0, 255)}.${int(1, 254)} - ${pick(['-', '-', pick(users)])} [${time}] "${pick(methods)} ${p} HTTP/1.1" ${status} ${int(0, 8000)} "${pick(['-', 'https://shop.example.com/'])}" "${pick(agents)}"`;
}

/** The next entry: which file, and its lines. The first three are one of each kind. */
let entries = 0;
function nextEntry() {
  const n = entries++;
  if (n === 0) return ['shop', stackTrace()];
  if (n === 1) return ['notifier', [jsonLine()]];
  if (n === 2) return ['access', [accessLine()]];
  const r = Math.random();
  if (r < 0.3) return ['access', [accessLine()]];
  if (r < 0.45) return ['notifier', [jsonLine()]];
  if (r < 0.7) return ['shop', [infoLine()]];
  if (r < 0.82) return ['shop', [warnLine()]];
  if (r < 0.93) return ['shop', [errorLine()]];
  return ['shop', stackTrace()];
}

// ---- writing and rotation --------------------------------------------------

/** One application's log file, rotated by rename after `rotateLines` lines. */
class RotatingLog {
  constructor(file) {
    this.file = file;
    this.fd = fs.openSync(file, 'a');
    this.lines = 0;
  }

  /** One write per entry, so a stack trace never straddles a rotation. */
  append(lines) {
    fs.writeSync(this.fd, lines.join('\n') + '\n');
    this.lines += lines.length;
    if (this.lines >= rotateLines) this.rotate();
  }

  // name.(keep-1) -> name.keep, …, name -> name.1; the oldest is replaced by
  // the rename. Close first, like a logger reopening its file.
  rotate() {
    fs.closeSync(this.fd);
    for (let k = keep - 1; k >= 1; k--) {
      const from = `${this.file}.${k}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${k + 1}`);
    }
    fs.renameSync(this.file, `${this.file}.1`);
    this.fd = fs.openSync(this.file, 'a');
    this.lines = 0;
  }

  close() {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

fs.mkdirSync(dir, { recursive: true });
const logs = {
  shop: new RotatingLog(path.join(dir, 'shop.log')),
  notifier: new RotatingLog(path.join(dir, 'notifier.log')),
  access: new RotatingLog(path.join(dir, 'access.log')),
};

const timer = setInterval(() => {
  try {
    const [name, lines] = nextEntry();
    logs[name].append(lines);
    if (entries >= count) stop();
  } catch (err) {
    process.stderr.write(`demo-writer: ${err.message}\n`);
    process.exit(1);
  }
}, 1000 / rate);

function stop() {
  clearInterval(timer);
  for (const log of Object.values(logs)) log.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
