// The offload worker (src/offload): heavy jobs run in a Web Worker while the
// page stays responsive. The Retries study sweep at the study's own fidelity
// (100 runs per point, 10 to 190 clients, 5 strategies) runs through the
// app's own bridge (`wasmBindings.offload`, the function use_offload's bridge
// shares), and the main thread is watched meanwhile: long tasks by the Long
// Tasks API, and the largest gap between animation frames. It prints BENCH
// lines and asserts no time, only that the job ran in the worker and its
// figures are whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, setRange, watchLongTasks, longTasks } from './harness.mjs';

const STUDY = { StudySweep: { clients_max: 190, runs: 100, seed: 1 } };

test('the study sweep at 100 runs per point runs in the worker while the page keeps drawing frames', async () => {
  await withPage('?area=retries', async (page) => {
    await page.waitForFunction(() => typeof window.wasmBindings?.offload === 'function');
    const r = await page.evaluate(async (job) => {
      const long = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) long.push(e.duration); })
        .observe({ type: 'longtask' });
      let frames = 0;
      let gap = 0;
      let last = performance.now();
      let running = true;
      const tick = (t) => {
        gap = Math.max(gap, t - last);
        last = t;
        frames++;
        if (running) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const progress = [];
      const t0 = performance.now();
      const out = await window.wasmBindings.offload(job, (done, total) => {
        progress.push({ at: performance.now() - t0, done, total });
      });
      const ms = performance.now() - t0;
      running = false;
      await new Promise((ok) => setTimeout(ok, 100));
      return { ms, progress, frames, gap, long, points: out.Sweep };
    }, STUDY);
    console.log(`BENCH offload study-sweep-100-runs ${r.ms.toFixed(0)} ms in the worker; first point after ${r.progress[0]?.at.toFixed(0)} ms`);
    console.log(`BENCH offload main-thread longtasks ${r.long.length} max ${Math.max(0, ...r.long).toFixed(0)} ms; ${r.frames} frames, largest frame gap ${r.gap.toFixed(0)} ms`);
    assert.equal(r.points.length, 19 * 5, 'every client count from 10 to 190 under all five strategies');
    assert.deepEqual(r.progress.map((p) => p.done), Array.from({ length: 18 }, (_, i) => i + 1), 'progress after each client count');
    assert.ok(r.progress.every((p) => p.total === 19));
    for (const p of r.points) {
      assert.ok(p.calls_mean >= p.clients, `every client writes at least once (${JSON.stringify(p)})`);
    }
    assert.ok(r.frames > 2, 'the page drew frames while the sweep ran');
    await screenshot(page, 'offload-retries');
  });
});

test('a job cancelled from its progress callback stops in the worker and says so', async () => {
  await withPage('?area=retries', async (page) => {
    await page.waitForFunction(() => typeof window.wasmBindings?.offload === 'function');
    const r = await page.evaluate(async (job) => {
      const seen = [];
      try {
        await window.wasmBindings.offload(job, (done) => { seen.push(done); return done < 2; });
        return { seen, result: 'finished' };
      } catch (e) {
        return { seen, result: String(e) };
      }
    }, STUDY);
    assert.equal(r.result, 'cancelled');
    assert.ok(r.seen.length < 19 && r.seen.includes(2), `it stopped soon after the cancel: ${r.seen}`);
  });
});

test('a permalink job returns the report idemlab url prints, and a refused one the core reason', async () => {
  await withPage('?area=keys', async (page) => {
    await page.waitForFunction(() => typeof window.wasmBindings?.offload === 'function');
    const report = await page.evaluate(async () =>
      JSON.parse((await window.wasmBindings.offload({ Permalink: '?area=keys&preset=no-key' }, () => {})).Report));
    assert.equal(report.lab, 'keys');
    assert.equal(report.preset, 'no-key');
    assert.ok(report.counters.double_charges > 0);
    const refused = await page.evaluate(async () => {
      try { await window.wasmBindings.offload({ Permalink: '?area=recall' }, () => {}); return 'ran'; } catch (e) { return String(e); }
    });
    assert.match(refused, /recall/);
  });
});

