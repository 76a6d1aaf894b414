#!/usr/bin/env node
// The Compose demo's "legacy app": a stand-in for a Java service that logs the
// way Logback's default pattern does (`%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level
// [%thread] %logger - %msg%n`, a throwable's stack trace on the lines after the
// message) into DIR/app.log, rotated by rename (app.log.1 … app.log.KEEP) every
// ROTATE_LINES lines, so the shared volume stays bounded. Plain Node, no
// dependencies.
//
//   node legacy-java-app.mjs DIR        RATE (lines/s, default 5), ROTATE_LINES (1000), KEEP (3), LINES (0: forever)
import { appendFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? '/var/log/app';
const rate = Number(process.env.RATE ?? 5);
const rotateLines = Number(process.env.ROTATE_LINES ?? 1000);
const keep = Number(process.env.KEEP ?? 3);
const limit = Number(process.env.LINES ?? 0);
const file = path.join(dir, 'app.log');
mkdirSync(dir, { recursive: true });

const pad = (n, width = 2) => String(n).padStart(width, '0');
/** Logback's `yyyy-MM-dd HH:mm:ss.SSS`, in UTC (the config's inputs[].timezone default). */
const stamp = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;

const TRACES = [
  [
    'java.lang.IllegalStateException: Inventory service returned 503',
    '\tat com.example.shop.InventoryClient.reserve(InventoryClient.java:88)',
    '\tat com.example.shop.OrderService.place(OrderService.java:41)',
    '\tat com.example.shop.OrderController.create(OrderController.java:27)',
    'Caused by: java.net.SocketTimeoutException: Read timed out',
    '\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)',
    '\tat com.example.shop.InventoryClient.reserve(InventoryClient.java:80)',
    '\t... 2 more',
  ],
  [
    'org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection',
    '\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.convertHibernateAccessException(HibernateJpaDialect.java:275)',
    '\tat com.example.shop.OrderRepository.save(OrderRepository.java:52)',
    'Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.',
    '\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)',
    '\t... 1 more',
  ],
];

let written = 0;
let sinceRotation = 0;

function rotate() {
  for (let i = keep - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  if (existsSync(file)) renameSync(file, `${file}.1`);
  sinceRotation = 0;
}

function line(n) {
  const head = `${stamp(new Date())} %s [http-nio-8080-exec-${(n % 8) + 1}] com.example.shop.OrderController - `;
  if (n % 25 === 0) return [head.replace('%s', 'ERROR') + `Failed to place order ${n}`, ...TRACES[(n / 25) % TRACES.length]].join('\n');
  if (n % 7 === 0) return head.replace('%s', 'WARN ') + `Order ${n}: payment retried (attempt 2)`;
  return head.replace('%s', 'INFO ') + `Order ${n} placed in ${20 + (n % 180)} ms`;
}

const timer = setInterval(() => {
  written += 1;
  appendFileSync(file, `${line(written)}\n`);
  sinceRotation += 1;
  if (sinceRotation >= rotateLines) rotate();
  if (limit > 0 && written >= limit) clearInterval(timer);
}, 1000 / rate);

// `docker compose stop` sends SIGTERM: stop at a line boundary, like an app would.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
