// The Retries lab: every preset renders its charts with the outage shaded,
// sliders re-run the simulation and land in the URL, compare mode shows
// several strategies and agrees with the presets, the study sweep draws,
// the step controls scrub simulated time, and the page fits a phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, setRange, counter, openMore, settledUrl } from './harness.mjs';

const PRESETS = ['outage', 'herd', 'wave', 'wave-jitter', 'cap', 'budget', 'quiet-herd', 'no-key', 'ra-ignored', 'ra-honoured'];
const LAB = '[data-lab="retries"]';

test('each preset renders its charts and evidence, and is a permalink', async () => {
  for (const preset of PRESETS) {
    await withPage(`?area=retries&preset=${preset}&predict=0`, async (page) => {
      await page.waitForSelector('[data-counter="amplification"]');
      assert.ok(await page.locator(`${LAB} figure.chart`).count() >= 5, `${preset}: charts missing`);
      assert.equal(await page.locator(`a[data-preset="${preset}"]`).getAttribute('aria-current'), 'true');
      // Every chart has drawn something: bars or a line with points.
      const empty = await page.locator(`${LAB} figure.chart > svg`).evaluateAll((svgs) =>
        svgs.filter((s) => !s.querySelector('path.seg[d*="h"], path.series[d*="L"]')).length);
      assert.equal(empty, 0, `${preset}: an empty chart`);
      assert.ok(await counter(page, 'requests') > 10000);
      // The starred counter is the one the preset's lesson turns on.
      assert.equal(await page.locator('.evidence .key').count(), 1, `${preset}: one starred counter`);
      if (!preset.startsWith('ra-')) {
        // Every time chart shades the outage (the delay histogram has no time axis).
        const charts = await page.locator(`${LAB} .retries-fleet figure.chart`).count();
        assert.equal(await page.locator(`${LAB} .retries-fleet figure.chart rect.band`).count(), charts - 1, `${preset}: outage not shaded`);
      }
      await screenshot(page, `retries-${preset}`);
    });
  }
});

test('the page says what the model says: full jitter lowers the peak after the outage, not the calls', async () => {
  let peaks = {};
  for (const preset of ['outage', 'herd']) {
    await withPage(`?area=retries&preset=${preset}&predict=0`, async (page) => {
      await page.waitForSelector('[data-counter="peak_after_outage"].key');
      peaks[preset] = await counter(page, 'peak_after_outage');
      // The formula is in the explanation, which opens with one click.
      await page.locator('details.lab-intro summary').click();
      assert.match(await page.locator('[data-testid="full-jitter-formula"]').innerText(), /random_between\(0, min\(cap, base × 2\^n\)\)/);
    });
  }
  assert.ok(peaks.outage < peaks.herd, `full jitter ${peaks.outage} vs exponential ${peaks.herd}`);
  await withPage('?area=retries&preset=herd&mode=compare', async (page) => {
    await page.waitForSelector('[data-testid="compare-verdict"]');
    assert.ok(await counter(page, 'peak_full') < await counter(page, 'peak_exponential'));
    assert.equal(await counter(page, 'peak_exponential'), peaks.herd, 'compare and the fleet view disagree');
    assert.match(await page.locator('[data-testid="compare-verdict"]').innerText(), /\(lower\)/);
  });
});

test('the no-key preset counts work done twice, and the retry table is on the page', async () => {
  await withPage('?area=retries&preset=no-key&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="duplicates"]');
    assert.ok(await counter(page, 'duplicates') > 1000, 'timeouts retried without a key should do work twice');
    assert.equal(await page.locator('[data-testid="retry-table"] tbody tr').count(), 10);
  });
});

