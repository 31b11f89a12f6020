// The races lab: step to the double charge, the fix's single charge, side by
// side, the explorer, keyboard stepping, the scheduler and a hostile link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, settledUrl } from './harness.mjs';

const ledger = async (page) => Number(await page.locator('.races-ledger').first().getAttribute('data-charges'));
const stepParam = async (page) => Number(new URL(await settledUrl(page)).searchParams.get('step') || '0');

test('stepping SELECT-then-INSERT to the end shows two charges in the ledger', async () => {
  await withPage('?area=races&scenario=select-then-insert&predict=0', async (page) => {
    await page.waitForSelector('[data-lab="races"]');
    assert.match(await page.locator('.races-sql').innerText(), /SELECT status, response FROM idempotency_keys WHERE key = \$1/);
    assert.equal(await ledger(page), 0);
    const forward = page.locator('.step-controls button.forward');
    while (await forward.isEnabled()) await forward.click();
    assert.equal(await ledger(page), 2, 'the unsafe handler charges twice');
    assert.match(await page.locator('.races-ledger').innerText(), /double charge/);
    await screenshot(page, 'races-double-charge');
  });
});

test('the ON CONFLICT fix charges once, with the waiting bar drawn', async () => {
  await withPage('?area=races&scenario=on-conflict&schedule=1,2,1,1,2,2,1&step=7&predict=0', async (page) => {
    await page.waitForSelector('[data-lab="races"]');
    assert.equal(await ledger(page), 1);
    assert.ok(await page.locator('svg.timeline .tl-wait').count() >= 1, 'a wait is drawn');
    assert.match(await page.locator('.races-responses').innerText(), /T2: 409|T2: replay 201/);
    await screenshot(page, 'races-fix');
  });
});

test('side by side highlights the outcome that differs under one schedule', async () => {
  await withPage('?area=races&scenario=select-then-insert&mode=side&schedule=1,1,1,2,1,2,2,2&step=8&predict=0', async (page) => {
    await page.waitForSelector('#races-compare');
    assert.match(await page.locator('#races-compare').innerText(), /differ/);
    assert.equal(await page.locator('#races-compare.races-differs').count(), 1);
    assert.equal(await page.locator('[data-pane="left"].races-worse').count(), 1);
    const counts = await page.locator('.races-ledger').evaluateAll((ls) => ls.map((l) => Number(l.dataset.charges)));
    assert.deepEqual(counts, [2, 1]);
    await screenshot(page, 'races-side-by-side');
  });
});

test('the explorer counts the double charges and its jump lands on the second charge, not step 0', async () => {
  await withPage('?area=races&scenario=select-then-insert&schedule=1,1,1,1,2,2&predict=0', async (page) => {
    const summary = page.locator('#races-explorer-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /double charge in 68 of 70 interleavings/);
    const decisive = Number(await page.locator('#races-first-counterexample').getAttribute('data-step'));
    assert.ok(decisive > 0, 'the jump names a step after the start');
    await page.click('#races-first-counterexample');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('schedule') === '1,1,1,2,1,2,2,2');
    assert.equal((await stepParam(page)), decisive, 'the jump lands on the decisive step');
    assert.equal(await ledger(page), 2, 'the step-through shows the second charge');
    assert.match(await page.locator('#step-caption').innerText(), /ledger has 2 charges/);
    await screenshot(page, 'races-explorer');
  });
  await withPage('?area=races&scenario=on-conflict&predict=0', async (page) => {
    assert.match(await page.locator('#races-explorer-summary').innerText(), /double charge in 0 of 32 interleavings/);
    assert.equal(await page.locator('#races-first-counterexample').count(), 0);
  });
});

test('the keyboard steps forward and back, and r resets', async () => {
  await withPage('?area=races&scenario=select-then-insert&predict=0', async (page) => {
    await page.waitForSelector('[data-lab="races"]');
    await page.locator('h2').click();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
    await page.keyboard.press('j');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '2');
    await page.keyboard.press('k');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
    assert.match(await page.locator('#step-caption').innerText(), /Step 1: T1 BEGIN|Step 1: T1 SELECT/);
    await page.keyboard.press('r');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '0');
    assert.equal((await stepParam(page)), 0);
  });
});

test('predict-first asks before the decisive step and records the answer before revealing', async () => {
  await withPage('?area=races&scenario=on-conflict&schedule=1,2,1,1,2,2,1&step=1', async (page) => {
    await page.waitForSelector('[data-lab="races"]');
    await page.click('.step-controls button.forward');
    const prompt = page.locator('.predict-gate[data-state="asking"]');
    await prompt.waitFor();
    assert.match(await prompt.innerText(), /T2 runs INSERT/);
    assert.equal((await stepParam(page)), 1, 'the result is not revealed before the answer');
    await screenshot(page, 'races-predict');
    await page.click('.predict-gate .predict-choice[data-choice="2"]');
    const reveal = page.locator('.predict-gate[data-state="revealed"] .predict-reveal');
    await reveal.waitFor();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '2');
    assert.match(await reveal.innerText(), /^✓ Right\./);
  });
});

