// No Web Worker, no panic (issue 27): where `window.Worker` is missing, or
// throws when constructed, the jobs that go to the worker run on the page's
// own thread (src/offload/here.rs) and the page says so. A WASM panic here
// was a bug: gloo-worker's spawner panicked on the failed constructor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, openMore, settledUrl, runDrawn } from './harness.mjs';

/** Ways a browser gives the page no worker, as scripts run before the page's own. */
const NO_WORKER = {
  undefined: () => { window.Worker = undefined; },
  throwing: () => {
    window.Worker = function Worker() { throw new DOMException('no workers in this test', 'SecurityError'); };
  },
};

const HERE = /on the page's own thread \(this browser gave it no Web Worker\)/;

/** Fails if the page shows the app's internal-error message. */
async function noInternalError(page) {
  const body = await page.locator('body').innerText();
  assert.doesNotMatch(body, /internal error/i);
  assert.equal(await page.locator('[data-testid="study-no-worker"], [data-testid="compare-no-worker"]').count(), 0,
    'no "the worker has not answered" message: there is no worker to wait for');
}

for (const [how, init] of Object.entries(NO_WORKER)) {
  test(`with Worker ${how}, the Retries study sweeps on the page's own thread and says so`, async () => {
    await withPage('?area=retries&mode=study&sr=2&sn=50', async (page) => {
      await page.waitForSelector('.retries-study .study-status[data-state="done"]', { timeout: 60000 });
      assert.match(await page.locator('.retries-study .study-status').innerText(), /All 25 points computed /);
      assert.match(await page.locator('.retries-study .study-status').innerText(), HERE);
      await page.waitForSelector('[data-testid="study-headline"]');
      await noInternalError(page);
      if (how === 'undefined') await screenshot(page, 'no-worker-retries-study');
    }, { init });
  });

  test(`with Worker ${how}, a Retries knob change runs the fleet on the page, and it is the core's run`, async () => {
    await withPage('?area=retries&preset=wave&predict=0', async (page) => {
      await page.waitForSelector('.retries-fleet');
      await openMore(page);
      for (const n of [1050, 1100]) {
        await page.locator('#retries-n').evaluate((el, v) => {
          el.value = String(v);
          el.dispatchEvent(new Event('input', { bubbles: true }));
          el.dispatchEvent(new Event('change', { bubbles: true }));
        }, n);
        await page.waitForFunction((n) => new URL(location.href).searchParams.get('n') === String(n), n);
        await runDrawn(page);
        assert.equal(await page.locator('.retries-fleet').getAttribute('data-run'), 'page');
      }
      // The console API runs on the page's thread too, and agrees with what is drawn.
      const search = new URL(await settledUrl(page)).search;
      const expected = JSON.parse((await page.evaluate((s) => window.wasmBindings.offload({ Permalink: s }, () => {}), search)).Report);
      assert.match(await page.locator('.retries-summary').innerText(), new RegExp(`^${expected.counters.requests} requests`));
      await noInternalError(page);
    }, { init });
  });

  test(`with Worker ${how}, a learner's handler link is compiled and explored on the page's own thread`, async () => {
    let text;
    await withPage('?area=races&scenario=on-conflict', async (page) => {
      text = await page.locator('#handler-text').inputValue();
    }, { init });
    // Three requests instead of the scenario's two: a text the page has not explored before.
    await withPage(`?area=races&scenario=on-conflict&predict=0&lanes=3&handler=${encodeURIComponent(text)}`, async (page) => {
      await page.waitForFunction(() => !document.querySelector('#handler-exploring') && !document.querySelector('#races-loading')
        && document.querySelector('#handler-summary'), null, { timeout: 30000 });
      const summary = await page.locator('#handler-summary').innerText();
      assert.match(summary, /safe in all \d+/);
      assert.notEqual(Number(await page.locator('#handler-summary').getAttribute('data-total')), 32, 'three lanes, not the shipped two');
      assert.match(summary, HERE);
      assert.equal(await page.locator('.races-ledger').count() > 0, true, 'the lanes are drawn');
      await noInternalError(page);
      if (how === 'undefined') await screenshot(page, 'no-worker-races-handler');
    }, { init });
  });
}
