// Predict honestly, continued (issue 22): a prompt at every decisive moment
// that had none (side by side, Outbox's dual writes, Keys' 409 and new
// charges, About's effect), nothing on screen that answers it before the
// answer, the room's keyboard and "Reveal (we voted)" in side by side, the
// switch that works there, and the digit hint gone on a touch screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { withPage, settledUrl, SHOTS } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const stepOf = (url) => Number(new URL(url).searchParams.get('step') || '0');

const SIDE = { area: 'races', search: 'scenario=select-then-insert&mode=side', label: 'Step' };

// Presets whose run asks, with the phrases the answer uses (its reveal, its
// preset line, its banner, its jump button, its outcome): none may be on
// screen before the answer.
// registry: cases (one preset per line, with its outcome phrases)
const SPOILERS = [
  { ...SIDE, phrases: [/outcomes differ/i, /charges? on the (left|right)/i, /double charge/i, /Jump to the second charge/, /Both charge/] },
  { area: 'outbox', search: 'preset=lost', label: 'Record', phrases: [/nobody ever sends the event/i, /no retry can find it/i, /Jump to the failure/] },
  { area: 'outbox', search: 'preset=ghost', label: 'Record', phrases: [/order that does not exist/i, /shipped it anyway/i, /Jump to the failure/] },
  { area: 'keys', search: 'preset=no-key', label: 'Step', phrases: [/the provider charges again/i, /a second time/i, /charged AGAIN/, /Jump to the failure/] },
  { area: 'keys', search: 'preset=slow-409', label: 'Step', phrases: [/answers 409 until the first completes/i, /answered 409 Conflict/i] },
  { area: 'keys', search: 'preset=reused-key', label: 'Step', phrases: [/replays the first charge's response/i, /answered 409 Conflict/i] },
  { area: 'about', search: 'preset=at-least-once', label: 'Record', phrases: [/applies their effect twice/i, /happened twice/i, /effects repeated/i, /AGAIN \(attempt/] },
  { area: 'about', search: 'preset=effectively-once', label: 'Record', phrases: [/took effect exactly once/i, /skipped attempt/i, /every effect once/i] },
  { area: 'about', search: 'preset=at-most-once', label: 'Record', phrases: [/an effect that never happens/i, /effects lost/i, /its effect never happens/i] },
];

/**
 * Waits for the prompt to ask and checks the screen agrees on one step: the
 * counter stands just before the step the note and the status say waits.
 * Returns the step that waits.
 */
async function findsPrompt(page, c, how) {
  const gate = page.locator('.predict-gate[data-state="asking"]');
  await gate.waitFor({ timeout: 8000 }).catch(() => assert.fail(`${c.area} ${c.search} ${how}: the prompt asks`));
  const d = Number(await gate.getAttribute('data-step'));
  const count = await page.locator('.step-controls .step-count').first().innerText();
  const m = count.match(/(\d+) \/ (\d+)/);
  assert.ok(m, `${c.area} ${how}: a counter (${count})`);
  assert.equal(Number(m[1]), d - 1, `${c.area} ${c.search} ${how}: the counter (${count}) stands just before step ${d}`);
  assert.match(await page.locator('.predict-status').innerText(), new RegExp(`^${c.label} ${d} waits for your prediction\\.`));
  return d;
}

/** Reveals every question of the run in turn, as a room would. */
async function revealAll(page) {
  for (let i = 0; i < 10 && (await page.locator('.predict-gate[data-state="asking"]').count()); i++) {
    await page.locator('.predict-gate[data-state="asking"] .predict-reveal-room').click();
    await page.waitForTimeout(200);
  }
}

for (const s of SPOILERS) {
  test(`${s.area} (${s.search}): a prompt stands at the decisive step, and before the answer nothing on screen gives it away`, async () => {
    for (const at of ['0', '999']) {
      await withPage(`?area=${s.area}&${s.search}&step=${at}`, async (page) => {
        let d = null;
        if (at === '999') d = await findsPrompt(page, s, 'step=999');
        else assert.ok(await page.locator('#predict-switch, #races-predict').first().innerText().then((t) => t.endsWith(': on')), 'the switch reads on');
        const text = await page.locator('main').innerText();
        for (const re of s.phrases) assert.doesNotMatch(text, re, `${s.area} ${s.search} at step=${at}: "${re}" is on screen`);
        assert.doesNotMatch(text, /nothing to ask in this run/, `${s.area} ${s.search}: the run asks`);
        if (d !== null) {
          const drawn = await page.locator('.timeline [data-step], .message-strip [data-step]').evaluateAll((els) => els.map((e) => Number(e.dataset.step)));
          assert.ok(drawn.every((x) => x < d), `${s.area} ${s.search}: the picture draws nothing from step ${d} on (${Math.max(...drawn)})`);
          assert.equal(await page.locator('.lab-evidence').getAttribute('data-outcome'), 'hidden', 'the evidence is covered');
          await revealAll(page);
          await page.waitForFunction(() => document.querySelector('.lab-evidence')?.dataset.outcome === 'shown');
          // Answered, the outcome the phrases name may show: at least one of them does, at the end.
          await page.locator('.step-controls button.last').click().catch(() => {});
          await revealAll(page);
          await page.waitForTimeout(300);
          const after = await page.locator('main').innerText();
          assert.ok(s.phrases.some((re) => re.test(after)), `${s.area} ${s.search}: after the answer the outcome shows (${s.phrases.join(' ')})`);
        }
      });
    }
  });
}

test('side by side: the predict switch reads what the link says, and turns the prompt off and on', async () => {
  await withPage(`?area=races&${SIDE.search}&step=999`, async (page) => {
    const sw = page.locator('#races-predict');
    assert.equal(await sw.innerText(), 'Predict before decisive steps: on');
    assert.equal(await sw.getAttribute('aria-checked'), 'true');
    await findsPrompt(page, SIDE, 'step=999');
    await sw.click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('predict') === '0');
    assert.equal(await sw.innerText(), 'Predict before decisive steps: off');
    assert.equal(await sw.getAttribute('aria-checked'), 'false');
    assert.equal(await page.locator('.predict-gate').count(), 0, 'no prompt with the switch off');
    assert.match(await page.locator('#races-compare').innerText(), /outcomes differ|Same number of charges/);
    await sw.click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('predict') !== '0');
    assert.equal(await sw.innerText(), 'Predict before decisive steps: on');
    // The switch is a setting: the run starts again at step 0, and the question waits in front of its step.
    await page.locator('.step-controls button.last').click();
    await findsPrompt(page, SIDE, 'switched on again, Last step');
  });
});

test('side by side: a room answers with the keyboard alone (focus, 2, Enter), and the banner tells the outcome after', async () => {
  let d = 0;
  await withPage(`?area=races&${SIDE.search}&step=999`, async (page) => { d = await findsPrompt(page, SIDE, 'step=999'); });
  await withPage(`?area=races&${SIDE.search}&step=${d - 1}`, async (page) => {
    assert.doesNotMatch(await page.locator('#races-compare').innerText(), /differ|Same number/, 'the banner is neutral');
    await page.locator('.step-controls button.forward').focus();
    await page.keyboard.press('Enter');
    await findsPrompt(page, SIDE, 'Enter on Next step');
    await page.waitForFunction(() => document.activeElement?.closest('.predict-gate'), null, { timeout: 2000 })
      .catch(() => assert.fail('focus moves to the prompt'));
    assert.equal(await page.locator('.predict-gate .predict-choice').count(), 4, 'left, right, both, neither');
    await page.keyboard.press('2');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.choice), '1', '2 picks the second choice');
    await page.keyboard.press('Enter');
    const reveal = page.locator('.predict-gate[data-state="revealed"] .predict-reveal');
    await reveal.waitFor();
    assert.match(await reveal.innerText(), /^(✓ Right\.|✗ Not quite\.) /);
    assert.match(await reveal.innerText(), /The left side \(.*\) charged .* The right side \(/);
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d);
    assert.match(await page.locator('#races-compare').innerText(), /outcomes differ|Same number of charges/);
  });
});