test('the worker\'s sweep, a client count at a time, agrees with the core\'s study run in one call', async () => {
  // The reference is the core's own `run_study` (the page used to call it on its
  // thread), reached through a permalink job: `labs::run_permalink`, as `idemlab url`.
  // Its counters are each strategy's mean time (exact f64) and rounded writes at
  // the largest client count, which the sweep reaches last.
  const IDS = ['none', 'exponential', 'full', 'equal', 'decorrelated'];
  await withPage('?area=keys', async (page) => {
    await page.waitForFunction(() => typeof window.wasmBindings?.offload === 'function');
    for (const [max, runs, seed] of [[40, 3, 9], [190, 2, 1]]) {
      const [sweep, report] = await page.evaluate(async ([max, runs, seed]) => [
        await window.wasmBindings.offload({ StudySweep: { clients_max: max, runs, seed } }, () => {}),
        JSON.parse((await window.wasmBindings.offload({ Permalink: `?area=retries&mode=study&sn=${max}&sr=${runs}&seed=${seed}` }, () => {})).Report),
      ], [max, runs, seed]);
      assert.equal(sweep.Sweep.length, (max / 10) * 5);
      const last = sweep.Sweep.slice(-5);
      IDS.forEach((id, i) => {
        assert.equal(last[i].clients, max);
        assert.equal(last[i].time_ms_mean, report.counters[`time_${id}`], `time of ${id} at ${max} clients, ${runs} runs, seed ${seed}`);
        assert.equal(Math.round(last[i].calls_mean), report.counters[`calls_${id}`], `writes of ${id}`);
      });
    }
  });
});

const STATUS = '.retries-study .study-status, .retries-study [data-state]';
const state = (page) => page.locator(STATUS).first().getAttribute('data-state');
const drawnPoints = (page) => page.locator('.retries-study .study-status').innerText()
  .then((t) => Number((t.match(/(\d+) of \d+ points/) || [])[1] ?? NaN));

test('the study view at 100 runs per point draws progressively from the worker with no long task', async () => {
  await withPage('?area=retries&mode=study&sr=100', async (page) => {
    // The first sweep also loads the worker; the timed one starts from a knob change
    // (a new seed). Until the page has re-rendered, the finished sweep's headline is
    // still there, so a curve counts only once it has gone.
    await page.waitForSelector('.retries-study .study-status[data-state="done"]', { timeout: 60000 });
    await watchLongTasks(page);
    const r = await page.evaluate(() => new Promise((done) => {
      const t0 = performance.now();
      let first = null;
      let progressSeen = new Set();
      const look = () => {
        const status = document.querySelector('.retries-study .study-status');
        const m = status?.textContent.match(/(\d+) of (\d+) points/);
        if (m) progressSeen.add(Number(m[1]));
        // The work chart (the first): a line needs two client counts.
        const work = document.querySelector('.retries-study figure.chart');
        const curve = [...work.querySelectorAll('path.series')].some((p) => p.getAttribute('d').includes('L'));
        if (curve && first === null && !document.querySelector('[data-testid="study-headline"]')) first = performance.now() - t0;
        if (status?.dataset.state === 'done') {
          done({ first, total: performance.now() - t0, progress: [...progressSeen] });
        } else {
          requestAnimationFrame(look);
        }
      };
      const seed = document.querySelector('#retries-seed button, button.new-seed');
      seed.click();
      requestAnimationFrame(look);
    }));
    const long = await longTasks(page);
    console.log(`BENCH offload study-view-100-runs first curve ${r.first?.toFixed(0)} ms, whole sweep ${r.total.toFixed(0)} ms, ${long.length} long tasks max ${Math.max(0, ...long).toFixed(0)} ms`);
    assert.ok(r.first !== null, 'a curve was drawn before the sweep finished');
    assert.ok(r.progress.some((n) => n > 0 && n < 95), `progress between the first and last points: ${r.progress}`);
    assert.match(await page.locator('.retries-study .study-status').innerText(), /All 95 points computed in a Web Worker/);
    assert.equal(await page.locator('.retries-study tr[data-strategy]').count(), 5);
    await screenshot(page, 'retries-study-worker-done');
  });
});

