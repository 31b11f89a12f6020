// The Retries lab: every preset renders its charts, sliders re-run the
// simulation and land in the URL, compare mode shows several strategies,
// the study sweep draws, and the step controls scrub simulated time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, setRange, counter } from './harness.mjs';

const PRESETS = ['outage', 'herd', 'cap', 'budget', 'ra-ignored', 'ra-honoured'];

test('each preset renders its charts and evidence, and is a permalink', async () => {
  for (const preset of PRESETS) {
    await withPage(`?area=retries&preset=${preset}`, async (page) => {
      await page.waitForSelector('[data-counter="amplification"]');
      assert.ok(await page.locator('.retries-lab figure.chart').count() >= 5, `${preset}: charts missing`);
      assert.equal(await page.locator(`a[data-preset="${preset}"]`).getAttribute('aria-current'), 'true');
      // Every chart has drawn something: bars or a line with points.
      const empty = await page.locator('.retries-lab figure.chart > svg').evaluateAll((svgs) =>
        svgs.filter((s) => !s.querySelector('rect.seg[height]:not([height="0.00"]), path.series[d*="L"]')).length);
      assert.equal(empty, 0, `${preset}: an empty chart`);
      assert.ok(await counter(page, 'requests') > 10000);
      await screenshot(page, `retries-${preset}`);
    });
  }
});

test('the cap preset collapses and a budget slider change re-runs it, lands in the URL and holds it', async () => {
  await withPage('?area=retries&preset=cap', async (page) => {
    await page.waitForSelector('#retries-bud');
    const before = await counter(page, 'success_rate');
    assert.ok(before < 60, `the cap preset should collapse, succeeded ${before} %`);
    await setRange(page, '#retries-bud', 10);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('bud') === '10');
    await page.waitForFunction(() => document.querySelector('[data-counter="budget_refusals"]')?.classList.contains('key'));
    assert.ok(await counter(page, 'budget_refusals') > 0);
    assert.ok(await counter(page, 'success_rate') > 85, 'the budget should hold the fleet');
    // The same link gives the same run after a reload.
    const amp = await counter(page, 'amplification');
    await page.reload();
    await page.waitForSelector('[data-counter="amplification"]');
    assert.equal(await counter(page, 'amplification'), amp);
    assert.equal(await page.locator('#retries-bud').inputValue(), '10');
  });
});

test('compare mode runs one seed under several strategies side by side', async () => {
  await withPage('?area=retries&preset=herd&mode=compare', async (page) => {
    await page.waitForSelector('.retries-compare tr[data-strategy]');
    const rows = await page.locator('.retries-compare tr[data-strategy]').count();
    assert.ok(rows >= 5, `only ${rows} strategies`);
    for (const s of ['exponential', 'full', 'decorrelated']) {
      assert.equal(await page.locator(`.retries-compare tr[data-strategy="${s}"]`).count(), 1);
    }
    assert.ok(await page.locator('.retries-compare figure.chart .legend li').count() >= 10);
    await screenshot(page, 'retries-compare');
  });
});

test('the study sweep draws work and time against clients', async () => {
  await withPage('?area=retries&mode=study&sr=10', async (page) => {
    await page.waitForSelector('[data-testid="study-headline"]', { timeout: 30000 });
    assert.match(await page.locator('[data-testid="study-headline"]').innerText(), /fewer/);
    assert.equal(await page.locator('.retries-study tr[data-strategy]').count(), 5);
    await setRange(page, '#retries-sn', 100);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sn') === '100');
    await page.waitForFunction(() => document.querySelector('.retries-table caption')?.textContent.includes('At 100 clients'));
    await screenshot(page, 'retries-study');
  });
});

test('the step controls scrub time buckets from the keyboard and keep the step in the URL', async () => {
  await withPage('?area=retries&preset=herd&step=40', async (page) => {
    await page.waitForSelector('.retries-readout');
    assert.match(await page.locator('.retries-readout').innerText(), /^19\.5–20\.0 s:/);
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '41');
    assert.match(await page.locator('.retries-readout').innerText(), /^20\.0–20\.5 s:/);
    assert.equal(await page.locator('.retries-lab figure.chart line.cursor').count() >= 4, true);
  });
});

test('a hostile retries link warns and falls back', async () => {
  await withPage('?area=retries&preset=nope&s=warp&att=-3&n=99999999', async (page) => {
    await page.waitForSelector('.link-warning');
    const text = await page.locator('.link-warning').allInnerTexts().then((t) => t.join(' '));
    assert.match(text, /preset/);
    assert.match(text, /att=-3/);
    await page.waitForSelector('[data-counter="amplification"]');
  });
});
