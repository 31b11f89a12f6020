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
import { withPage, screenshot } from './harness.mjs';

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