test('the study view cancels between client counts, keeps what it drew, and runs again', async () => {
  await withPage('?area=retries&mode=study&sr=100', async (page) => {
    await page.waitForFunction(() => /([1-9]\d*) of 95 points/.test(document.querySelector('.retries-study .study-status')?.textContent || ''), null, { timeout: 30000 });
    await page.locator('[data-testid="study-cancel"]').click();
    await page.waitForSelector('.retries-study .study-status[data-state="cancelled"]');
    const kept = await drawnPoints(page);
    assert.ok(kept > 0 && kept < 95, `cancelled part way: ${kept}`);
    assert.match(await page.locator('.retries-study .study-status').innerText(), /Cancelled at \d+ of 95 points/);
    assert.equal(await page.locator('[data-testid="study-headline"]').count(), 0, 'no headline from a partial sweep');
    assert.equal(await page.locator('[data-testid="study-evidence-waits"]').count(), 1, 'no counters from a partial sweep');
    await screenshot(page, 'retries-study-cancelled');
    await page.locator('[data-testid="study-rerun"]').click();
    await page.waitForSelector('.retries-study .study-status[data-state="done"]', { timeout: 60000 });
    assert.equal(await state(page), 'done');
  });
});

test('a knob change mid-sweep restarts it, and the result has the trace hash the core gives the same link in one run', async () => {
  await withPage('?area=retries&mode=study&sr=40&sn=190&wn=40&seed=7', async (page) => {
    await page.waitForFunction(() => /([1-9]\d*) of 95 points/.test(document.querySelector('.retries-study .study-status')?.textContent || ''), null, { timeout: 30000 });
    await setRange(page, '#retries-sr', 3);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sr') === '3');
    await page.waitForSelector('.retries-study .study-status[data-state="done"]', { timeout: 30000 });
    assert.match(await page.locator('.retries-table caption').innerText(), /mean of 3 runs/);
    const search = await page.evaluate(() => location.search);
    // The same link run by the core in one call (in the worker, as `idemlab url` runs it).
    const expected = JSON.parse((await page.evaluate((s) => window.wasmBindings.offload({ Permalink: s }, () => {}), search)).Report);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button.export-csv').click()]);
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(await download.path(), 'utf8');
    assert.ok(csv.includes(expected.trace_hash), `the page's CSV lacks trace hash ${expected.trace_hash}:\n${csv}`);
    for (const [id, value] of Object.entries(expected.counters)) {
      assert.ok(await page.locator(`[data-counter="${id}"]`).count(), `counter ${id} is shown`);
      assert.ok(Number.isFinite(value));
    }
  });
});

test('when the worker cannot load, the study view says so and can run the sweep on the page', async () => {
  await withPage('?area=retries&mode=study&sr=2&sn=50', async (page) => {
    await page.waitForSelector('[data-testid="study-no-worker"]', { timeout: 20000 });
    assert.match(await page.locator('[data-testid="study-no-worker"]').innerText(), /idemlab-worker_loader\.js/);
    // Never a blank chart: the axes and the waves are drawn meanwhile.
    assert.equal(await page.locator('.retries-study figure.chart').count(), 3);
    await screenshot(page, 'retries-study-no-worker');
    await page.locator('[data-testid="study-here"]').click();
    await page.waitForSelector('[data-testid="study-headline"]', { timeout: 30000 });
    assert.match(await page.locator('.retries-study .study-status').innerText(), /All 25 points computed on this page/);
  }, {
    allowErrors: [/404|Failed to load|idemlab-worker/i],
    route: ['**/idemlab-worker_loader.js', (route) => route.fulfill({ status: 404, body: 'missing' })],
  });
});