test('the prediction feedback says what happened and why, once, without "it it"', async () => {
  // Step 4 of the first counterexample is T2's SELECT after T1 has inserted, uncommitted.
  await withPage('?area=races&schedule=1,1,1,2,1,2,2,2&step=3', async (page) => {
    await page.waitForSelector('[data-lab="races"]');
    await page.click('.step-controls button.forward');
    const prompt = page.locator('.predict-gate[data-state="asking"]');
    await prompt.waitFor();
    assert.match(await prompt.innerText(), /T2 runs SELECT/);
    await page.click('.predict-gate .predict-choice[data-choice="0"]');
    const feedback = page.locator('.predict-gate[data-state="revealed"] .predict-reveal');
    await feedback.waitFor();
    const text = await feedback.innerText();
    assert.doesNotMatch(text, /\bit it\b/);
    assert.match(text, /Not quite/);
    assert.match(text, /What happened at step 4: it finds nothing/);
    assert.match(text, /READ COMMITTED/);
    assert.match(text, /invisible/);
    await screenshot(page, 'races-feedback');
  });
});

test('the lesson says what is true under the default schedule: the row is invisible until commit', async () => {
  await withPage('?area=races&predict=0', async (page) => {
    const lesson = page.locator('.lesson');
    await lesson.waitFor();
    const text = await lesson.innerText();
    assert.doesNotMatch(text, /before either has inserted/);
    assert.match(text, /invisible until it commits/);
  });
});

test('at step 0 the evidence says it counts the whole run while the ledger has no charge yet', async () => {
  await withPage('?area=races&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="charges"]');
    assert.equal((await stepParam(page)), 0);
    assert.match(await page.locator('.races-ledger-box').innerText(), /no charge yet/);
    assert.match(await page.locator('.evidence h3').innerText(), /whole run/);
    assert.match(await page.locator('[data-counter="double_charge_schedules"] dd').innerText(), /68 of 70/);
  });
});

for (const width of [1280, 640]) {
  test(`lane text stays at 11 px or more at ${width} px, and the lanes scroll sideways instead`, async () => {
    await withPage('?area=races&schedule=1,1,1,2,1,2,2,2&step=8&predict=0', async (page) => {
      const svg = page.locator('.races-lanes svg.timeline').first();
      await svg.waitFor();
      const { scale, label, scrolls } = await svg.evaluate((el) => {
        const box = el.getBoundingClientRect();
        const label = parseFloat(getComputedStyle(el.querySelector('.tl-label')).fontSize);
        const wrap = el.parentElement;
        return { scale: box.width / el.viewBox.baseVal.width, label, scrolls: wrap.scrollWidth > wrap.clientWidth };
      });
      assert.ok(label * scale >= 11, `lane text is ${(label * scale).toFixed(1)} px`);
      if (width === 640) assert.ok(scrolls, 'the lanes scroll sideways inside the picture');
      await screenshot(page, `races-lanes-${width}`);
    }, { viewport: { width, height: 900 } });
  });
}

test('in an embed the explorer links keep embed, lock and origins, and a locked scenario holds', async () => {
  await withPage('?area=races&embed=1&lock=scenario,preset&origins=https://course.example&predict=0', async (page) => {
    await page.waitForSelector('#races-first-counterexample');
    await page.click('#races-first-counterexample');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('schedule') === '1,1,1,2,1,2,2,2');
    const q = new URL(await settledUrl(page)).searchParams;
    assert.equal(q.get('embed'), '1');
    assert.equal(q.get('lock'), 'scenario,preset');
    assert.equal(q.get('origins'), 'https://course.example');
    const preset = page.locator('.races-presets a[data-preset="on-conflict"]');
    assert.equal(await preset.getAttribute('aria-disabled'), 'true', 'a locked preset says so');
    await preset.click({ force: true });
    await page.waitForTimeout(200);
    assert.equal(new URL(await settledUrl(page)).searchParams.get('scenario'), 'select-then-insert', 'the locked scenario did not change');
    assert.equal(await page.locator('.lesson').getAttribute('data-lesson'), 'select-then-insert');
  });
});