test('side by side: "Reveal (we voted)" shows the answer without recording one, and the step happens', async () => {
  let d = 0;
  await withPage(`?area=races&${SIDE.search}&step=999`, async (page) => { d = await findsPrompt(page, SIDE, 'step=999'); });
  await withPage(`?area=races&${SIDE.search}&step=${d - 1}`, async (page) => {
    await page.locator('.step-controls button.last').click();
    await findsPrompt(page, SIDE, 'Last step');
    assert.ok(stepOf(await settledUrl(page)) < d, 'Last step did not pass the question');
    await page.locator('.predict-reveal-room').click();
    const reveal = page.locator('.predict-gate[data-state="revealed"] .predict-reveal');
    await reveal.waitFor();
    assert.equal(await reveal.getAttribute('data-room'), 'true');
    assert.match(await reveal.innerText(), /^Revealed without a recorded answer\. The answer is \d: /);
    assert.equal(await page.locator('.predict-choice[aria-pressed="true"]').count(), 0, 'no choice recorded');
    await page.waitForFunction(() => /step=\d+/.test(location.search) && Number(new URL(location.href).searchParams.get('step')) > 0);
  });
});

test('an answered step says one message: the reveal, not the step announcement as well', async () => {
  const c = SPOILERS.find((x) => x.search === 'preset=lost');
  let d = 0;
  await withPage(`?area=${c.area}&${c.search}&step=999`, async (page) => { d = await findsPrompt(page, c, 'step=999'); });
  await withPage(`?area=${c.area}&${c.search}&step=${d - 1}`, async (page) => {
    const before = await page.locator('#step-announce').textContent();
    await page.locator('.step-controls button.forward').click();
    await findsPrompt(page, c, 'Next step');
    await page.locator('.predict-gate .predict-choice').first().click();
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d);
    await page.waitForTimeout(300);
    assert.equal(await page.locator('#step-announce').textContent(), before, 'the step is not announced on top of the reveal');
    assert.equal(await page.locator('.predict-reveal[role="status"]').count(), 0, 'the reveal is read once, by focus');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('predict-reveal')), true);
    // The next move is announced as before.
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('j');
    await page.waitForFunction((b) => document.querySelector('#step-announce').textContent !== b, before);
    assert.match(await page.locator('#step-announce').textContent(), new RegExp(`^Record ${d + 1} of `));
  });
});

