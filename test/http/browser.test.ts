import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/index.js';
import { parseConfigObject } from '../../src/config/index.js';
import { systemClock } from '../../src/core/clock.js';
import { demoConfig } from '../../src/demo/index.js';
import { memoryLogger } from '../../src/log/logger.js';
import { MockGpioDriver } from '../../src/pump/index.js';

/**
 * The status page in a real browser (Debian's chromium, driven by puppeteer-core): the demo node
 * (its footage through the real detector, consensus, the pump on mock GPIO) at 1280 px and 390 px,
 * before and after its trigger, then the node killed (the page must go stale, not stay green) and
 * brought back on the same port (the page must recover by itself). Screenshots go to
 * test-artifacts/status-page/ (kept on failure for the report; the CI log names them).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = resolve('test-artifacts/status-page');
let browser: Browser;
let app: App | null = null;
let port = 0;
const consoleErrors: string[] = [];

async function startNode(httpPort: number): Promise<App> {
  const cfg = demoConfig({ assetRoot: resolve('.'), stateDir: mkdtempSync(join(tmpdir(), 'wfe-page-')), httpPort, mqttPort: 0 });
  const r = parseConfigObject(cfg, 'demo', { env: {} });
  if (!r.ok) throw new Error(r.reason);
  const a = createApp({ config: r.value.config, logger: memoryLogger('warn'), overrides: { pumpDriver: new MockGpioDriver({ clock: systemClock }) } });
  const started = await a.start();
  if (!started.ok) throw new Error(started.reason);
  return a;
}

async function open(width: number): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width, height: 900 });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });
  return page;
}

/** Poll an async condition (page queries are async) until true or the timeout. */
async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

const bannerText = (page: Page): Promise<string> => page.$eval('#banner', (e) => e.textContent ?? '');

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

describe('status page in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (test/system-deps.txt) or set CHROMIUM_PATH`);
    mkdirSync(shots, { recursive: true });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: mkdtempSync(join(tmpdir(), 'wfe-chromium-')),
      // The flags this machine's closed network needs (no background or Google connections).
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    app = await startNode(0);
    port = Number(new URL(app.statusUrl() ?? 'http://x:0/').port);
    expect(port).toBeGreaterThan(0);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop('test');
  });

  it('watching → fire: banner, timeline with medians and trigger, pump band, camera tile with boxes, pin levels, favicon; fits 1280 and 390 px', async () => {
    const wide = await open(1280);
    const narrow = await open(390);
    for (const p of [wide, narrow]) expect(await waitFor(async () => /WATCHING|FIRE CONFIRMED|PUMP RUNNING/.test(await bannerText(p)), 15_000)).toBe(true);
    await shot(wide, 'before-1280');
    await shot(narrow, 'before-390');

    // The demo footage triggers within seconds; the pump then runs its start sequence.
    expect(await waitFor(async () => /PUMP RUNNING/.test(await bannerText(wide)), 40_000)).toBe(true);
    await wide.waitForSelector('#timeline line.trigger', { timeout: 10_000 });
    // Give the next push a moment so both views carry the trigger, then photograph.
    expect(await waitFor(async () => (await narrow.$('#timeline line.trigger')) !== null, 10_000)).toBe(true);
    await shot(wide, 'after-1280');
    await shot(narrow, 'after-390');

    const page = wide;
    // Timeline: detections (score dots, area line), the growth medians, the trigger, pump states.
    expect((await page.$$('#timeline circle.score')).length).toBeGreaterThan(3);
    expect(await page.$('#timeline polyline.area')).not.toBeNull();
    expect(await page.$('#timeline line.median-early')).not.toBeNull();
    expect(await page.$('#timeline line.median-late')).not.toBeNull();
    const states = await page.$$eval('#timeline rect.pump-state title', (ts) => ts.map((t) => t.textContent ?? ''));
    expect(states.some((t) => t.startsWith('IDLE'))).toBe(true);
    expect(states.some((t) => /^(PRIMING|STARTING|RUNNING)/.test(t))).toBe(true);
    // Camera tile: the snapshot image and the tracked box drawn over it.
    expect(await waitFor(async () => (await page.$$eval('#cams img', (imgs) => imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0).length)) > 0, 15_000)).toBe(true);
    expect((await page.$$('#cams rect.box')).length).toBeGreaterThan(0);
    // "last trigger" shows the id (it read a field the status never had).
    const consensusText = await page.$eval('#consensus', (e) => e.textContent ?? '');
    expect(consensusText).toMatch(/last trigger[^n]*[0-9a-f-]{8,} at \d\d:\d\d:\d\d/);
    // Pin levels: logical state and the electrical level.
    const pins = await page.$eval('#pump .pins', (e) => e.textContent ?? '');
    expect(pins).toMatch(/mainValveon · pin \d+ (HIGH|LOW)/);
    // The trigger's MQTT echo is de-duplication, not a refused trigger: no such row.
    const events = await page.$eval('#events', (e) => e.textContent ?? '');
    expect(events).toMatch(/IDLE → PRIMING/);
    expect(events).not.toMatch(/trigger_refused/);
    // Favicon served (no 404 on every load).
    const fav = await page.evaluate(async () => (await fetch('/favicon.svg')).status);
    expect(fav).toBe(200);
    expect(await page.$eval('link[rel=icon]', (l) => l.getAttribute('href'))).toBe('/favicon.svg');

    // Nothing overflows its card, at either width (the events table clipped its reasons).
    for (const p of [wide, narrow]) {
      const overflow = await p.$$eval('section', (ss) => ss.filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.querySelector('h2')?.textContent));
      expect(overflow).toEqual([]);
      expect(await p.evaluate(() => {
        const g = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
        return g.document.documentElement.scrollWidth <= g.innerWidth + 1;
      })).toBe(true);
    }
    // The CSP held: no inline style or script was refused, nothing threw.
    expect(consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
    await narrow.close();
  }, 120_000);

  it('a dead node goes stale (grey, "stale since"), and the page reconnects by itself when it is back', async () => {
    const page = await open(1280);
    expect(await waitFor(async () => /WATCHING|FIRE CONFIRMED|PUMP RUNNING/.test(await bannerText(page)), 15_000)).toBe(true);
    await app!.stop('test');
    app = null;
    // Stale after three missed pushes (2 s each): the page never keeps showing green "ok".
    expect(await waitFor(async () => /stale since \d\d:\d\d:\d\d/.test(await page.$eval('#updated', (e) => e.textContent ?? '')), 20_000)).toBe(true);
    expect(await page.$eval('body', (b) => b.classList.contains('stale'))).toBe(true);
    expect(await page.$eval('#health', (e) => e.textContent)).toBe('stale');
    expect(await bannerText(page)).toMatch(/NO UPDATES/);
    await shot(page, 'stale-1280');
    // The node comes back on the same port: the page recovers without a reload.
    app = await startNode(port);
    expect(await waitFor(async () => !(await page.$eval('body', (b) => b.classList.contains('stale'))), 20_000)).toBe(true);
    expect(await page.$eval('#updated', (e) => e.textContent ?? '')).toMatch(/^updated /);
  }, 90_000);
});
