// The first screen of a laptop in a classroom (#21 item 6) and the marks a
// projector must show (#21 item 5): at 1280 × 800 every lab's preset chips
// take at most two rows (a short chip keeps its full title as its
// description), Keys' sequence diagram shows all five lanes, and at 1280
// wide every meaningful mark in a picture is at least 12 px in its short
// side. Marks outside the SVG that carry a state (badges, chips, the acting
// actor, the current record) reach 3 : 1 against what is behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, LABS, AREAS } from './harness.mjs';

/** Runs in the page: the preset chips' rows, and each chip's words and description. */
function presetRows() {
  const chips = [...document.querySelectorAll('.presets a.preset')];
  const tops = [...new Set(chips.map((c) => Math.round(c.getBoundingClientRect().top)))];
  return {
    rows: tops.length,
    chips: chips.map((c) => ({ slug: c.dataset.preset, text: c.textContent.trim(), title: c.getAttribute('title'), right: c.getBoundingClientRect().right })),
    vw: innerWidth,
  };
}

for (const lab of LABS) {
  test(`${lab} at 1280 x 800: the preset chips take at most two rows, none off screen`, async () => {
    await withPage(`?area=${lab}&predict=0`, async (page) => {
      await page.waitForSelector(`[data-lab="${lab}"] a.preset`);
      const r = await page.evaluate(presetRows);
      assert.ok(r.chips.length >= 2, `${lab}: ${r.chips.length} chips`);
      assert.ok(r.rows <= 2, `${lab}: the chips take ${r.rows} rows: ${r.chips.map((c) => c.text).join(' | ')}`);
      for (const c of r.chips) {
        assert.ok(c.right <= r.vw, `${lab}: the chip ${c.slug} ends at ${c.right}, off a ${r.vw} px screen`);
        // A shortened chip says its full title as its description (tooltip and screen reader).
        if (c.title !== null) assert.ok(c.title.length > 0 && c.title !== c.text, `${lab}: ${c.slug}'s description repeats its words`);
      }
      await screenshot(page, `stage-presets-${lab}-1280x800`);
    }, { viewport: { width: 1280, height: 800 } });
  });
}

test('Keys at 1280 x 800: all five lanes of the sequence diagram are in the first screen under the preset rows', async () => {
  await withPage('?area=keys&preset=no-key&predict=0', async (page) => {
    await page.waitForSelector('.keys-diagram svg .lane-bg');
    const lanes = await page.evaluate(() => [...document.querySelectorAll('.keys-diagram svg .lane-bg')]
      .map((l) => ({ top: l.getBoundingClientRect().top, bottom: l.getBoundingClientRect().bottom })));
    assert.equal(lanes.length, 5, 'five lanes: client, network, server, key store, provider');
    for (const [i, l] of lanes.entries()) {
      assert.ok(l.top >= 0 && l.bottom <= 800, `lane ${i + 1} spans y ${l.top}..${l.bottom}, outside the first 800 px`);
    }
    await screenshot(page, 'stage-keys-1280x800');
  }, { viewport: { width: 1280, height: 800 } });
});

/** Runs in the page: every mark in a picture's SVG that carries meaning, with its drawn size. */
function markSizes() {
  const out = [];
  const MARKS = '[class*="tl-"] rect, [class*="tl-"] path.mark, .marker-glyph, .lost-x';
  for (const svg of document.querySelectorAll('.lab-picture svg.timeline')) {
    for (const el of svg.querySelectorAll(MARKS)) {
      if (el.closest('defs')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      out.push({ cls: el.getAttribute('class') || el.parentElement.getAttribute('class'), w: r.width, h: r.height });
    }
  }
  return out;
}

for (const area of LABS) {
  test(`every meaningful mark in the ${area} timeline is at least 12 px in its short side at 1280 wide`, async () => {
    await withPage(`?area=${area}&predict=0`, async (page) => {
      const last = page.locator('.step-controls button.last');
      if (await last.count() > 0 && await last.isEnabled()) await last.click();
      await page.waitForTimeout(300);
      const found = await page.evaluate(markSizes);
      const small = found.filter((m) => Math.min(m.w, m.h) < 12);
      const seen = [...new Set(small.map((m) => `${m.cls} ${m.w.toFixed(1)}×${m.h.toFixed(1)}`))];
      assert.deepEqual(seen, [], `${area}: marks under 12 px`);
    }, { viewport: { width: 1280, height: 800 } });
  });
}

// #29: a lesson stop's answers were 12 to 15 Tabs from the top (the skip
// link, the site's area links, "← Recall", then every stop of the lesson).
// The list of stops now follows the lesson's own links, so the count no
// longer grows with the lesson. Since then the glossary made the tagline's
// four words and the stop's own terms Tab stops (their explanations show on
// focus), and Learn joined the area links: from the top the first answer is
// 17 Tabs on this stop, and through "Skip to the lab" it is 1 Tab, Enter and
// 5 Tabs ("← Learn", the stop's three terms, the answer).
async function tabsToAnswer(page) {
  const path = [];
  for (let n = 1; n <= 40; n++) {
    await page.keyboard.press('Tab');
    const [text, isAnswer] = await page.evaluate(() => [document.activeElement.textContent.trim().slice(0, 40), document.activeElement.matches('.predict-choice')]);
    path.push(text);
    if (isAnswer) break;
  }
  return path;
}
test('a lesson stop\u2019s first answer is 5 Tabs past the skip link, before the list of stops', async () => {
  await withPage('?area=recall&lesson=four-outcomes&stop=2', async (page) => {
    await page.waitForSelector('.lesson-screen .predict-choice, .lessons .predict-choice');
    const fromTop = await tabsToAnswer(page);
    assert.ok(fromTop.length <= 17, `the first answer took ${fromTop.length} Tabs from the top: ${fromTop.join(' | ')}`);
    console.log(`BENCH a11y lesson-answer-tabs: ${fromTop.length} from the top`);
    await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
    await page.reload();
    await page.waitForSelector('.lesson-screen .predict-choice, .lessons .predict-choice');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Skip to the lab');
    await page.keyboard.press('Enter');
    const path = await tabsToAnswer(page);
    assert.ok(path.length <= 5, `past the skip link the first answer took ${path.length} Tabs: ${path.join(' | ')}`);
    // The stops are still one list of links, after the question and the lesson's links.
    const order = await page.evaluate(() => {
      const stops = document.querySelector('nav.lesson-stops');
      const answer = document.querySelector('.predict-choice');
      return stops && answer ? answer.compareDocumentPosition(stops) & Node.DOCUMENT_POSITION_FOLLOWING : 0;
    });
    assert.ok(order, 'the list of stops follows the question');
    assert.match(await page.locator('.lesson-progress').innerText(), /Stop 2 of \d+/);
  });
});