test('axe finds no serious or critical violation with the side-by-side prompt up', async () => {
  await withPage(`?area=races&${SIDE.search}&step=999`, async (page) => {
    await findsPrompt(page, SIDE, 'step=999');
    await page.evaluate(AXE);
    const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })));
    assert.deepEqual(found, [], JSON.stringify(found, null, 1));
  }, { reducedMotion: 'reduce' });
});

test('screenshots of the side-by-side prompt at 1280 × 720 presenter and 390 × 844: the prompt fits with the picture', async () => {
  for (const [w, h, extra] of [[1280, 720, '&present=1'], [390, 844, '']]) {
    await withPage(`?area=races&${SIDE.search}&step=999${extra}`, async (page) => {
      await findsPrompt(page, SIDE, `${w}×${h}`);
      await page.locator('.predict-gate').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}/prompt-side-${w}x${h}.png` });
      const text = await page.locator('main').innerText();
      for (const re of SPOILERS[0].phrases) assert.doesNotMatch(text, re);
      if (w === 1280) {
        const box = await page.locator('.predict-gate').boundingBox();
        assert.ok(box && box.y >= 0 && box.y + box.height <= h, `the prompt fits ${w}×${h} (${JSON.stringify(box)})`);
      }
    }, { viewport: { width: w, height: h } });
  }
});

test('on a touch screen the "Press 1 to n" hint is hidden; with a fine pointer it shows', async () => {
  for (const touch of [true, false]) {
    await withPage(`?area=races&${SIDE.search}&step=999`, async (page) => {
      await findsPrompt(page, SIDE, touch ? 'touch' : 'mouse');
      assert.equal(await page.locator('.predict .predict-keys').isVisible(), !touch, touch ? 'hidden on touch' : 'shown with a mouse');
    }, touch ? { viewport: { width: 390, height: 844 }, touch: true } : {});
  }
});
