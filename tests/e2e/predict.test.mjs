// Predict first in Keys, Outbox and Retries (the shared gate in
// src/shell/predict_gate.rs): stepping onto each lab's decisive step asks
// first, the step waits for the answer, the reveal says what the run did,
// and an embedding page receives a `prediction` event. The switch turns it
// off, and `lock=predict` freezes the switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { withPage, screenshot, base, settledUrl, appReady } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe's serious and critical violations on the page as it is now. */
async function axeBad(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const stepOf = (url) => Number(new URL(url).searchParams.get('step') || '0');

// Each lab's decisive moment, in a preset where it happens, with the choice
// the run makes right and what the reveal must say about it.
// registry: cases (one preset per case, with its question and right answer)
const LABS = [
  { area: 'keys', search: 'preset=crash-window', id: 'keys-retry-after-crash', right: 0, says: /charged op 1 a second time/ },
  { area: 'keys', search: 'preset=crash-window-pk', id: 'keys-retry-after-crash', right: 1, says: /returned its first charge/ },
  { area: 'outbox', search: 'preset=inbox', id: 'outbox-relay-crash', right: 1, says: /hit the primary key/ },
  { area: 'outbox', search: 'preset=duplicates', id: 'outbox-relay-crash', right: 0, says: /no inbox/ },
  { area: 'retries', search: 'preset=wave&mode=fleet', id: 'retries-after-outage', right: 2, says: /turned \d+ calls away with 503/ },
  { area: 'retries', search: 'preset=budget&mode=fleet', id: 'retries-after-outage', right: 0, says: /never overflowed/ },
];

/** The decisive step the switch names. */
async function decisiveOf(where) {
  const d = Number(await where.locator('#predict-switch').getAttribute('data-step'));
  assert.ok(d > 0, 'the run has a decisive step');
  return d;
}

/**
 * Opens the lab embedded in a course page that records the lab's messages,
 * one step before its decisive step, and runs fn(page, frame, decisive).
 */
async function embedded(lab, fn) {
  await withPage('', async (page) => {
    const root = `${await base()}/?area=${lab.area}&${lab.search}`;
    // A first visit finds the decisive step; the frame opens just before it.
    await page.goto(root);
    const decisive = await decisiveOf(page);
    await page.setContent(`<iframe id="f" src="${root}&embed=1&step=${decisive - 1}" width="1200" height="800"></iframe>`);
    await page.evaluate(() => {
      window.seen = [];
      addEventListener('message', (e) => { if (e.data && e.data.source === 'idemlab') window.seen.push(e.data); });
    });
    const frame = page.frameLocator('#f');
    await frame.locator('#predict-switch').waitFor();
    const inner = () => page.frames().find((f) => f !== page.mainFrame() && f.url().includes(`area=${lab.area}`));
    await fn(page, frame, decisive, () => settledUrl(inner()), inner);
  }, { ready: 'body' });
}

for (const lab of LABS) {
  for (const pick of ['right', 'wrong']) {
    test(`${lab.area} (${lab.search}): stepping onto the decisive step asks first; a ${pick} answer is revealed and posted`, async () => {
      await embedded(lab, async (page, frame, decisive, url, inner) => {
        await frame.locator('.step-controls button.forward').click();
        const gate = frame.locator('.predict-gate[data-state="asking"]');
        await gate.waitFor();
        assert.equal(stepOf(await url()), decisive - 1, 'the step waits for the prediction');
        assert.equal(Number(await gate.getAttribute('data-step')), decisive);
        assert.match(await gate.locator('.predict-question').innerText(), /What/);
        assert.equal(await gate.locator('.predict-choice').count() >= 3, true);
        if (pick === 'right') await screenshot(page, `predict-${lab.area}-${lab.search.split('&')[0].replace('preset=', '')}-asking`);
        const choice = pick === 'right' ? lab.right : (lab.right + 1) % 3;
        const answer = await gate.locator(`.predict-choice[data-choice="${choice}"]`).innerText();
        await gate.locator(`.predict-choice[data-choice="${choice}"]`).click();
        const reveal = frame.locator('.predict-gate[data-state="revealed"] .predict-reveal');
        await reveal.waitFor();
        assert.equal(await reveal.getAttribute('data-correct'), String(pick === 'right'));
        assert.match(await reveal.innerText(), pick === 'right' ? /^✓ Right\./ : /^✗ Not quite\./);
        assert.match(await reveal.innerText(), lab.says);
        await page.waitForFunction(() => window.seen.some((m) => m.type === 'prediction'));
        const msg = await page.evaluate(() => window.seen.find((m) => m.type === 'prediction'));
        assert.equal(msg.area, lab.area);
        assert.equal(msg.detail.id, lab.id);
        assert.equal(msg.detail.correct, pick === 'right');
        assert.equal(msg.detail.step, decisive);
        assert.equal(msg.detail.answer, answer.replace(/^([✓✗]|\d+\.) /, ''));
        assert.equal(msg.detail.revealed_without_answer, false);
        // Then the step happens.
        await inner().waitForFunction((d) => new URL(location.href).searchParams.get('step') === String(d), decisive);
        assert.equal(stepOf(await url()), decisive, 'the answer lets the step happen');
        if (pick === 'right') await screenshot(page, `predict-${lab.area}-${lab.search.split('&')[0].replace('preset=', '')}-revealed`);
        assert.equal(await page.evaluate(() => window.seen.filter((m) => m.type === 'prediction').length), 1, 'one event per answer');
      });
    });
  }
}

/**
 * Waits (up to 2 s) for focus to land on the prompt. The focus is moved by an
 * effect that runs after the render, and Yew 0.23's scheduler may hand the
 * browser a turn between a long render and its effects, so the prompt can be
 * in the DOM a moment before it has focus. Fails if focus never lands.
 */
async function promptFocused(page) {
  await page.waitForFunction(() => document.activeElement?.closest('.predict-gate'), null, { timeout: 2000 })
    .catch(() => assert.fail('focus lands on the prompt'));
}

test('the keyboard reaches the prompt: j asks and focuses it, k steps back, Tab and Enter answer', async () => {
  await withPage('?area=keys&preset=crash-window', async (page) => {
    const d = await decisiveOf(page);
    await page.goto(`${await base()}/?area=keys&preset=crash-window&step=${d - 1}`);
    await page.locator('#predict-switch').waitFor();
    await appReady(page);
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('j');
    await page.locator('.predict-gate[data-state="asking"]').waitFor();
    await promptFocused(page);
    assert.equal(stepOf(await settledUrl(page)), d - 1);
    await page.keyboard.press('k');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d - 2);
    assert.equal(await page.locator('.predict-gate').count(), 0, 'stepping back closes the prompt');
    await page.keyboard.press('j');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d - 1);
    await page.keyboard.press('j');
    await page.locator('.predict-gate[data-state="asking"]').waitFor();
    await promptFocused(page);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.choice), '0', 'Tab reaches the first choice');
    await page.keyboard.press('Enter');
    await page.locator('.predict-gate[data-state="revealed"]').waitFor();
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d);
    // Answered for this run: stepping back and on again does not ask twice.
    await page.keyboard.press('k');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d - 1);
    await page.keyboard.press('j');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d);
    assert.equal(await page.locator('.predict-gate[data-state="asking"]').count(), 0);
  });
});

