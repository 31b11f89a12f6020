// The Retries compare view runs its six fleets in the Web Worker (issue 13):
// a knob change keeps the previous rows on screen, marked, and the new ones
// arrive one strategy at a time; a slider drag in the compare view is
// counted for long tasks; and when the worker cannot load, the view says so
// and runs the fleets on the page when asked.
//
// Figures are printed as BENCH lines, never asserted:
//   BENCH retries-compare change first-row <ms> all-rows <ms>
//   BENCH retries-compare drag-longtasks <n> max <ms> over 24 moves of <id>
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, counter, settledUrl, watchLongTasks, longTasks, dragSlider } from './harness.mjs';

const DONE = '.retries-compare[data-state="done"]';
const ROWS = '.retries-compare tr[data-strategy]';

/** Rows of this link's knobs (not standing in for the previous ones). */
const freshRows = (page) => page.locator(`${ROWS}[data-stale="false"]`).count();

test('a knob change in the compare view keeps the previous rows, marked, until each strategy arrives from the worker', async () => {
  // A big fleet (4,000 requests a second against a capacity of 5,000, for
  // five simulated minutes), so each strategy takes the worker long enough
  // for a screenshot mid-update.
  await withPage('?area=retries&preset=herd&mode=compare&capy=5000&rate=4000&dur=300', async (page) => {
    const t0 = Date.now();
    await page.waitForSelector(DONE, { timeout: 90000 });
    console.log(`BENCH retries-compare load (capy=5000, rate=4000, dur=300) all-rows ${Date.now() - t0} ms after the page rendered`);
    assert.equal(await freshRows(page), 6);
    const before = await counter(page, 'amp_full');
    // In the page: note, after every DOM change, how many rows there are and
    // how many are of the new knobs, with the time since the input event.
    await page.evaluate(() => {
      window.__seen = [];
      const section = () => document.querySelector('.retries-compare');
      window.__t0 = performance.now();
      new MutationObserver(() => {
        const s = section();
        if (!s) return window.__seen.push({ ms: performance.now() - window.__t0, rows: 0, fresh: 0, state: 'gone' });
        window.__seen.push({
          ms: performance.now() - window.__t0,
          rows: s.querySelectorAll('tr[data-strategy]').length,
          fresh: s.querySelectorAll('tr[data-strategy][data-stale="false"]').length,
          state: s.dataset.state,
          evidence: document.querySelector('.retries-evidence')?.dataset.stale ?? 'none',
        });
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      const el = document.querySelector('#retries-att');
      el.value = '5';
      window.__t0 = performance.now();
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    // Mid-update: the status counts strategies and the rest stand in, marked.
    await page.waitForFunction(() => /[1-5] of 6 strategies/.test(document.querySelector('.compare-status')?.textContent || ''), null, { timeout: 60000 });
    await screenshot(page, 'retries-compare-mid-update');
    await page.waitForSelector(DONE, { timeout: 90000 });
    await screenshot(page, 'retries-compare-after-update');
    const seen = await page.evaluate(() => window.__seen);
    assert.equal(new URL(await settledUrl(page)).searchParams.get('att'), '5');
    assert.equal(await freshRows(page), 6, 'every strategy of the new knobs is in');
    assert.equal(await page.locator(`${ROWS}.stale`).count(), 0);
    assert.match(await page.locator('.compare-status').innerText(), /All 6 strategies computed in a Web Worker/);
    assert.equal(await page.locator('.retries-evidence').getAttribute('data-stale'), 'false');
    // The table never emptied, and the previous rows stood in, marked, before the first new one came.
    assert.ok(seen.length > 0, 'the change was observed');
    assert.ok(seen.every((s) => s.rows === 6), `a render without six rows: ${JSON.stringify(seen.find((s) => s.rows !== 6))}`);
    assert.ok(seen.some((s) => s.fresh === 0), 'the previous rows stood in before the first new one');
    const counts = [...new Set(seen.map((s) => s.fresh))];
    assert.ok(counts.length >= 3, `strategies arrived one by one, saw fresh counts ${counts}`);
    // Counters are never shown as current while the new strategies come in.
    const partial = seen.filter((s) => s.fresh < 6);
    assert.ok(partial.every((s) => s.evidence === 'true'), `counters not marked: ${JSON.stringify(partial.find((s) => s.evidence !== 'true'))}`);
    const pending = seen.findIndex((s) => s.state !== 'done');
    assert.ok(pending >= 0, 'the view said it was computing');
    const first = seen.slice(pending).find((s) => s.fresh >= 1);
    const all = seen.slice(pending).find((s) => s.fresh === 6 && s.state === 'done');
    assert.ok(first && all, 'the rows arrived');
    console.log(`BENCH retries-compare change (capy=5000, rate=4000, dur=300) first-row ${first.ms.toFixed(1)} all-rows ${all.ms.toFixed(1)}`);
    // Five attempts instead of three: a different run, so the counters moved with it.
    assert.notEqual(await counter(page, 'amp_full'), before);
  });
});

test('a knob change at the default duration: time to the first row and to all six, printed', async () => {
  await withPage('?area=retries&preset=herd&mode=compare', async (page) => {
    await page.waitForSelector(DONE, { timeout: 30000 });
    const figures = [];
    for (const att of ['4', '3', '4', '3', '4']) {
      const r = await page.evaluate((att) => new Promise((done) => {
        const t0 = performance.now();
        let first = null;
        let pending = false;
        const obs = new MutationObserver(() => {
          const s = document.querySelector('.retries-compare');
          const fresh = s.querySelectorAll('tr[data-strategy][data-stale="false"]').length;
          if (s.dataset.state !== 'done') pending = true;
          if (!pending) return;
          if (first === null && fresh >= 1) first = performance.now() - t0;
          if (fresh === 6 && s.dataset.state === 'done') {
            obs.disconnect();
            done({ first: first ?? performance.now() - t0, all: performance.now() - t0 });
          }
        });
        obs.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        const el = document.querySelector('#retries-att');
        el.value = att;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }), att);
      assert.equal(new URL(await settledUrl(page)).searchParams.get('att'), att);
      figures.push(r);
    }
    assert.equal(await freshRows(page), 6);
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`BENCH retries-compare change first-row ${med(figures.map((f) => f.first)).toFixed(1)} all-rows ${med(figures.map((f) => f.all)).toFixed(1)} (median of ${figures.length}; each: ${figures.map((f) => `${f.first.toFixed(0)}/${f.all.toFixed(0)}`).join(' ')})`);
  });
});

test('a slider drag in the compare view: long tasks are counted, and the rows of the last knobs arrive', async () => {
  await withPage('?area=retries&preset=herd&mode=compare', async (page) => {
    await page.waitForSelector(DONE, { timeout: 30000 });
    const slider = page.locator('.controls input[type=range]:not([disabled])').first();
    const id = await slider.getAttribute('id');
    await watchLongTasks(page);
    const moves = 24;
    await dragSlider(page, slider, moves);
    await page.waitForSelector(DONE, { timeout: 30000 });
    await page.waitForTimeout(300);
    const long = await longTasks(page);
    console.log(`BENCH retries-compare drag-longtasks ${long.length} max ${(long.length ? Math.max(...long) : 0).toFixed(1)} over ${moves} moves of ${id}`);
    // The rows shown are of the knobs the link ends with.
    const key = id.replace(/^retries-/, '');
    const value = await slider.inputValue();
    assert.equal(new URL(await settledUrl(page)).searchParams.get(key), value);
    assert.equal(await freshRows(page), 6);
    assert.equal(await page.locator('.retries-evidence[data-stale="false"] [data-counter="amp_full"]').count(), 1);
  });
});

test('the compare view\'s exports are the core\'s: the counters shown, the CSV\'s trace hash and the trace are those of the link run in one call', async () => {
  await withPage('?area=retries&preset=wave&mode=compare&seed=11', async (page) => {
    await page.waitForSelector(DONE, { timeout: 30000 });
    await page.locator('#retries-att').evaluate((el) => {
      el.value = '4';
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForFunction(() => new URL(location.href).searchParams.get('att') === '4');
    await page.waitForSelector(DONE, { timeout: 30000 });
    const search = await page.evaluate(() => location.search);
    // The same link run by the core in one call (in the worker, as `idemlab url` runs it).
    const expected = JSON.parse((await page.evaluate((s) => window.wasmBindings.offload({ Permalink: s }, () => {}), search)).Report);
    const ids = Object.keys(expected.counters);
    assert.equal(ids.length, 18, 'three counters for each of six strategies');
    for (const id of ids) {
      const shown = await counter(page, id);
      // Shown rounded: ratios to 0.01, durations in whole ms.
      assert.ok(Math.abs(shown - expected.counters[id]) <= 0.0051, `${id}: shown ${shown}, the core ${expected.counters[id]}`);
    }
    const { readFile } = await import('node:fs/promises');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('button.export-csv').click()]);
    const text = await readFile(await csv.path(), 'utf8');
    assert.ok(text.includes(expected.trace_hash), `the CSV lacks trace hash ${expected.trace_hash}:\n${text}`);
    const [trace] = await Promise.all([page.waitForEvent('download'), page.locator('button.export-trace').click()]);
    const json = JSON.parse(await readFile(await trace.path(), 'utf8'));
    assert.equal(json.report.trace_hash, expected.trace_hash);
    assert.equal(json.run.view, 'compare');
    assert.deepEqual(json.run.runs.map((r) => r.params.attempts_max), [4, 4, 4, 4, 4, 4]);
  });
});

test('a hostile compare link warns, falls back and still compares six strategies', async () => {
  await withPage('?area=retries&mode=compare&preset=nope&s=warp&att=-3&n=99999999', async (page) => {
    await page.waitForSelector('.link-warning');
    await page.waitForSelector(DONE, { timeout: 30000 });
    assert.equal(await freshRows(page), 6);
  });
});

test('when the worker cannot load, the compare view says so and can run the fleets on the page', async () => {
  await withPage('?area=retries&preset=herd&mode=compare', async (page) => {
    await page.waitForSelector('[data-testid="compare-no-worker"]', { timeout: 20000 });
    assert.match(await page.locator('[data-testid="compare-no-worker"]').innerText(), /idemlab-worker_loader\.js/);
    assert.equal(await page.locator('[data-testid="compare-evidence-waits"]').count(), 1, 'no counters without a run');
    await screenshot(page, 'retries-compare-no-worker');
    await page.locator('[data-testid="compare-here"]').click();
    await page.waitForSelector(DONE, { timeout: 30000 });
    assert.match(await page.locator('.compare-status').innerText(), /All 6 strategies computed on this page/);
    assert.equal(await freshRows(page), 6);
    assert.ok(await counter(page, 'peak_full') < await counter(page, 'peak_exponential'));
  }, {
    allowErrors: [/404|Failed to load|idemlab-worker/i],
    route: ['**/idemlab-worker_loader.js', (route) => route.fulfill({ status: 404, body: 'missing' })],
  });
});
