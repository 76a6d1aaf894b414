// The status page at / on the admin listener, in a real headless Chromium
// (Debian's, driven by playwright-core; installed by scripts/ensure-chromium.sh
// when missing): its figures match what was written and delivered, its chart
// draws each output, and an output going down shows its reason, then clears.
// LOGSHIP_UPDATE_SCREENSHOT=1 saves the page as docs/status-page.png.
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminPortOf, until } from '../support/admin.js';
import { EsServer } from '../support/es-server.js';
import { baseConfig, REPO_ROOT, requireEngine, useHarness, writeConfig } from '../support/logship-process.js';
import { OutputReader, waitFor } from '../support/output.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const line = (i: number) => `${JSON.stringify({ level: i % 10 === 0 ? 'warn' : 'info', message: `request ${i} served` })}\n`;

/** The text of one cell of the page's output or input table. */
const cell = (page: Page, table: 'input' | 'output', name: string, field: string) => page.locator(`tr[data-${table}="${name}"] td[data-field="${field}"]`).textContent();

describe('status page', () => {
  const h = useHarness();
  beforeAll(() => {
    requireEngine();
    execFileSync('sh', [path.join(REPO_ROOT, 'scripts/ensure-chromium.sh')], { stdio: 'inherit', timeout: 600_000 });
  }, 600_000);

  it('shows the figures of the run in a real browser, and an output that goes down with its reason', async () => {
    const root = await h.tmp('status-page');
    const es = await EsServer.start();
    let browser: BrowserContext | undefined;
    try {
      const log = path.join(root, 'logs', 'app.log');
      writeFileSync(log, '');
      const config = {
        ...baseConfig(root, [{ name: 'app', paths: [log], parser: 'json' }]),
        outputs: [
          { type: 'file', name: 'archive', path: path.join(root, 'out'), prefix: '', sync_interval: '200ms' },
          { type: 'elasticsearch', name: 'es', hosts: es.url, index: 'logs', readiness: 'required', retry: { initial_backoff: '50ms', max_backoff: '1s' }, batch: { timeout: '200ms' } },
        ],
        server: { listen: '127.0.0.1:0', admin_listen: '127.0.0.1:0', health: { output_failure_grace: '1s' } },
      };
      const proc = h.start(await writeConfig(root, config));
      const port = await adminPortOf(proc);
      const reader = new OutputReader(path.join(root, 'out'));

      browser = await chromium.launchPersistentContext(path.join(root, 'chromium-profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 900 } });
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(`http://127.0.0.1:${port}/`);

      // A few bursts, each delivered before the next: figures to check and a chart with some shape.
      let written = 0;
      for (const burst of [200, 400, 300]) {
        for (let i = 0; i < burst; i++) appendFileSync(log, line(written + i));
        written += burst;
        await waitFor(reader, () => reader.events.length >= written && es.count('logs') >= written, () => `file ${reader.events.length}, es ${es.count('logs')} of ${written}`, { proc, what: `${written} events` });
      }
      const shown = () => Promise.all([cell(page, 'input', 'app', 'events'), cell(page, 'output', 'es', 'acknowledged'), cell(page, 'output', 'archive', 'acknowledged')]);
      const expected = written.toLocaleString('en');
      await until(async () => ((await shown()).every((t) => t === expected) ? true : undefined), () => `page shows ${JSON.stringify(shown)} not ${expected}`, 60_000, proc);
      expect(reader.events).toHaveLength(written);
      expect(es.count('logs')).toBe(written);
      expect(await page.locator('#ready').textContent()).toBe('ready');
      expect(await cell(page, 'input', 'app', 'lagBytes')).toBe('0 B');
      for (const o of ['es', 'archive']) await page.locator(`#chart-events polyline[data-output="${o}"]`).waitFor({ state: 'attached' });

      // Elasticsearch refuses connections: the page says so, with the reason, and readiness drops (readiness: required).
      await es.down('refuse');
      for (let i = 0; i < 100; i++) appendFileSync(log, line(written + i));
      written += 100;
      await page.locator('#reasons li', { hasText: 'not ready: output es failing for' }).waitFor({ timeout: 120_000 });
      expect(await page.locator('#ready').textContent()).toBe('not ready');
      expect(await cell(page, 'output', 'es', 'failure')).toMatch(/requests failing and retried|ECONNREFUSED|connect/i);
      await page.locator('#errors li', { hasText: 'output es' }).waitFor();
      const screenshot = path.join(root, 'status-page.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      if (process.env.LOGSHIP_UPDATE_SCREENSHOT) {
        mkdirSync(path.join(REPO_ROOT, 'docs'), { recursive: true });
        copyFileSync(screenshot, path.join(REPO_ROOT, 'docs', 'status-page.png'));
      }

      // Back up: everything arrives, the reason goes and the page is ready again.
      await es.up();
      await waitFor(reader, () => es.count('logs') >= written, () => `es ${es.count('logs')} of ${written}`, { proc, what: 'delivery after the outage', timeoutMs: 120_000 });
      await page.locator('#ready', { hasText: /^ready$/ }).waitFor({ timeout: 60_000 });
      await until(async () => ((await cell(page, 'output', 'es', 'acknowledged')) === written.toLocaleString('en') ? true : undefined), () => 'es acknowledged on the page', 60_000, proc);
      expect(await cell(page, 'output', 'es', 'failure')).toBe('');
      expect((await proc.stop()).code).toBe(0);
    } finally {
      await browser?.close();
      await es.close();
    }
  });
});
