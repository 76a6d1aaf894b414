#!/usr/bin/env node
// A stand-in application for the logship demo: appends a realistic mix of log
// lines to <dir>/app.log and rotates it by rename, the way logrotate or a
// logging framework would, so the demo exercises logship's rotation handling.
//
//   node demo-writer.mjs [DIR]        DIR defaults to ./demo/logs
//
// Environment (all optional):
//   DEMO_RATE            lines per second (default 4)
//   DEMO_ROTATE_LINES    rotate after this many lines (default 200)
//   DEMO_KEEP            rotated generations kept: app.log.1 … app.log.N (default 3)
//
// Lines: plain `<ISO time> LEVEL [thread] logger - message` lines at INFO,
// DEBUG, WARN and ERROR, now and then an ERROR followed by a Java-like stack
// trace, and JSON lines (pino/bunyan style). Plain Node, no dependencies.
// Stops cleanly on SIGTERM and SIGINT (exit 0).
import fs from 'node:fs';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? './demo/logs');
const file = path.join(dir, 'app.log');
const rate = positive('DEMO_RATE', 4);
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

// An ERROR line followed by its stack trace: one event once logship's
// multi-line presets exist (a `java` preset), one event per line until then.
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

function nextEntry() {
  const r = Math.random();
  if (r < 0.55) return [infoLine()];
  if (r < 0.7) return [jsonLine()];
  if (r < 0.82) return [warnLine()];
  if (r < 0.92) return [errorLine()];
  return stackTrace();
}

// ---- writing and rotation --------------------------------------------------

fs.mkdirSync(dir, { recursive: true });
let fd = fs.openSync(file, 'a');
let linesInFile = 0;

function rotate() {
  // app.log.(keep-1) -> app.log.keep, …, app.log -> app.log.1; the oldest is
  // replaced by the rename. Close first, like a logger reopening its file.
  fs.closeSync(fd);
  for (let k = keep - 1; k >= 1; k--) {
    const from = `${file}.${k}`;
    if (fs.existsSync(from)) fs.renameSync(from, `${file}.${k + 1}`);
  }
  fs.renameSync(file, `${file}.1`);
  fd = fs.openSync(file, 'a');
  linesInFile = 0;
}

function tick() {
  const lines = nextEntry();
  // One write per entry, so a stack trace never straddles a rotation.
  fs.writeSync(fd, lines.join('\n') + '\n');
  linesInFile += lines.length;
  if (linesInFile >= rotateLines) rotate();
}

const timer = setInterval(() => {
  try {
    tick();
  } catch (err) {
    process.stderr.write(`demo-writer: ${err.message}\n`);
    process.exit(1);
  }
}, 1000 / rate);

function stop() {
  clearInterval(timer);
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