test('the cap preset collapses and a budget slider change re-runs it, lands in the URL and holds it', async () => {
  await withPage('?area=retries&preset=cap&predict=0', async (page) => {
    await page.waitForSelector('#retries-bud');
    const before = await counter(page, 'success_rate');
    assert.ok(before < 60, `the cap preset should collapse, succeeded ${before} %`);
    await setRange(page, '#retries-bud', 10);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('bud') === '10');
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

test('compare mode runs one seed under several strategies, and a preset keeps the view', async () => {
  await withPage('?area=retries&preset=herd&mode=compare', async (page) => {
    // The worker sends a strategy at a time: count the rows once all have come.
    await page.waitForSelector('.retries-compare[data-state="done"] tr[data-strategy]');
    const rows = await page.locator('.retries-compare tr[data-strategy]').count();
    assert.ok(rows >= 5, `only ${rows} strategies`);
    for (const s of ['exponential', 'full', 'decorrelated']) {
      assert.equal(await page.locator(`.retries-compare tr[data-strategy="${s}"]`).count(), 1);
    }
    assert.ok(await page.locator('.retries-compare figure.chart .legend li').count() >= 10);
    assert.equal(await page.locator('.retries-compare figure.chart rect.band').count(), 2);
    await screenshot(page, 'retries-compare');
    await page.locator('a[data-preset="wave"]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('preset') === 'wave');
    assert.equal(new URL(await settledUrl(page)).searchParams.get('mode'), 'compare');
    await page.locator('a[data-mode="fleet"]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('mode') === 'fleet');
    assert.equal(new URL(await settledUrl(page)).searchParams.get('preset'), 'wave');
    await page.waitForSelector('.retries-fleet');
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
    await page.waitForSelector('#step-caption');
    assert.match(await page.locator('#step-caption').innerText(), /^Time bucket 40: 19\.5–20\.0 s:/);
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '41');
    assert.match(await page.locator('#step-caption').innerText(), /^Time bucket 41: 20\.0–20\.5 s:/);
    assert.ok(await page.locator(`${LAB} figure.chart line.cursor`).count() >= 4);
  });
});

test('a hostile retries link warns and falls back', async () => {
  await withPage('?area=retries&preset=nope&s=warp&att=-3&n=99999999&predict=0', async (page) => {
    await page.waitForSelector('.link-warning');
    const text = await page.locator('.link-warning').allInnerTexts().then((t) => t.join(' '));
    assert.match(text, /preset/);
    assert.match(text, /att=-3/);
    await page.waitForSelector('[data-counter="amplification"]');
  });
});

test('on a 390 px phone the page does not scroll sideways and slider values are not cut off', async () => {
  for (const mode of ['fleet', 'compare', 'study']) {
    await withPage(`?area=retries&preset=herd&mode=${mode}&sr=5`, async (page) => {
      await page.waitForSelector('.controls', { timeout: 30000 });
      await openMore(page);
      const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
      assert.ok(width <= 390, `${mode}: the page is ${width} px wide`);
      const cut = await page.locator('.control.slider output').evaluateAll((outs) => outs.filter((o) => {
        const r = o.getBoundingClientRect();
        return r.width === 0 || r.right > window.innerWidth || o.scrollWidth > o.clientWidth + 1;
      }).map((o) => o.getAttribute('for')));
      assert.deepEqual(cut, [], `${mode}: slider values cut off`);
      await screenshot(page, `retries-390-${mode}`);
    }, { viewport: { width: 390, height: 844 } });
  }
});

test('after the first knob change the fleet runs in the Web Worker: the previous run stays busy meanwhile, and what lands is what the core gives the link, exports included', async () => {
  await withPage('?area=retries&preset=wave&predict=0', async (page) => {
    await page.waitForSelector('.retries-fleet');
    assert.equal(await page.locator('.retries-fleet').getAttribute('data-run'), 'page', 'the first run is drawn from the page');
    await openMore(page);
    // The first change runs here and wakes the worker; once it has answered, changes go to it.
    let n = 1000;
    let busySeen = false;
    for (let i = 0; i < 12; i++) {
      n += 50;
      busySeen = (await page.evaluate((n) => {
        const el = document.getElementById('retries-n');
        el.value = String(n);
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
        return Promise.resolve().then(() => new Promise((ok) => setTimeout(ok, 0)))
          .then(() => document.querySelector('.retries-fleet').getAttribute('aria-busy') === 'true');
      }, n)) || busySeen;
      await settledUrl(page);
      if (await page.locator('.retries-fleet').getAttribute('data-run') === 'worker') break;
      await page.waitForTimeout(300);
    }
    assert.equal(await page.locator('.retries-fleet').getAttribute('data-run'), 'worker', 'later runs come from the worker');
    assert.ok(busySeen, 'while the worker ran, the page said so (aria-busy) instead of blocking');
    assert.equal(await page.locator('.retries-fleet[aria-busy], .retries-evidence[aria-busy]').count(), 0);
    const url = await settledUrl(page);
    assert.equal(new URL(url).searchParams.get('n'), String(n));
    // What the worker's run drew is what the core gives the same link in one call.
    const expected = JSON.parse((await page.evaluate((s) => window.wasmBindings.offload({ Permalink: s }, () => {}), new URL(url).search)).Report);
    const shown = await page.locator('[data-counter]').evaluateAll((els) => els.length);
    assert.ok(shown >= 8, `only ${shown} counters`);
    for (const [id, value] of Object.entries(expected.counters)) {
      if (typeof value !== 'number' || !Number.isInteger(value)) continue;
      if (!(await page.locator(`[data-counter="${id}"]`).count())) continue;
      assert.equal(await counter(page, id), value, `counter ${id}`);
    }
    const summary = await page.locator('.retries-summary').innerText();
    assert.match(summary, new RegExp(`^${expected.counters.requests} requests`));
    // The exports need the run's records, which stay in the worker: the page builds the whole run.
    const read = async (download) => (await (await download.createReadStream()).toArray().then((b) => Buffer.concat(b).toString()));
    const [trace] = await Promise.all([page.waitForEvent('download'), page.click('.export-trace')]);
    const json = JSON.parse(await read(trace));
    assert.equal(json.report.trace_hash, expected.trace_hash, 'the export carries the trace hash of the whole run');
    assert.equal(json.run.view, "fleet");
    assert.ok(json.run.trace.records.length > 0, 'the download has the records');
    // A fresh load of the same link (run on the page) draws the same picture.
    const bars = await page.locator(`${LAB} figure.chart path.seg`).evaluateAll((ps) => ps.map((p) => p.getAttribute('d')));
    await page.goto(url);
    await page.waitForSelector('.retries-fleet[data-run="page"]');
    assert.deepEqual(await page.locator(`${LAB} figure.chart path.seg`).evaluateAll((ps) => ps.map((p) => p.getAttribute('d'))), bars);
    await screenshot(page, 'retries-fleet-after-worker-runs');
  });
});

test('reaching for the controls wakes the worker, so even the first knob change runs there and the page stays with the previous run meanwhile', async () => {
  await withPage('?area=retries&preset=herd&predict=0', async (page) => {
    await page.waitForSelector('.retries-fleet[data-worker="cold"]');
    // Looking loads no worker.
    await page.waitForTimeout(300);
    assert.equal(await page.locator('.retries-fleet').getAttribute('data-worker'), 'cold', 'a page only looked at wakes nothing');
    await page.locator('#retries-att').focus();
    await page.waitForSelector('.retries-fleet[data-worker="ready"]', { timeout: 10000 });
    assert.equal(await page.locator('.retries-fleet').getAttribute('data-run'), 'page', 'waking does not replace the run drawn');
    const busy = await page.evaluate(() => {
      const el = document.getElementById('retries-att');
      el.value = String(Number(el.value) + 1);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
      return new Promise((ok) => setTimeout(ok, 0)).then(() => document.querySelector('.retries-fleet').getAttribute('aria-busy'));
    });
    assert.equal(busy, 'true', 'the first change waited for the worker');
    await settledUrl(page);
    assert.equal(await page.locator('.retries-fleet').getAttribute('data-run'), 'worker');
    assert.equal(await page.locator('.retries-fleet[aria-busy]').count(), 0);
  });
});
