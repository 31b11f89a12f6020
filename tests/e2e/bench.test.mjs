// The browser benchmark (issue 13). It reports figures and never asserts a
// time: the only assertions are that each lab page has controls to measure
// and that they could be measured, so it cannot silently measure nothing.
//
// For every lab page at its default settings it prints:
//   BENCH <area> <control-id> <ms>        median of 7 changes of one control
//   BENCH <area> worst <control-id> <ms>  the page's slowest control
//   ... (run drawn <ms>; k of 7 changes ran in the worker)   Retries' fleet view: after
//                                         the first change its runs come from the Web Worker,
//                                         so the control is drawn first and the run when it
//                                         lands; the second figure is the median until then
//   BENCH <area> worst-run-drawn <control-id> <ms> median <ms>   the same, worst and median
//   BENCH <area> drag-longtasks <n> max <ms> over <k> moves
//   BENCH <area> fcp <ms> lcp <ms>        medians of 5 cold loads: first contentful
//                                         paint and largest contentful paint (the lab drawn)
//
// How one change is timed (inside the page, so no test-driver latency):
//   t0 = performance.now(); set the value and dispatch `input` and `change`
//   (Yew handles them synchronously and renders in microtasks queued from
//   the handler). A MutationObserver notes every DOM change. We then yield
//   one macrotask at a time (MessageChannel, which runs before the next frame
//   and adds no frame wait) until a yield passes with no new mutation, force
//   style and layout by reading `document.body.offsetHeight`, and take
//   t1 = performance.now(). The figure t1 - t0 is input handling, the engine
//   run, Yew's render, the DOM patch, style and layout: everything before the
//   browser can paint the new frame, without the wait for the next vsync that
//   a double requestAnimationFrame would add (up to 16.7 ms of noise at 60 Hz).
//
// Long tasks are counted by a PerformanceObserver('longtask') during a real
// mouse drag (page.mouse, 24 moves) across the page's first slider.
// First contentful paint comes from PerformanceObserver('paint') in a fresh
// browser context per load (no cache) on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, openMore, screenshot, watchLongTasks, longTasks, dragSlider, AREAS, LABS } from './harness.mjs';

/** Pages that are labs with controls; Recall is a quiz with none. */
const WITH_CONTROLS = new Set(LABS);
const KINDS = ['input[type=range]', 'input[type=checkbox]', 'select'];
const CONTROLS = KINDS.map((c) => `.controls ${c}`).join(', ');
/** A page not yet on the shared knob panel has its controls elsewhere in the lab section. */
const FALLBACK = KINDS.map((c) => `section.lab ${c}`).join(', ');
const CHANGES = 7;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const fmt = (ms) => ms.toFixed(1);

/** Installs the in-page timer: `window.__bench(index, kind)` times one change of control `index`. */
async function installTimer(page, selector) {
  await page.evaluate((selector) => {
    let mutations = 0;
    new MutationObserver((list) => { mutations += list.length; })
      .observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    const yieldTask = () => new Promise((ok) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => ok();
      ch.port2.postMessage(0);
    });
    const next = (el) => {
      if (el.type === 'checkbox') return { checked: !el.checked };
      if (el.tagName === 'SELECT') {
        const i = el.selectedIndex;
        return { index: i + 1 < el.options.length ? i + 1 : i - 1 };
      }
      const [min, max, step] = [Number(el.min), Number(el.max), Number(el.step) || 1];
      const v = Number(el.value);
      return { value: String(v + step <= max ? v + step : Math.max(min, v - step)) };
    };
    // One change that moves the control away from `home` or back to it.
    window.__bench = async (index, home) => {
      const el = document.querySelectorAll(selector)[index];
      if (!el) return { missing: true };
      let to;
      if (home) to = home;
      else to = next(el);
      const before = el.type === 'checkbox' ? { checked: el.checked }
        : el.tagName === 'SELECT' ? { index: el.selectedIndex } : { value: el.value };
      const m0 = mutations;
      const t0 = performance.now();
      if ('checked' in to) el.checked = to.checked;
      else if ('index' in to) el.selectedIndex = to.index;
      else el.value = to.value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
      // Wait for the render to reach the DOM (it may land after a task or a
      // frame), up to a second, then until the DOM stops changing. Stopping
      // at the first quiet task could time a control without its render.
      while (mutations === m0 && performance.now() - t0 < 1000) await yieldTask();
      let seen = -1;
      for (let i = 0; i < 50 && seen !== mutations; i++) {
        seen = mutations;
        await yieldTask();
      }
      void document.body.offsetHeight;
      const t1 = performance.now();
      // The Retries fleet view may draw the control at once and the run when
      // the Web Worker answers (aria-busy meanwhile): time that too.
      const busy = () => document.querySelector('.retries-fleet[aria-busy="true"]');
      const offloaded = !!busy();
      while (busy() && performance.now() - t0 < 3000) await yieldTask();
      seen = -1;
      for (let i = 0; offloaded && i < 50 && seen !== mutations; i++) {
        seen = mutations;
        await yieldTask();
      }
      void document.body.offsetHeight;
      const t2 = performance.now();
      return { ms: t1 - t0, drawn: t2 - t0, offloaded, mutated: mutations > m0, before };
    };
  }, selector);
}

