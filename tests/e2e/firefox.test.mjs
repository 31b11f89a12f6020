// The second browser: Debian's Firefox ESR, driven by puppeteer-core over
// WebDriver BiDi (Playwright's own Firefox build cannot be downloaded here).
// Every page and a guided lesson open with zero console errors, zero page
// errors and no CSP violation, and the lab actually renders.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { base, SHOTS, AREAS } from './harness.mjs';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const PAGES = [
  ...AREAS.map((a) => [a, `?area=${a}`, `[data-lab="${a}"]`]),
  ['keys at step 9', '?area=keys&preset=no-key&step=9&predict=0', '[data-lab="keys"] svg.timeline'],
  ['keys embed', '?area=keys&embed=1&view=picture', '[data-lab="keys"] .lab-picture'],
  ['a lesson', '?area=recall&lesson=race&stop=3', '[data-lab="lessons"] .lesson-screen [data-lab="keys"] svg.timeline'],
];

let browser;
async function firefox() {
  browser ??= await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  return browser;
}
after(async () => { await browser?.close(); });

for (const [name, search, ready] of PAGES) {
  test(`Firefox opens ${name} with zero console errors`, async () => {
    const url = `${await base()}/${search}`;
    const page = await (await firefox()).newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    try {
      await page.setViewport({ width: 1280, height: 800 });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForSelector(ready, { timeout: 20000 });
      assert.equal(await page.$('#panic-banner'), null, 'the app panicked');
      if (name === 'keys at step 9') {
        // The keyboard works in Firefox too: j moves one step on.
        await page.mouse.click(5, 300);
        await page.keyboard.press('j');
        await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '10');
        await mkdir(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, 'firefox-keys.png') });
      }
      // Let late effects (timers, postMessage) run before counting errors.
      await new Promise((ok) => setTimeout(ok, 300));
      assert.deepEqual(errors, [], `${name} logged errors in Firefox`);
    } finally {
      await page.close();
    }
  });
}

test('the Firefox check sees a console error when there is one (a deliberate panic)', async () => {
  const page = await (await firefox()).newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${await base()}/?area=about&selftest=panic`, { waitUntil: 'load' });
    await page.waitForSelector('#panic-banner', { timeout: 20000 });
    await page.waitForFunction(() => true);
    await new Promise((ok) => setTimeout(ok, 300));
    assert.ok(errors.some((e) => /panic/i.test(e)), `no error seen: ${JSON.stringify(errors)}`);
  } finally {
    await page.close();
  }
});
