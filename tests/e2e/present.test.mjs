// The presenter view (#21): `present=1` turns every lab into a stage for a
// projector. At 1280 × 720 and 1920 × 1080 the picture and its step
// controls fit the screen together; the lane labels are at least 1.4 × larger
// at 1080p than at 720p; presets, knobs and prose fold away; the switch
// writes the view into the link, and area links keep it. Screenshots of
// every lab at both sizes are kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, LABS } from './harness.mjs';

const SIZES = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
];

/** The stage's boxes, in viewport pixels, and a lane label's drawn height. */
function stage() {
  const r = (el) => el && el.getBoundingClientRect();
  const pic = document.querySelector('.lab-picture');
  const controls = pic && pic.querySelector('.step-controls');
  const label = document.querySelector('.lab-picture svg.timeline .lane-label');
  const folded = document.querySelector('.present-more');
  return {
    vh: innerHeight, vw: innerWidth, scrollY,
    picTop: r(pic)?.top, controlsBottom: r(controls)?.bottom, hasControls: !!controls,
    figureBottom: r(pic?.querySelector('svg.timeline, figure.chart, .outbox-pipeline, .message-strip, svg'))?.bottom,
    label: label ? r(label).height : null,
    folded: folded ? !folded.open : null,
    knobsShown: [...document.querySelectorAll('.lab-controls')].some((el) => el.checkVisibility()),
    presetsShown: [...document.querySelectorAll('.presets')].some((el) => el.checkVisibility()),
  };
}

for (const area of LABS) {
  test(`${area} in presenter view: picture and step controls fit 1280 x 720 and 1920 x 1080, and the rest folds away`, async () => {
    const seen = {};
    for (const size of SIZES) {
      await withPage(`?area=${area}&present=1&predict=0`, async (page) => {
        await page.waitForSelector(`[data-lab="${area}"][data-view="present"]`);
        assert.equal(await page.evaluate(() => document.documentElement.hasAttribute('data-present')), true);
        const s = await page.evaluate(stage);
        seen[size.width] = s;
        await screenshot(page, `present-${area}-${size.width}`);
        assert.equal(s.folded, true, `${area}: the presets, knobs and prose are folded away`);
        assert.equal(s.knobsShown, false, `${area}: knobs show on the stage`);
        assert.equal(s.presetsShown, false, `${area}: presets show on the stage`);
        assert.ok(s.picTop >= 0 && s.picTop < s.vh / 3, `${area} at ${size.width}: the picture starts at ${s.picTop} px`);
        if (s.hasControls) {
          assert.ok(s.controlsBottom <= s.vh, `${area} at ${size.width}: the step controls end at ${s.controlsBottom} px, below ${s.vh}`);
        }
        assert.ok(s.figureBottom <= s.vh, `${area} at ${size.width}: the picture ends at ${s.figureBottom} px, below ${s.vh}`);
      }, { viewport: size });
    }
    if (seen[1280].label !== null) {
      const ratio = seen[1920].label / seen[1280].label;
      assert.ok(ratio >= 1.4, `${area}: lane labels are ${ratio.toFixed(2)} x larger at 1920 x 1080 than at 1280 x 720 (want 1.4)`);
    }
  });
}

test('the presenter switch writes present=1 into the link, and moving to another area keeps it', async () => {
  await withPage('?area=races', async (page) => {
    await page.locator('a.present-switch').click();
    await page.waitForSelector('[data-view="present"]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('present') === '1');
    assert.equal(await page.locator('a.present-switch').getAttribute('aria-checked'), 'true');
    await page.locator('a.present-switch').click();
    await page.waitForFunction(() => !document.documentElement.hasAttribute('data-present'));
    assert.equal(await page.locator('[data-view="present"]').count(), 0);
  });
});