/** Times every control on `area`'s page and prints its BENCH lines. */
async function benchControls(area) {
  const rows = [];
  await withPage(`?area=${area}`, async (page) => {
    await page.waitForTimeout(300);
    if (await page.locator('.controls').count()) await openMore(page);
    let selector = CONTROLS;
    if (!(await page.locator(selector).count())) {
      selector = FALLBACK;
      console.log(`BENCH ${area} note: no controls inside .controls; timing the lab section's own`);
    }
    const ids = await page.locator(selector).evaluateAll((els) =>
      els.map((el, i) => ({ i, id: el.id || el.name || `${el.tagName.toLowerCase()}-${i}`, disabled: el.disabled })));
    if (WITH_CONTROLS.has(area)) {
      assert.ok(ids.length > 0, `the ${area} page has sliders, toggles or selects to measure`);
    }
    await installTimer(page, selector);
    for (const { i, id, disabled } of ids) {
      if (disabled) { console.log(`BENCH ${area} ${id} disabled`); continue; }
      const times = [];
      const drawn = [];
      let offloaded = 0;
      let home = null;
      let mutated = 0;
      for (let n = 0; n < CHANGES; n++) {
        // Alternate away from the default and back, so every change is near the default settings.
        const r = await page.evaluate(([i, home]) => window.__bench(i, home), [i, n % 2 === 1 ? home : null]);
        assert.ok(!r.missing, `${area}: control ${id} disappeared after a change`);
        if (n % 2 === 0) home = r.before;
        times.push(r.ms);
        drawn.push(r.drawn);
        if (r.offloaded) offloaded++;
        if (r.mutated) mutated++;
      }
      // Put it back to the default before the next control.
      await page.evaluate(([i, home]) => window.__bench(i, home), [i, home]);
      const ms = median(times);
      rows.push({ id, ms, mutated, drawn: median(drawn), offloaded });
      // A control whose change leaves the page as it was has no render to time
      // (the wait for one gave up after a second): it has no figure. When the
      // run came from the worker, the time until it was drawn follows.
      const worker = offloaded ? ` (run drawn ${fmt(median(drawn))}; ${offloaded} of ${CHANGES} changes ran in the worker)` : '';
      console.log(`BENCH ${area} ${id} ${mutated ? fmt(ms) : 'no DOM change'}${worker}`);
    }
    if (WITH_CONTROLS.has(area)) {
      assert.ok(rows.length > 0, `at least one control on ${area} could be measured`);
      assert.ok(rows.some((r) => r.mutated > 0), `changing a control on ${area} changed the page`);
    }
    const timed = rows.filter((r) => r.mutated > 0);
    if (timed.length) {
      const worst = timed.reduce((a, b) => (b.ms > a.ms ? b : a));
      console.log(`BENCH ${area} worst ${worst.id} ${fmt(worst.ms)}`);
      if (timed.some((r) => r.offloaded)) {
        const slow = timed.reduce((a, b) => (b.drawn > a.drawn ? b : a));
        const all = timed.map((r) => r.drawn);
        console.log(`BENCH ${area} worst-run-drawn ${slow.id} ${fmt(slow.drawn)} median ${fmt(median(all))}`);
      }
    }
    if (area === 'retries') await screenshot(page, 'bench-retries-after-changes');
  });
  return rows;
}

