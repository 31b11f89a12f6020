// The races lab: step to the double charge, the fix's single charge, side by
// side, the explorer, keyboard stepping, the scheduler and a hostile link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot } from './harness.mjs';

const ledger = async (page) => Number(await page.locator('.races-ledger').first().getAttribute('data-charges'));
const stepParam = (page) => Number(new URL(page.url()).searchParams.get('step') || '0');

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
  await withPage('?area=races&scenario=on-conflict&schedule=1,2,1,1,2,2,1&step=7', async (page) => {
    await page.waitForSelector('[data-lab="races"]');
    assert.equal(await ledger(page), 1);
    assert.ok(await page.locator('svg.timeline .tl-wait').count() >= 1, 'a wait is drawn');
    assert.match(await page.locator('.races-responses').innerText(), /T2: 409|T2: replay 201/);
    await screenshot(page, 'races-fix');
  });
});

test('side by side highlights the outcome that differs under one schedule', async () => {
  await withPage('?area=races&scenario=select-then-insert&mode=side&schedule=1,1,1,2,1,2,2,2&step=8', async (page) => {
    await page.waitForSelector('#races-compare');
    assert.match(await page.locator('#races-compare').innerText(), /differ/);
    assert.equal(await page.locator('#races-compare.races-differs').count(), 1);
    assert.equal(await page.locator('[data-pane="left"].races-worse').count(), 1);
    const counts = await page.locator('.races-ledger').evaluateAll((ls) => ls.map((l) => Number(l.dataset.charges)));
    assert.deepEqual(counts, [2, 1]);
    await screenshot(page, 'races-side-by-side');
  });
});

test('the explorer counts the double charges and jumps to the first counterexample', async () => {
  await withPage('?area=races&scenario=select-then-insert&schedule=1,1,1,1,2,2&predict=0', async (page) => {
    const summary = page.locator('#races-explorer-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /double charge in 68 of 70 interleavings/);
    await page.click('#races-first-counterexample');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('schedule') === '1,1,1,2,1,2,2,2');
    await screenshot(page, 'races-explorer');
  });
  await withPage('?area=races&scenario=on-conflict', async (page) => {
    assert.match(await page.locator('#races-explorer-summary').innerText(), /double charge in 0 of 32 interleavings/);
  });
});

test('the keyboard steps forward and back, and r resets', async () => {
  await withPage('?area=races&scenario=select-then-insert&predict=0', async (page) => {
    await page.waitForSelector('[data-lab="races"]');
    await page.locator('h2').click();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
    await page.keyboard.press('k');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '2');
    await page.keyboard.press('j');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
    assert.match(await page.locator('#races-narration').innerText(), /Step 1: T1 BEGIN|Step 1: T1 SELECT/);
    await page.keyboard.press('r');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '0');
    assert.equal(stepParam(page), 0);
  });
});

test('predict-first asks before the decisive step and records the answer before revealing', async () => {
  await withPage('?area=races&scenario=on-conflict&schedule=1,2,1,1,2,2,1&step=1', async (page) => {
    await page.waitForSelector('[data-lab="races"]');
    await page.click('.step-controls button.forward');
    const prompt = page.locator('#races-prompt');
    await prompt.waitFor();
    assert.match(await prompt.innerText(), /T2 runs INSERT/);
    assert.equal(stepParam(page), 1, 'the result is not revealed before the answer');
    await screenshot(page, 'races-predict');
    await page.click('#races-prompt button[data-option="2"]');
    await page.waitForSelector('#races-feedback');
    assert.equal(stepParam(page), 2);
    assert.match(await page.locator('#races-feedback').innerText(), /You predicted it/);
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
  await withPage('?area=races&scenario=on-conflict&schedule=1,2,2,2,2&step=99&mode=zzz', async (page) => {
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
  await withPage('?area=races&scenario=volatile-store&schedule=1,1,1,2,3,3,3,3&step=8&mode=side', async (page) => {
    await page.waitForSelector('#races-compare');
    const counts = await page.locator('.races-ledger').evaluateAll((ls) => ls.map((l) => Number(l.dataset.charges)));
    assert.deepEqual(counts, [2, 1]);
    assert.match(await page.locator('[data-pane="right"] .races-responses').innerText(), /T3: replay 201/);
    assert.match(await page.locator('#races-explorer-summary').innerText(), /double charge in 2 of 5 interleavings/);
    await screenshot(page, 'races-volatile-store');
  });
});
