// Keys a presentation clicker can drive, keys that respect the focused
// control, the step caption, one announcement per step and the status line
// after a change (issues #21 and #29). Every lab comes from the registry
// (LABS); a lab without step controls is checked to have none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, settledUrl, counter, LABS } from './harness.mjs';

const stepOf = async (page) => Number(new URL(await settledUrl(page)).searchParams.get('step') || '0');

/** Every knob's value (sliders, switches, lists), by id. */
const knobValues = (page) => page.evaluate(() => Object.fromEntries(
  [...document.querySelectorAll('.lab-controls input, .lab-controls select')]
    .map((el) => [el.id, el.type === 'checkbox' ? String(el.checked) : el.value])));

/** Presses Tab until `pred(activeElement)` holds (at most `max` times); fails otherwise. */
async function tabTo(page, selector, max = 120) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  assert.fail(`Tab never reached ${selector}`);
}

/** Starts recording every change of text inside a live region (polite, assertive, status, alert, output). */
async function recordLive(page) {
  await page.evaluate(() => {
    window.__said = [];
    const LIVE = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"], output:not([aria-live="off"])';
    const seen = new Map();
    new MutationObserver((list) => {
      for (const m of list) {
        const node = m.target.nodeType === 1 ? m.target : m.target.parentElement;
        const region = node?.closest(LIVE);
        if (!region || region.closest('[aria-hidden="true"]')) continue;
        const text = region.textContent.trim();
        if (text && seen.get(region) !== text) {
          seen.set(region, text);
          window.__said.push({ region: region.id || region.className, text });
        }
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}
const said = (page) => page.evaluate(() => window.__said.splice(0));

for (const lab of LABS) {
  test(`${lab}: after a click on a knob, PageDown ×3 and PageUp ×1 step +3 and −1, no knob changes, and the caption names the step`, async () => {
    await withPage(`?area=${lab}&predict=0`, async (page) => {
      await page.waitForSelector(`[data-lab="${lab}"]`);
      if (await page.locator('.step-controls').count() === 0) {
        // A lab without a step-through has no caption either.
        assert.equal(await page.locator('#step-caption').count(), 0);
        return;
      }
      const knob = page.locator('.lab-controls input[type="range"]').first();
      const target = (await knob.count()) ? knob : page.locator('.step-controls .scrubber input');
      await target.scrollIntoViewIfNeeded();
      await target.click();
      assert.ok(await target.evaluate((el) => el === document.activeElement), 'the clicked knob has focus');
      const knobs = await knobValues(page);
      const from = await stepOf(page);
      const label = (await page.locator('.step-controls .step-count').innerText()).replace(/\s*\d+ \/ \d+$/, '');
      // The knob's new run has landed and named its effect; from here on only steps speak.
      await settledUrl(page);
      await page.waitForTimeout(400);
      await recordLive(page);
      // Registered after the app's listener, so it sees whether the app kept the key from scrolling.
      await page.evaluate(() => {
        window.__kept = [];
        document.addEventListener('keydown', (e) => window.__kept.push(`${e.key}:${e.defaultPrevented}`));
      });
      // At a presenter's pace: each press lands before the next.
      const shown = (n) => page.waitForFunction((k) => document.querySelector('#step-caption')?.dataset.step === String(k), n);
      for (let i = 1; i <= 3; i++) {
        await page.keyboard.press('PageDown');
        await shown(from + i);
      }
      await page.waitForFunction((to) => new URL(location.href).searchParams.get('step') === String(to), from + 3);
      assert.equal(await stepOf(page), from + 3, 'three steps forward');
      await page.keyboard.press('PageUp');
      await shown(from + 2);
      await page.waitForFunction((to) => new URL(location.href).searchParams.get('step') === String(to), from + 2);
      assert.deepEqual(await knobValues(page), knobs, 'no knob changed');
      await page.waitForTimeout(200);
      const heard = await said(page);
      assert.deepEqual(heard.map((h) => h.text.split(':')[0]),
        [1, 2, 3, 2].map((k) => `${label} ${from + k} of ${heard[0]?.text.match(/of (\d+)/)?.[1]}`),
        `one message per step: ${JSON.stringify(heard)}`);
      assert.deepEqual(await page.evaluate(() => window.__kept),
        ['PageDown:true', 'PageDown:true', 'PageDown:true', 'PageUp:true'], 'the page did not scroll and the knob did not move');
      const caption = await page.locator('#step-caption').innerText();
      assert.ok(caption.startsWith(`${label} ${from + 2}: `), `the caption names step ${from + 2}: ${caption}`);
      assert.ok(caption.length > `${label} ${from + 2}: `.length + 10, `the caption says what happened: ${caption}`);
      await page.locator('#step-caption').scrollIntoViewIfNeeded();
      await page.screenshot({ path: (await screenshot(page, `clicker-${lab}-1280x720-page`)).replace('-page.png', '.png') });
      // b blanks the stage; a step key brings it back without stepping.
      await page.keyboard.press('b');
      await page.waitForSelector('#blank-stage');
      await page.keyboard.press('PageDown');
      await page.waitForSelector('#blank-stage', { state: 'detached' });
      assert.equal(await stepOf(page), from + 2, 'the key that un-blanks does not step');
    }, { viewport: { width: 1280, height: 720 } });
  });
}

for (const lab of LABS) {
  test(`${lab} in presenter view: after a click on a knob, ArrowRight ×3 and ArrowLeft ×1 step +3 and −1 and no knob changes`, async () => {
    await withPage(`?area=${lab}&present=1&predict=0`, async (page) => {
      await page.waitForSelector(`[data-lab="${lab}"][data-view="present"]`);
      if (await page.locator('.step-controls').count() === 0) {
        assert.equal(await page.locator('#step-caption').count(), 0);
        return;
      }
      // The knobs are folded away on the stage; a presenter who opens them and clicks one
      // (the last thing clicked before the talk goes on) must not move it with the clicker.
      await page.locator('.present-more > summary').click();
      const knob = page.locator('.present-more .lab-controls input[type="range"]').first();
      const target = (await knob.count()) ? knob : page.locator('.step-controls .scrubber input');
      await target.scrollIntoViewIfNeeded();
      await target.click();
      assert.ok(await target.evaluate((el) => el === document.activeElement), 'the clicked knob has focus');
      await settledUrl(page);
      await page.waitForTimeout(400);
      const knobs = await knobValues(page);
      const from = await stepOf(page);
      const shown = (n) => page.waitForFunction((k) => document.querySelector('#step-caption')?.dataset.step === String(k), n);
      for (let i = 1; i <= 3; i++) {
        await page.keyboard.press('ArrowRight');
        await shown(from + i);
      }
      await page.keyboard.press('ArrowLeft');
      await shown(from + 2);
      await page.waitForFunction((to) => new URL(location.href).searchParams.get('step') === String(to), from + 2);
      assert.equal(await stepOf(page), from + 2, 'three steps forward, one back');
      assert.deepEqual(await knobValues(page), knobs, 'no knob changed');
      assert.equal(new URL(page.url()).searchParams.get('present'), '1', 'still in presenter view');
    }, { viewport: { width: 1280, height: 720 } });
  });
}

test('a slider reached with Tab keeps its own keys (arrows and PageUp/PageDown move the knob)', async () => {
  await withPage('?area=keys&predict=0&step=3', async (page) => {
    await page.waitForSelector('.lab-controls input[type="range"]');
    await page.locator('h2').first().click();
    await tabTo(page, '.lab-controls input[type="range"]');
    const slider = page.locator(':focus');
    const id = await slider.getAttribute('id');
    const before = Number(await slider.inputValue());
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(([sel, v]) => Number(document.getElementById(sel).value) > v, [id, before]);
    const after = Number(await page.locator(`#${id}`).inputValue());
    await page.keyboard.press('PageDown');
    await page.waitForFunction(([sel, v]) => Number(document.getElementById(sel).value) < v, [id, after]);
    assert.equal(await page.evaluate(() => document.activeElement.id), id, 'focus stays on the slider');
    // The knob change started a new run at step 0; the slider's keys never stepped it.
    assert.equal(await stepOf(page), 0);
    const text = await page.locator(`#${id}`).getAttribute('aria-valuetext');
    assert.match(text, /^\d+( (percent|milliseconds|seconds|per second))?$/, `value text with its unit: ${text}`);
    assert.equal(await page.locator(`output[for="${id}"][aria-live="off"]`).count(), 1, 'the output beside it is not live');
  });
});

test('Space on "Next step" steps once, and Space on the shortcuts button toggles aria-expanded', async () => {
  await withPage('?area=keys&predict=0', async (page) => {
    await page.waitForSelector('.step-controls');
    await page.locator('h2').first().click();
    await tabTo(page, '.step-controls .forward');
    await page.keyboard.press(' ');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
    await page.waitForTimeout(1500);
    assert.equal(await stepOf(page), 1, 'one step, and Play did not start');
    assert.equal(await page.locator('.step-controls .play').getAttribute('aria-pressed'), 'false');
    const help = page.locator('.shortcuts-button');
    await help.focus();
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('.shortcuts-button').getAttribute('aria-expanded') === 'true');
    const rules = await page.locator('#step-shortcuts').innerText();
    assert.match(rules, /PageDown/);
    assert.match(rules, /browse mode/);
    assert.match(rules, /focus mode/);
    await page.locator('#step-shortcuts').screenshot({ path: (await screenshot(page, 'shortcuts-overlay-page')).replace('-page.png', '.png') });
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('.shortcuts-button').getAttribute('aria-expanded') === 'false');
    // Speed speaks its value with its unit.
    assert.match(await page.locator('.step-controls .speed input').getAttribute('aria-valuetext'), /one step every [\d.]+ s/);
  });
});

test('stepping through Races\u2019 default run says one thing per step: the reason at the decisive step, the outcome at the end', async () => {
  await withPage('?area=races&predict=0', async (page) => {
    await page.waitForSelector('.step-controls');
    const last = Number((await page.locator('.step-controls .step-count').innerText()).match(/\/ (\d+)/)[1]);
    const decisive = Number(await page.locator('.step-controls .jump').getAttribute('data-jump'));
    assert.ok(decisive > 0 && decisive <= last);
    await page.locator('h2').first().click();
    await recordLive(page);
    const messages = [];
    for (let s = 1; s <= last; s++) {
      await page.keyboard.press('PageDown');
      await page.waitForFunction((n) => document.querySelector('#step-caption')?.dataset.step === String(n), s);
      await page.waitForTimeout(150);
      const heard = await said(page);
      assert.equal(heard.length, 1, `step ${s}: one message, heard ${JSON.stringify(heard)}`);
      assert.ok(heard[0].text.startsWith(`Step ${s} of ${last}: `), heard[0].text);
      messages.push(heard[0].text);
    }
    assert.match(messages[decisive - 1], /Why: /, `the decisive step gives the reason: ${messages[decisive - 1]}`);
    assert.match(messages[last - 1], /Outcome: \d+ charges?, .*: (double charge|charged once|no charge)\.$/, messages[last - 1]);
    // The caption shows the same words the reader heard.
    const caption = await page.locator('#step-caption').innerText();
    assert.match(caption, /Outcome: /);
  });
});

test('changing About\u2019s "Receiver deduplicates" with the keyboard names the changed count once, and the title follows the area', async () => {
  await withPage('?area=about&predict=0', async (page) => {
    await page.waitForSelector('#about-dedup');
    assert.match(await page.title(), /^About: /);
    const before = await counter(page, 'duplicate_effects');
    await page.locator('h2').first().click();
    await recordLive(page);
    await tabTo(page, '#about-dedup');
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('#change-status')?.textContent.includes('was'));
    await page.waitForTimeout(300);
    const heard = await said(page);
    assert.equal(heard.length, 1, JSON.stringify(heard));
    const after = await counter(page, 'duplicate_effects');
    assert.notEqual(after, before, 'the run changed');
    assert.ok(heard[0].text.includes(`Effects applied twice or more: ${after}, was ${before}`), heard[0].text);
    assert.match(await page.title(), /^About: custom settings/);
    await page.locator('nav[aria-label="Labs"] a[data-area="keys"]').click();
    await page.waitForFunction(() => document.title.startsWith('Keys: '));
  });
  // A lesson shows a lab inside the Recall page, which keeps its own title.
  await withPage('?area=recall&lesson=four-outcomes&stop=2', async (page) => {
    await page.waitForSelector('.lesson-screen [data-lab="keys"]');
    assert.match(await page.title(), /^Recall · /);
  });
});

for (const viewport of [{ width: 1280, height: 720 }, { width: 390, height: 844 }]) {
  test(`the step caption at ${viewport.width}×${viewport.height}, at Keys' decisive step`, async () => {
    await withPage('?area=keys&preset=crash-window&predict=0', async (page) => {
      await page.waitForSelector('.step-controls .jump');
      await page.locator('.step-controls .jump').click();
      const to = await page.locator('.step-controls .jump').getAttribute('data-jump');
      await page.waitForFunction((n) => document.querySelector('#step-caption')?.dataset.step === n, to);
      await page.locator('#step-caption').scrollIntoViewIfNeeded();
      await page.screenshot({ path: (await screenshot(page, `caption-keys-${viewport.width}`)).replace('.png', '-view.png') });
    }, { viewport });
  });
}