/** Drags the first enabled slider with the mouse and counts long tasks meanwhile. */
async function benchDrag(area) {
  await withPage(`?area=${area}`, async (page) => {
    await page.waitForTimeout(300);
    const slider = page.locator('.controls input[type=range]:not([disabled])').first();
    if (!(await slider.count())) {
      console.log(`BENCH ${area} drag-longtasks none (no slider)`);
      return;
    }
    const id = await slider.getAttribute('id');
    await watchLongTasks(page);
    const moves = 24;
    await dragSlider(page, slider, moves);
    await page.waitForTimeout(300);
    const long = await longTasks(page);
    const max = long.length ? Math.max(...long) : 0;
    console.log(`BENCH ${area} drag-longtasks ${long.length} max ${fmt(max)} over ${moves} moves of ${id}`);
  });
}

/** Median first contentful paint and largest contentful paint of 5 cold loads. */
async function benchFcp(area) {
  const fcps = [];
  const lcps = [];
  for (let n = 0; n < 5; n++) {
    await withPage(`?area=${area}`, async (page) => {
      await page.waitForTimeout(200);
      const [fcp, lcp] = await page.evaluate(() => Promise.all([
        new Promise((ok) => {
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') ok(e.startTime);
          }).observe({ type: 'paint', buffered: true });
        }),
        // The last candidate so far: the largest element painted, which is the lab's content.
        new Promise((ok) => {
          new PerformanceObserver((list) => {
            const all = list.getEntries();
            ok(all[all.length - 1].startTime);
          }).observe({ type: 'largest-contentful-paint', buffered: true });
        }),
      ]));
      fcps.push(fcp);
      lcps.push(lcp);
    });
  }
  console.log(`BENCH ${area} fcp ${fmt(median(fcps))} lcp ${fmt(median(lcps))} (fcp of each load: ${fcps.map(fmt).join(' ')})`);
}

for (const area of AREAS) {
  test(`every control on the ${area} page is timed from input to the end of the re-render`, async () => {
    await benchControls(area);
  });
}

for (const area of AREAS) {
  test(`long tasks are counted while the first slider of the ${area} page is dragged`, async () => {
    await benchDrag(area);
  });
}

for (const area of AREAS) {
  test(`the first contentful paint of the ${area} page is measured on loopback`, async () => {
    await benchFcp(area);
  });
}

// Typing in the Races handler editor: each keystroke re-renders the page and
// puts the text in the link; parsing and exploring run later, debounced, in
// the Web Worker. Timed like a control (input event to the end of the
// re-render), one character appended per change; then the worker's answer
// for the last text is awaited, so the figure cannot be of a page that never
// heard back.
test('typing in the handler editor is timed from input to the end of the re-render', async () => {
  // predict=0: the explorer's summary is evidence, covered until a prediction is answered.
  await withPage('?area=races&predict=0', async (page) => {
    await page.waitForSelector('#handler-text');
    const r = await page.evaluate(async () => {
      let mutations = 0;
      new MutationObserver((list) => { mutations += list.length; })
        .observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      const yieldTask = () => new Promise((ok) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => ok();
        ch.port2.postMessage(0);
      });
      const times = [];
      for (const ch of ' -- a comment typed one key at a time') {
        const area = document.querySelector('#handler-text');
        const m0 = mutations;
        const t0 = performance.now();
        area.value += ch;
        area.dispatchEvent(new InputEvent('input', { bubbles: true, data: ch, inputType: 'insertText' }));
        let seen = -1;
        for (let i = 0; i < 50 && seen !== mutations; i++) {
          seen = mutations;
          await yieldTask();
        }
        void document.body.offsetHeight;
        times.push({ ms: performance.now() - t0, mutated: mutations > m0 });
      }
      return times;
    });
    const ms = r.map((x) => x.ms).sort((a, b) => a - b);
    console.log(`BENCH races handler-typing median ${fmt(median(ms))} max ${fmt(ms[ms.length - 1])} over ${ms.length} keys`);
    assert.ok(r.every((x) => x.mutated), 'every key changed the page');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('handler')?.endsWith('one key at a time'));
    await page.waitForSelector('#handler-summary');
    await page.waitForFunction(() => !document.querySelector('#handler-exploring'));
    assert.match(await page.locator('#handler-summary strong').innerText(), /double charge in 68 of 70/);
  });
});
