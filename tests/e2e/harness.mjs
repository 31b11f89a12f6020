// Shared harness for the end-to-end tests: serves the release dist/ on
// loopback (with the production Content-Security-Policy header), drives the
// system Chromium through playwright-core, fails a test on any console error,
// page error or CSP violation, and saves screenshots under screenshots/.
import { mkdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { CSP } from '../../scripts/csp.mjs';
import { serveDir } from '../../scripts/static-server.mjs';

export { CSP };

const here = dirname(fileURLToPath(import.meta.url));
export const DIST = join(here, '..', '..', 'dist');
export const SHOTS = join(here, 'screenshots');

/** The lab registry as `idemlab labs` prints it (kept equal by cli/tests/registry.rs). */
const REGISTRY = JSON.parse(readFileSync(join(here, 'labs.json'), 'utf8'));
/** Every lab's slug, in navigation order. */
export const LABS = REGISTRY.labs.map((l) => l.slug);
/** Every page: the labs, then the pages that run no engine (Recall). */
export const AREAS = [...LABS, ...REGISTRY.pages];


let server, baseUrl, browser;
/** Every request the page made to a host other than our server. */
export const foreignRequests = [];

async function start() {
  if (baseUrl) return;
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/index.html is missing: run trunk build --release first');
  server = await serveDir(DIST, 0);
  baseUrl = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

// Registered at load time, so it runs once after all of a file's tests.
after(async () => {
  await browser?.close();
  if (server) await new Promise((ok) => server.close(ok));
});

/** The base URL of the served dist/ (starts the server on first use). */
export async function base() {
  await start();
  return baseUrl;
}

/**
 * Opens `search` (e.g. "?area=races") in a fresh page, waits for the app to
 * render, runs `fn(page, errors)`, then fails if the page logged any error.
 * Options: { viewport, reducedMotion, touch (hasTouch and isMobile), device (extra context options, e.g. hasTouch), allowErrors: [RegExp], path, ready (selector), expectPanic,
 * route: [url glob, handler] (Playwright's page.route, e.g. to make a file missing),
 * init (a function run in the page before its scripts) }.
 */
export async function withPage(search, fn, opts = {}) {
  await start();
  const context = await browser.newContext({
    viewport: opts.viewport || { width: 1280, height: 900 },
    reducedMotion: opts.reducedMotion || 'no-preference',
    // A phone: touch events and a coarse pointer (`@media (pointer: coarse)`).
    ...(opts.touch ? { hasTouch: true, isMobile: true } : {}),
    ...(opts.device || {}),
  });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith(baseUrl) && !r.url().startsWith('data:')) foreignRequests.push(r.url()); });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  if (opts.route) await page.route(...opts.route);
  // A script run before the page's own (e.g. to take `window.Worker` away).
  if (opts.init) await page.addInitScript(opts.init);
  try {
    await page.goto(`${baseUrl}${opts.path || '/'}${search}`);
    await page.waitForSelector(opts.ready || '#main', { timeout: 15000 });
    // The app's own pages (not a host page such as the embed example, nor a page made to panic).
    if (!opts.expectPanic && !opts.path) await appReady(page);
    await fn(page, errors);
    const unexpected = errors.filter((e) => !(opts.allowErrors || []).some((re) => re.test(e)));
    assert.deepEqual(unexpected, [], 'the page logged errors');
    if (!opts.expectPanic) assert.equal(await page.locator('#panic-banner').count(), 0, 'the app panicked');
  } finally {
    await context.close();
  }
}

/** Saves a full-page screenshot as screenshots/<name>.png and returns its path. */
export async function screenshot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Sets a range input's value the way a drag does (fires input events). */
/** Opens every "More faults and settings" group, so its controls can be used. */
export async function openMore(page) {
  await page.waitForSelector('.controls');
  await page.evaluate(() => document.querySelectorAll('details.controls-more').forEach((d) => { d.open = true; }));
}

export async function setRange(page, selector, value) {
  await page.locator(selector).evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

/** The numeric text of an evidence counter (`data-counter=id`). */
export async function counter(page, id) {
  await runDrawn(page);
  const text = await page.locator(`[data-counter="${id}"] dd`).innerText();
  return Number(text.replace(/[^0-9.-]/g, ''));
}

/**
 * The page's (or frame's) address once it has written its latest change: the
 * app updates the address bar after changes pause (`web::URL_DELAY_MS`) and
 * marks `<html data-url-pending>` meanwhile, so a read right after an action
 * would see the link before it.
 */
export async function settledUrl(pageOrFrame) {
  await pageOrFrame.waitForFunction(() => !document.documentElement.hasAttribute('data-url-pending'));
  await runDrawn(pageOrFrame);
  return pageOrFrame.evaluate(() => location.href);
}

/**
 * Waits until the app has drawn and its listeners are in place
 * (`<html data-app-ready>`, set by the root component's first effect, which
 * runs after every child's): a key pressed earlier could reach the page
 * before the step controls listen for it.
 */
export async function appReady(pageOrFrame) {
  await pageOrFrame.waitForSelector('html[data-app-ready]', { state: 'attached', timeout: 15000 });
}

/**
 * Waits until the Retries fleet view is not busy: after a knob change, once
 * the Web Worker has answered before, the page keeps the previous run on
 * screen (`aria-busy="true"`) until the worker's run for the new knobs lands
 * (src/labs/retries/fleet_runs.rs). Other pages are never busy this way.
 */
export async function runDrawn(pageOrFrame) {
  await pageOrFrame.waitForFunction(() => !document.querySelector('.retries-fleet[aria-busy="true"], .retries-evidence[aria-busy="true"]'));
}

/** Starts counting long tasks (the Long Tasks API); `longTasks(page)` reads their durations. */
export async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
      .observe({ type: 'longtask' });
  });
}

/** The durations of the long tasks seen since `watchLongTasks`. */
export async function longTasks(page) {
  return page.evaluate(() => window.__long);
}

/**
 * Drags `slider` (a locator) with the mouse from its left end across
 * `fraction` of its width in `moves` moves, as a learner would.
 */
export async function dragSlider(page, slider, moves = 24, fraction = 1) {
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + 2, y);
  await page.mouse.down();
  for (let k = 1; k <= moves; k++) await page.mouse.move(box.x + 2 + ((box.width - 4) * fraction * k) / moves, y);
  await page.mouse.up();
}