test('a new run asks again: another preset after an answer brings the prompt back', async () => {
  await withPage('?area=outbox&preset=inbox', async (page) => {
    const d = await decisiveOf(page);
    await page.locator('.step-controls button.last').click();
    await page.locator('.predict-gate[data-state="asking"]').waitFor();
    await page.locator('.predict-choice[data-choice="1"]').click();
    await page.locator('.predict-gate[data-state="revealed"]').waitFor();
    assert.ok(stepOf(await settledUrl(page)) > d, '"Last step" goes on to the last step after the answer');
    // Another preset is another run: step 0, and the question is open again.
    await page.locator('.presets a[data-preset="duplicates"]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('preset') === 'duplicates');
    const d2 = await decisiveOf(page);
    await page.locator('.step-controls button.last').click();
    await page.locator('.predict-gate[data-state="asking"]').waitFor();
    assert.equal(stepOf(await settledUrl(page)), d2 - 1, 'the new run waits just before its question');
    assert.ok(d2 > 0);
  });
});

test('the switch turns predict-first off (predict=0): the decisive step comes without a prompt', async () => {
  // registry: cases (a preset with a prompt in each lab that asks)
  for (const [area, search] of [['keys', 'preset=crash-window'], ['outbox', 'preset=inbox'], ['retries', 'preset=wave&mode=fleet']]) {
    await withPage(`?area=${area}&${search}`, async (page) => {
      const sw = page.locator('#predict-switch');
      assert.equal(await sw.getAttribute('aria-checked'), 'true', `${area}: on by default`);
      assert.equal(await sw.innerText(), 'Predict before decisive steps: on');
      await sw.click();
      await page.waitForFunction(() => new URL(location.href).searchParams.get('predict') === '0');
      assert.equal(await sw.getAttribute('aria-checked'), 'false');
      assert.equal(await sw.innerText(), 'Predict before decisive steps: off');
      const d = await decisiveOf(page);
      await page.locator('.step-controls button.last').click();
      await page.waitForFunction(() => Number(new URL(location.href).searchParams.get('step')) > 0);
      assert.ok(stepOf(await settledUrl(page)) >= d, `${area}: the step moved past the decisive step`);
      assert.equal(await page.locator('.predict-gate').count(), 0, `${area}: no prompt when the switch is off`);
      assert.equal(await page.locator('.chart-mask').count(), 0, `${area}: nothing hidden when the switch is off`);
    });
  }
});

test('Retries hides what follows the outage until the learner predicts', async () => {
  await withPage('?area=retries&preset=wave&mode=fleet', async (page) => {
    await page.locator('#predict-switch').waitFor();
    assert.ok(await page.locator('.chart-mask').count() >= 4, 'the time charts are covered after the outage');
    assert.match(await page.locator('.retries-summary').innerText(), /hidden until you predict/);
    await screenshot(page, 'predict-retries-masked');
    await page.locator('.step-controls button.last').click();
    await page.locator('.predict-choice[data-choice="2"]').click();
    await page.locator('.predict-gate[data-state="revealed"]').waitFor();
    assert.equal(await page.locator('.chart-mask').count(), 0, 'the answer uncovers the charts');
    assert.match(await page.locator('.retries-summary').innerText(), /After the outage the offered load peaked/);
  });
});

test('lock=predict keeps the switch where the author set it', async () => {
  // registry: cases (the labs whose switch sits beside the title)
  for (const area of ['keys', 'outbox', 'retries']) {
    await withPage(`?area=${area}&embed=1&predict=1&lock=predict`, async (page) => {
      const sw = page.locator('#predict-switch');
      assert.equal(await sw.getAttribute('aria-disabled'), 'true', area);
      await sw.click({ force: true });
      await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
      assert.equal(new URL(await settledUrl(page)).searchParams.get('predict'), '1', `${area}: the locked switch did not move`);
      assert.equal(await sw.getAttribute('aria-checked'), 'true');
    });
  }
});

test('axe finds no serious or critical violation with the prompt asking, and revealed', async () => {
  // registry: cases (a preset with a prompt in each lab that asks, and an answer)
  for (const [area, search, pick] of [['keys', 'preset=crash-window', 0], ['outbox', 'preset=inbox', 1], ['retries', 'preset=wave&mode=fleet', 2]]) {
    await withPage(`?area=${area}&${search}`, async (page) => {
      await page.locator('.step-controls button.last').click();
      await page.locator('.predict-gate[data-state="asking"]').waitFor();
      let bad = await axeBad(page);
      assert.deepEqual(bad, [], `${area} asking: ${JSON.stringify(bad, null, 1)}`);
      await page.locator(`.predict-choice[data-choice="${pick}"]`).click();
      await page.locator('.predict-gate[data-state="revealed"]').waitFor();
      bad = await axeBad(page);
      assert.deepEqual(bad, [], `${area} revealed: ${JSON.stringify(bad, null, 1)}`);
    // Reduced motion: axe measures the page at rest, not a row's fade-in half way.
    }, { reducedMotion: 'reduce' });
  }
});

test('Races posts the same prediction detail as the other labs: id, question, answer, correct, step', async () => {
  await withPage('', async (page) => {
    const root = `${await base()}/?area=races&scenario=on-conflict&schedule=1,2,1,1,2,2,1&step=1&embed=1`;
    await page.setContent(`<iframe id="f" src="${root}" width="1200" height="800"></iframe>`);
    await page.evaluate(() => {
      window.seen = [];
      addEventListener('message', (e) => { if (e.data && e.data.source === 'idemlab') window.seen.push(e.data); });
    });
    const frame = page.frameLocator('#f');
    await frame.locator('.step-controls button.forward').click();
    await frame.locator('.predict-gate[data-state="asking"]').waitFor();
    await frame.locator('.predict-gate .predict-choice[data-choice="2"]').click();
    await page.waitForFunction(() => window.seen.some((m) => m.type === 'prediction'));
    const msg = await page.evaluate(() => window.seen.find((m) => m.type === 'prediction'));
    assert.equal(msg.area, 'races');
    assert.equal(msg.detail.id, 'on-conflict-1211221-step-2');
    assert.equal(msg.detail.step, 2);
    assert.equal(msg.detail.correct, true, 'option 2 is the right one (races.test.mjs: "Right")');
    assert.equal(msg.detail.revealed_without_answer, false);
    assert.match(msg.detail.question, /T2 runs INSERT/);
    assert.equal(typeof msg.detail.answer, 'string');
  });
});
