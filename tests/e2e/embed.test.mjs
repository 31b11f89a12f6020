// Embedding: ?embed=1 drops the site chrome, the lab posts its height and
// events to the parent, and only listed origins may drive it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, settledUrl } from './harness.mjs';

test('embed mode renders the lab without the site chrome', async () => {
  await withPage('?area=about&embed=1', async (page) => {
    await page.waitForSelector('[data-lab="about"]');
    assert.equal(await page.locator('header.site').count(), 0);
    assert.equal(await page.locator('nav[aria-label="Labs"]').count(), 0, 'no site navigation (the lab keeps its own preset bar)');
    assert.equal(await page.locator('main.embed').count(), 1);
  });
});

test('locked controls are disabled in an embed', async () => {
  await withPage('?area=about&embed=1&lock=aloss,dedup', async (page) => {
    await page.waitForSelector('#about-aloss');
    assert.equal(await page.locator('#about-aloss').isDisabled(), true);
    assert.equal(await page.locator('#about-dedup').isDisabled(), true);
    assert.equal(await page.locator('#about-mloss').isDisabled(), false);
  });
});

test('the Embed button produces an iframe snippet for the current state', async () => {
  await withPage('?area=about&aloss=35', async (page) => {
    await page.click('.embed-button');
    const code = await page.locator('#embed-code').inputValue();
    assert.match(code, /^<iframe id="idemlab-about" src="http:\/\/127\.0\.0\.1:\d+\/\?aloss=35&amp;area=about&amp;embed=1"/);
  });
});

test('the example course page embeds two labs, sizes them and drives one by message', async () => {
  await withPage('', async (page) => {
    const log = page.locator('#event-log li');
    // Both frames report their height, and the frames are resized to it.
    await page.waitForFunction(() => document.querySelectorAll('#event-log li[data-type="height"]').length >= 2);
    const h = await page.locator('#lab-about').evaluate((f) => f.getBoundingClientRect().height);
    assert.ok(h > 480, `frame was not resized from its 480 px default (${h})`);
    // The delivery lab reports its outcome counters to the page.
    await page.waitForFunction(() => [...document.querySelectorAll('#event-log li[data-type="outcome"]')]
      .some((li) => li.textContent.startsWith('lab-about') && li.textContent.includes('"duplicate_effects"')));
    // The host page sets the step of the second frame; the lab reports it back.
    await page.click('#host-step-3');
    await page.waitForFunction(() => [...document.querySelectorAll('#event-log li[data-type="step"]')]
      .some((li) => li.textContent.includes('"step":3')));
    const frame = page.frameLocator('#lab-races');
    await frame.locator('#main').waitFor();
    assert.ok((await log.count()) >= 3);
    await screenshot(page, 'embed-example');
  }, { path: '/embed-example.html', ready: '#event-log' });
});

test('messages from an origin the embedder did not list are ignored', async () => {
  await withPage('?area=about&embed=1&origins=https://course.invalid', async (page) => {
    await page.waitForSelector('#about-aloss');
    // Same-origin message, but this origin is not in the list.
    await page.evaluate(() => window.postMessage({ source: 'idemlab-host', type: 'set', params: { aloss: '77' } }, '*'));
    await page.waitForTimeout(300);
    assert.notEqual(new URL(await settledUrl(page)).searchParams.get('aloss'), '77');
  });
});
