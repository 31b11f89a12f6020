// Recall: answers and ticks persist across a reload, reset clears them, and
// every prompt links to a lab screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot } from './harness.mjs';

test('answers and self-checks survive a reload and reset clears them', async () => {
  await withPage('?area=recall', async (page) => {
    await page.waitForSelector('[data-prompt]');
    assert.equal(await page.locator('[data-prompt]').count(), 6);
    await page.fill('#answer-fingerprint', 'Without it a reused key replays the first response.');
    await page.click('#recall-fingerprint .reveal');
    await page.click('#check-fingerprint-1');
    await page.waitForFunction(() => localStorage.getItem('idemlab.recall.v1')?.includes('reused key'));
    await screenshot(page, 'recall');
    await page.reload();
    await page.waitForSelector('#answer-fingerprint');
    assert.equal(await page.locator('#answer-fingerprint').inputValue(), 'Without it a reused key replays the first response.');
    assert.equal(await page.locator('#check-fingerprint-1').isChecked(), true);
    assert.match(await page.locator('.recall-progress').innerText(), /^1 of \d+ key points checked/);
    await page.click('.recall-reset');
    assert.equal(await page.locator('#answer-fingerprint').inputValue(), '');
    await page.waitForFunction(() => localStorage.getItem('idemlab.recall.v1') === null);
  });
});

test('corrupt stored answers do not break the page', async () => {
  await withPage('?area=recall', async (page) => {
    await page.evaluate(() => localStorage.setItem('idemlab.recall.v1', '{"answers": 5'));
    await page.reload();
    await page.waitForSelector('[data-prompt]');
    assert.equal(await page.locator('#answer-race').inputValue(), '');
  });
});

test('each prompt links to the lab screen that proves it', async () => {
  await withPage('?area=recall', async (page) => {
    const hrefs = await page.locator('a.proof').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.equal(hrefs.length, 6);
    for (const h of hrefs) assert.match(h, /^\?(.*&)?area=(about|keys|retries|outbox|races)(&|$)/);
    await page.click('#recall-race a.proof');
    await page.waitForSelector('[data-lab="races"]');
  });
});
