// One lab shape: every lab behaves the same after a change of setup. A knob
// change starts a new run at step 0 and drops the preset (the setup is now
// custom); picking a preset starts at step 0 too; a step moves only the step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, setRange, openMore, settledUrl, LABS } from './harness.mjs';

const param = async (page, k) => new URL(await settledUrl(page)).searchParams.get(k);

// Every lab with a slider: Races' one knob is its scenario, chosen by preset.
for (const area of LABS.filter((a) => a !== 'races')) {
  test(`${area}: a knob change restarts at step 0 and makes the setup custom`, async () => {
    await withPage(`?area=${area}`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"] a.preset`);
      // Pick the second preset: a preset link starts at step 0.
      const second = page.locator('a.preset').nth(1);
      const slug = await second.getAttribute('data-preset');
      await second.click();
      await page.waitForFunction((s) => new URL(location.href).searchParams.get('preset') === s, slug);
      assert.equal(await param(page, 'step'), '0');
      // Move the step where the lab has a step-through.
      const next = page.locator('.step-controls button.forward');
      if (await next.count()) {
        await next.click();
        await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
        assert.equal(await param(page, 'preset'), slug, 'a step keeps the preset');
      }
      // A knob change: the first slider of the panel, to its other end.
      await openMore(page);
      const slider = page.locator('.controls input[type=range]').first();
      const id = await slider.getAttribute('id');
      const [min, max, now] = await slider.evaluate((el) => [el.min, el.max, el.value]);
      await setRange(page, `#${id}`, now === max ? min : max);
      await page.waitForFunction(() => !new URL(location.href).searchParams.has('preset'));
      assert.equal(await param(page, 'step'), '0', `${area}: the knob change did not restart at step 0`);
    });
  });
}

test('races: picking a scenario starts at step 0, a step moves only the step', async () => {
  await withPage('?area=races&scenario=select-then-insert&step=4&predict=0', async (page) => {
    await page.waitForSelector('[data-lab="races"] a.preset');
    await page.locator('a.preset[data-preset="on-conflict"]').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('preset') === 'on-conflict');
    assert.equal(await param(page, 'step'), '0');
    await page.locator('.step-controls button.forward').click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
    assert.equal(await param(page, 'preset'), 'on-conflict');
  });
});

// The step keys are listened for on the document, outside any one render:
// pressing j right after a knob change (the cursor still at step 0) once
// stepped the link from before the change, undoing the change.
// registry: cases (labs with both a slider and steps)
for (const area of ['keys', 'retries', 'outbox']) {
  test(`${area}: j right after a knob change steps the new run and keeps the change`, async () => {
    await withPage(`?area=${area}&predict=0`, async (page) => {
      await page.waitForSelector('.step-controls');
      await openMore(page);
      const slider = page.locator('.controls input[type=range]:not([disabled])').first();
      const id = await slider.getAttribute('id');
      const key = id.replace(`${area}-`, '');
      const [min, max, now] = await slider.evaluate((el) => [el.min, el.max, el.value]);
      const to = now === max ? min : max;
      await setRange(page, `#${id}`, to);
      await page.waitForFunction(([k, v]) => new URL(location.href).searchParams.get(k) === v, [key, to]);
      assert.equal(await param(page, 'step'), '0');
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('j');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
      assert.equal(await param(page, key), to, `${area}: j undid the knob change`);
      assert.equal(await page.locator(`#${id}`).inputValue(), to);
    });
  });
}