test('BENCH: stepping and scrubbing the Races step-through', async () => {
  await withPage('?area=races&schedule=1,1,1,2,1,2,2,2&predict=0', async (page) => {
    await page.waitForSelector('.step-controls .step-count');
    const timing = await page.evaluate(async () => {
      // A MutationObserver fires once, right after the task that re-rendered
      // the page, so its time is the end of the render (no frame rounding).
      const main = document.getElementById('main');
      // The last batch within 150 ms counts, in case a render spans tasks.
      const measure = (act) => new Promise((ok) => {
        const t0 = performance.now();
        let last = t0;
        const mo = new MutationObserver(() => { last = performance.now(); });
        mo.observe(main, { subtree: true, childList: true, characterData: true, attributes: true });
        act();
        setTimeout(() => { mo.disconnect(); ok(last - t0); }, 150);
      });
      const step = [];
      for (let i = 0; i < 8; i++) step.push(await measure(() => document.querySelector('.step-controls button.forward').click()));
      const scrub = [];
      const range = document.querySelector('.step-controls .scrubber input');
      for (const v of [0, 4, 2, 7, 1, 5, 3, 6]) {
        scrub.push(await measure(() => { range.value = String(v); range.dispatchEvent(new Event('input', { bubbles: true })); }));
      }
      const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
      return { step: median(step), stepMax: Math.max(...step), scrub: median(scrub), scrubMax: Math.max(...scrub) };
    });
    console.log(`BENCH races/step: median ${timing.step.toFixed(1)} ms, worst ${timing.stepMax.toFixed(1)} ms (click to re-render, 8 steps)`);
    console.log(`BENCH races/scrub: median ${timing.scrub.toFixed(1)} ms, worst ${timing.scrubMax.toFixed(1)} ms (input to re-render, 8 moves)`);
  });
});

test('play scheduler: the learner picks who goes next, and a waiting transaction cannot', async () => {
  await withPage('?area=races&scenario=on-conflict&mode=scheduler', async (page) => {
    await page.waitForSelector('.races-scheduler');
    await page.click('.races-go[data-actor="1"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('schedule') === '1');
    await page.click('.races-go[data-actor="2"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('schedule') === '1,2');
    assert.equal(await page.locator('.races-go[data-actor="2"]').isDisabled(), true, 'T2 waits for T1');
    await screenshot(page, 'races-scheduler');
  });
});

test('a hostile schedule in the permalink shows a warning and falls back', async () => {
  await withPage('?area=races&scenario=on-conflict&schedule=1,2,2,2,2&step=99&mode=zzz&predict=0', async (page) => {
    const w = page.locator('#link-warning');
    await w.waitFor();
    const text = await w.innerText();
    assert.match(text, /names T2, but T2 is waiting for T1/);
    assert.match(text, /step=99 is outside/);
    assert.match(text, /mode/);
    assert.equal(await ledger(page), 1);
    await screenshot(page, 'races-hostile');
  });
  await withPage('?area=races&schedule=9,x,%3Cscript%3E', async (page) => {
    await page.locator('#link-warning').waitFor();
    assert.equal(await page.locator('main script').count(), 0);
  });
});

test('a crash loses the volatile key store and the retry charges again; the durable store replays', async () => {
  await withPage('?area=races&scenario=volatile-store&schedule=1,1,1,2,3,3,3,3&step=8&mode=side&predict=0', async (page) => {
    await page.waitForSelector('#races-compare');
    const counts = await page.locator('.races-ledger').evaluateAll((ls) => ls.map((l) => Number(l.dataset.charges)));
    assert.deepEqual(counts, [2, 1]);
    assert.match(await page.locator('[data-pane="right"] .races-responses').innerText(), /T3: replay 201/);
    assert.match(await page.locator('#races-explorer-summary').innerText(), /double charge in 2 of 5 interleavings/);
    await screenshot(page, 'races-volatile-store');
  });
});

test('the SQLSTATE codes explain themselves on focus', async () => {
  await withPage('?area=races&scenario=serializable', async (page) => {
    await page.waitForSelector('.races-codes .term');
    const codes = page.locator('.races-codes .term:not([data-term="SQLSTATE"])');
    const tips = await codes.evaluateAll((ts) => ts.map((t) => [t.dataset.term, document.getElementById(t.getAttribute('aria-describedby')).textContent]));
    assert.deepEqual(tips.map(([w]) => w), ['23505', '40001', '25P02', '40P01', '55P03']);
    assert.match(tips[0][1], /unique_violation/);
    assert.match(tips[4][1], /lock_not_available/);
    assert.match(tips[1][1], /serialization_failure/);
    await codes.nth(0).focus();
    await page.keyboard.press('Tab');
    assert.match(await codes.nth(1).locator('.term-tip').innerText(), /serialization_failure/, 'the explanation shows on keyboard focus');
  });
});
