// A newcomer's path (issue 23), on a phone (390 × 844, touch): from the
// home page's "a retry charged a customer twice", through the triage's "no
// key", to the step where the second charge happens and then its fix, in a
// counted number of taps, with the step caption in view after each tap that
// lands on a lab screen. Then Learn: the lessons as a path, and "Next stop"
// bringing the new stop's question into view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withPage, screenshot, settledUrl, SHOTS } from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, device: { hasTouch: true, isMobile: true } };

/** A full-page screenshot, and one of what the phone's screen shows. */
async function shots(page, name) {
  await screenshot(page, name);
  await page.screenshot({ path: join(SHOTS, `${name}-screen.png`) });
}

/** Whether the element `sel` lies wholly inside the viewport. */
async function inView(page, sel) {
  return page.locator(sel).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  });
}

test('a retry charged twice: symptom, triage, the second charge and its fix in at most 6 taps, the caption in view', async () => {
  await withPage('', async (page) => {
    let taps = 0;
    const tap = async (locator) => { taps += 1; await locator.tap(); };
    await page.waitForSelector('.start-here [data-symptom="retry-twice"]');
    await shots(page, 'path-home-390');

    // 1: the symptom, in people's words, opens its triage.
    await tap(page.locator('[data-symptom="retry-twice"] .symptom-button'));
    await page.waitForSelector('[data-symptom="retry-twice"] .triage-step');
    assert.ok(await inView(page, '[data-symptom="retry-twice"] .triage-step'), 'the triage question is in view');
    await shots(page, 'path-triage-390');

    // 2: "no key" opens Keys' no-key preset before the retry, the prediction asked.
    await tap(page.locator('[data-symptom="retry-twice"] a.triage-show', { hasText: 'no key' }));
    await page.waitForSelector('[data-lab="keys"] .predict .predict-choice');
    const url = new URL(await settledUrl(page));
    assert.equal(url.searchParams.get('preset'), 'no-key');
    assert.equal(url.searchParams.get('predict'), null, 'predict stays on');
    assert.ok(await inView(page, '#step-caption'), 'tap 2: the step caption is in view');
    assert.doesNotMatch(await page.locator('.keys-charged').innerText(), /AGAIN/, 'the second charge is not on screen yet');
    assert.match(await page.locator('.predict-question').innerText(), /no Idempotency-Key/);
    await shots(page, 'path-keys-asked-390');

    // 3: the learner predicts; the retry is sent.
    await tap(page.locator('.predict-choice[data-choice="0"]'));
    await page.waitForSelector('.predict-reveal');
    assert.ok(await inView(page, '#step-caption'), 'tap 3: the step caption is in view');
    await shots(page, 'path-predicted-390');

    // 4: on to the second charge.
    await tap(page.locator('.step-controls button.jump'));
    await page.waitForFunction(() => /AGAIN/.test(document.querySelector('.keys-charged')?.innerText || ''));
    assert.ok(await inView(page, '#step-caption'), 'tap 4: the step caption is in view');
    assert.match(await page.locator('#step-caption').innerText(), /charge/i);
    // The answered question folded to one line at the move, so the caption
    // and the picture stand together; its button opens it again.
    const unfold = page.locator('.predict-gate[data-folded="true"] button.predict-unfold');
    assert.match(await unfold.innerText(), /Your prediction before step \d+: ✓ Right\./);
    assert.equal(await page.locator('.predict-reveal').isVisible(), false, 'the reveal is folded');
    await shots(page, 'path-second-charge-390');
    await unfold.click();
    assert.ok(await page.locator('.predict-reveal').isVisible(), 'the button opens the answered question');

    // 5: its fix.
    await tap(page.locator('a.fix-link'));
    await page.waitForSelector('[data-lab="keys"] a[data-preset="correct"][aria-current="true"]');
    assert.ok(await inView(page, '#step-caption'), 'tap 5: the step caption is in view');
    assert.equal(new URL(await settledUrl(page)).searchParams.get('preset'), 'correct');
    await shots(page, 'path-fix-390');
    assert.ok(taps <= 6, `${taps} taps`);
    console.log(`PATH retry-twice/no-key: ${taps} taps from home to the fix`);
  }, PHONE);
});

test('every symptom opens its triage, and each answer is a link to a lab preset', async () => {
  await withPage('', async (page) => {
    const ids = await page.locator('.start-here [data-symptom]').evaluateAll((ls) => ls.map((l) => l.dataset.symptom));
    assert.ok(ids.length >= 6, ids.join(','));
    for (const id of ids) {
      await page.locator(`[data-symptom="${id}"] .symptom-button`).tap();
      const links = page.locator(`[data-symptom="${id}"] .triage a.triage-show`);
      await links.first().waitFor();
      for (const href of await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
        assert.match(href, /[?&]area=[a-z]+.*[?&]preset=[a-z0-9-]+/, `${id}: ${href}`);
      }
    }
  }, PHONE);
});

test('Learn lists the six lessons in order with progress, and Next stop brings the question into view', async () => {
  await withPage('', async (page) => {
    await page.locator('nav a[data-area="learn"]').tap();
    await page.waitForSelector('[data-lab="learn"] .learn-lesson');
    const order = await page.locator('.learn-lesson').evaluateAll((ls) => ls.map((l) => l.dataset.lesson));
    assert.deepEqual(order, ['effectively-once', 'four-outcomes', 'fingerprint', 'race', 'outbox', 'jitter-and-budgets']);
    assert.equal(await page.locator('nav a[data-area="learn"]').getAttribute('aria-current'), 'page');
    assert.match(await page.locator('.learn-lesson').first().innerText(), /Start · 0 of 3 stops answered/);
    await page.locator('.learn-lesson a').first().tap();
    await page.waitForSelector('[data-lab="lessons"][data-lesson="effectively-once"]');
    await page.locator('.predict-choice[data-choice="1"]').tap();
    await page.waitForSelector('.predict-reveal');
    await page.locator('a.lesson-next').tap();
    await page.waitForSelector('[data-lab="lessons"][data-stop="2"]');
    await page.waitForFunction(() => document.getElementById('lesson-stop')?.getBoundingClientRect().top >= 0);
    assert.ok(await inView(page, '#lesson-stop'), 'the new stop heading is in view');
    const top = await page.locator('#lesson-stop').evaluate((el) => Math.round(el.getBoundingClientRect().top));
    console.log(`PATH next stop: the stop heading stands ${top} px below the top of the screen`);
    assert.ok(await inView(page, '.predict-question'), 'the new stop question is in view');
    await shots(page, 'path-lesson-390');
    await page.locator('nav a[data-area="learn"]').tap();
    await page.waitForSelector('[data-lab="learn"]');
    assert.match(await page.locator('.learn-lesson').first().innerText(), /Continue · 1 of 3 stops answered/);
    await shots(page, 'path-learn-390');
  }, PHONE);
});

test('the old links keep working: area=recall is the self-test, a lesson link opens its lesson', async () => {
  await withPage('?area=recall', async (page) => {
    await page.waitForSelector('[data-lab="recall"] .recall-item');
    assert.equal(await page.locator('nav a[data-area="recall"]').getAttribute('aria-current'), 'page');
    assert.equal(await page.locator('.link-warning').count(), 0);
  });
  await withPage('?area=recall&lesson=race&stop=2', async (page) => {
    await page.waitForSelector('[data-lab="lessons"][data-stop="2"]');
    assert.equal(await page.locator('nav a[data-area="learn"]').getAttribute('aria-current'), 'page');
  });
});
