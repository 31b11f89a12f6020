// Second visit from the cache, offline too, and a new deploy noticed (issue
// 27): the service worker (static/sw.js, written into dist/ by
// scripts/postbuild.mjs) keeps the app shell. Each test has a browser
// context of its own, so no other test file ever meets its cache.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { DIST, appReady, settledUrl, screenshot } from './harness.mjs';
import { serveDir } from '../../scripts/static-server.mjs';
import { writeServiceWorker } from '../../scripts/postbuild.mjs';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage'],
});
const servers = [];
after(async () => {
  await browser.close();
  for (const s of servers) await new Promise((ok) => s.close(ok));
});

/** Serves `dir` under the sub-path /course/lab/ (as a course site would host dist/); the lab's URL. */
async function host(dir) {
  const root = await mkdtemp(join(tmpdir(), 'idemlab-sw-'));
  await cp(dir, join(root, 'course', 'lab'), { recursive: true });
  const server = await serveDir(root, 0);
  servers.push(server);
  return { root, lab: join(root, 'course', 'lab'), url: `http://127.0.0.1:${server.address().port}/course/lab/` };
}

/** A fresh context and page that fail the test on any console or page error. */
async function open() {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { context, page, errors };
}

/** Waits until the page's service worker is active (it installs after the first visit's `load`). */
const swReady = (page) => page.evaluate(async () => {
  const worker = (await navigator.serviceWorker.ready).active;
  while (worker.state !== 'activated') await new Promise((ok) => worker.addEventListener('statechange', ok, { once: true }));
  return worker.state;
});

test('the second visit comes from the cache, and with the network gone a reload still steps through a scenario', async () => {
  const { root, url } = await host(DIST);
  const { context, page, errors } = await open();
  try {
    await page.goto(`${url}?area=races&scenario=select-then-insert`);
    await appReady(page);
    assert.equal(await swReady(page), 'activated');
    // The second visit: every shell file from the service worker, none from the network.
    const fromNetwork = [];
    page.on('response', (r) => { if (!r.fromServiceWorker()) fromNetwork.push(r.url()); });
    await page.goto(`${url}?area=retries`);
    await appReady(page);
    assert.deepEqual(fromNetwork, [], 'the warm visit fetched from the network');
    // The network goes: a reload still draws the lab, and it steps.
    await context.setOffline(true);
    await page.goto(`${url}?area=races&scenario=select-then-insert&predict=0`);
    await appReady(page);
    const forward = page.locator('.step-controls button.forward');
    while (await forward.isEnabled()) await forward.click();
    assert.equal(Number(await page.locator('.races-ledger').first().getAttribute('data-charges')), 2, 'stepped to the double charge');
    assert.match(await settledUrl(page), /step=\d+/);
    // The Web Worker's files are in the cache too: the study sweeps offline, in the worker.
    await page.goto(`${url}?area=retries&mode=study&sr=2&sn=50`);
    await page.waitForSelector('.retries-study .study-status[data-state="done"]', { timeout: 60000 });
    assert.match(await page.locator('.retries-study .study-status').innerText(), /All 25 points computed in a Web Worker/);
    await screenshot(page, 'offline-retries-study');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('a new deploy is picked up on the next visit: the page says an update is ready, and reload brings it in', async () => {
  const { root, lab, url } = await host(DIST);
  const { context, page, errors } = await open();
  try {
    await page.goto(`${url}?area=about`);
    await appReady(page);
    await swReady(page);
    const before = await page.evaluate(() => caches.keys());
    assert.equal(before.length, 1, `one cache: ${before}`);
    assert.equal(await page.locator('#update-note').count(), 0, 'no note without a new deploy');
    // A new deploy: one shell file changes, and postbuild writes a new service worker for it.
    await appendFile(join(lab, 'idemlab-worker_loader.js'), '\n// the next deploy\n');
    writeServiceWorker(lab);
    await page.goto(`${url}?area=about`);
    await appReady(page);
    const note = page.locator('#update-note');
    await note.waitFor({ timeout: 30000 });
    assert.equal((await note.innerText()).trim(), 'An update is ready \u2014 reload');
    await screenshot(page, 'update-ready');
    await Promise.all([page.waitForEvent('load'), note.locator('button').click()]);
    await appReady(page);
    assert.equal(await page.locator('#update-note').count(), 0);
    // The new version is in charge, and the old one's cache is gone.
    await page.waitForFunction((old) => caches.keys().then((k) => k.length === 1 && k[0] !== old), before[0]);
    const loader = await page.evaluate(() => fetch('./idemlab-worker_loader.js').then((r) => r.text()));
    assert.match(loader, /the next deploy/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await rm(root, { recursive: true, force: true });
  }
});
