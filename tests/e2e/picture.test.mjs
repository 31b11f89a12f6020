// Picture first, on every lab: at 1280 × 800 the picture and its step
// controls are in the first screen without scrolling, and so they are in a
// 640 × 560 embed; `view=` trims an embed; timeline labels never overlap and
// no text in the picture is drawn under 11 px. Screenshots of both sizes are
// saved for every lab.
//
// Every lab area is opened and must render. A lab page whose source does not
// use the shared LabLayout yet is marked `todo` (it runs and reports, but
// does not fail the suite); that follows the source, so once a lab moves onto
// the shell its check counts with no edit here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withPage, screenshot, settledUrl, LABS } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const onShell = (area) => readFileSync(join(here, '..', '..', 'src', 'labs', `${area}.rs`), 'utf8').includes('<LabLayout');

/** Where the picture and its step controls sit, in viewport pixels. */
async function pictureBoxes(page) {
  return page.evaluate(() => {
    const r = (el) => el && (({ top, bottom, left, right, width, height }) => ({ top, bottom, left, right, width, height }))(el.getBoundingClientRect());
    const pic = document.querySelector('.lab-picture');
    const figure = pic && pic.querySelector('svg.timeline, figure.chart, .outbox-pipeline, .message-strip, svg');
    return {
      vw: innerWidth, vh: innerHeight, scrollY,
      picture: r(pic), figure: r(figure), controls: r(pic && pic.querySelector('.step-controls')),
      docWidth: document.documentElement.scrollWidth,
    };
  });
}

function assertInFirstScreen(b, what) {
  assert.ok(b.picture, `${what}: the page has no .lab-picture (it is not on the shared LabLayout)`);
  assert.equal(b.scrollY, 0);
  assert.ok(b.figure, `${what}: the picture has no figure`);
  assert.ok(b.picture.top >= 0 && b.picture.top < b.vh / 2, `${what}: the picture starts at ${b.picture.top} px of ${b.vh}`);
  assert.ok(b.figure.top < b.vh - 120, `${what}: the figure starts at ${b.figure.top} px, below the first screen (${b.vh})`);
  if (b.controls) assert.ok(b.controls.bottom <= b.vh, `${what}: the step controls end at ${b.controls.bottom} px, below ${b.vh}`);
}

for (const area of LABS) {
  const todo = onShell(area) ? false : `src/labs/${area}.rs is not on the shared LabLayout yet`;

  test(`the ${area} picture and its step controls are in the first screen at 1280 x 800`, { todo }, async () => {
    await withPage(`?area=${area}`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`);
      // The home page opens with Start here, the incidents people arrive with (issue 23); its lab follows.
      if (area === 'about') {
        const start = await page.locator('.start-here').evaluate((el) => el.getBoundingClientRect().top);
        assert.ok(start >= 0 && start < 400, `Start here begins at ${start} px`);
        await page.locator('[data-lab="about"] .lab-picture').scrollIntoViewIfNeeded();
        await page.evaluate(() => window.scrollTo(0, document.querySelector('[data-lab="about"]').getBoundingClientRect().top + scrollY));
      }
      const b = await pictureBoxes(page);
      await screenshot(page, `picture-first-${area}-1280`);
      await page.screenshot({ path: join(here, 'screenshots', `picture-first-${area}-1280-viewport.png`) });
      assertInFirstScreen({ ...b, scrollY: area === 'about' ? 0 : b.scrollY }, `${area} at 1280 x 800`);
      assert.ok(b.figure.bottom <= b.vh + 1, `${area}: the figure ends at ${b.figure.bottom} px, below ${b.vh}`);
    }, { viewport: { width: 1280, height: 800 } });
  });

  test(`the ${area} picture leads a 640 x 560 embed, and view=picture shows only the picture`, { todo }, async () => {
    await withPage(`?area=${area}&embed=1`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`);
      const b = await pictureBoxes(page);
      await page.screenshot({ path: join(here, 'screenshots', `picture-embed-${area}-640x560.png`) });
      assertInFirstScreen(b, `${area} in a 640 x 560 embed`);
      assert.ok(b.docWidth <= b.vw, `${area}: the embed scrolls sideways (${b.docWidth} px wide)`);
    }, { viewport: { width: 640, height: 560 } });
    await withPage(`?area=${area}&embed=1&view=picture`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`);
      assert.equal(await page.locator('.lab-picture').count(), 1);
      assert.equal(await page.locator('.lab-controls, .lab-evidence, .presets').count(), 0, 'view=picture shows the picture alone');
    }, { viewport: { width: 640, height: 560 } });
    await withPage(`?area=${area}&embed=1&view=picture%2Bevidence`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`);
      assert.equal(await page.locator('.lab-evidence').count(), 1);
      assert.equal(await page.locator('.lab-controls').count(), 0);
      assert.equal(await page.locator('.link-warning').count(), 0, 'picture+evidence is a known view');
    }, { viewport: { width: 640, height: 560 } });
  });

  test(`no text in the ${area} picture is under 11 px, even at 390 px wide, and the page does not scroll sideways`, { todo }, async () => {
    await withPage(`?area=${area}`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`);
      assert.equal(await page.locator('.lab-picture').count(), 1, 'the page has a .lab-picture');
      const small = await page.evaluate(() => [...document.querySelectorAll('.lab-picture svg text')]
        .filter((t) => getComputedStyle(t).visibility !== 'hidden' && t.textContent.trim() && t.getBoundingClientRect().width > 0)
        .map((t) => {
          const svg = t.ownerSVGElement;
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          return { text: t.textContent.slice(0, 30), px: parseFloat(getComputedStyle(t).fontSize) * scale };
        })
        .filter((t) => t.px < 10.95));
      assert.deepEqual(small, [], 'text drawn under 11 px');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the page is ${width} px wide at 390`);
      await screenshot(page, `picture-narrow-${area}-390`);
    }, { viewport: { width: 390, height: 844 } });
  });
}

test('timeline labels never overlap one another (Keys, every preset, at the last step)', async () => {
  for (const preset of ['correct', 'no-key', 'volatile-crash', 'reused-key', 'short-ttl']) {
    await withPage(`?area=keys&preset=${preset}&step=999&predict=0`, async (page) => {
      await page.waitForSelector('svg.timeline');
      const overlaps = await page.evaluate(() => {
        const boxes = [...document.querySelectorAll('svg.timeline .tl-label')]
          .filter((t) => t.textContent.trim())
          .map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }));
        const out = [];
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i].r, b = boxes[j].r;
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 1 && h > 1) out.push(`${boxes[i].text} × ${boxes[j].text}`);
          }
        }
        return out;
      });
      assert.deepEqual(overlaps, [], `${preset}: overlapping labels`);
      assert.ok(await page.locator('svg.timeline .tick-label').count() >= 4, 'the time axis has ticks');
      if (preset === 'volatile-crash') await screenshot(page, 'timeline-keys-volatile-crash-end');
    });
  }
});

test('the whole run is drawn faintly at step 0, so the lanes are never empty', async () => {
  await withPage('?area=keys&preset=no-key&predict=0', async (page) => {
    await page.waitForSelector('svg.timeline');
    const ahead = await page.locator('svg.timeline g.ahead').count();
    assert.ok(ahead >= 5, `only ${ahead} items drawn ahead of the cursor`);
    const opacity = await page.locator('svg.timeline g.ahead').first().evaluate((g) => Number(getComputedStyle(g).opacity));
    assert.ok(opacity > 0 && opacity < 0.5, `ahead items are faint (${opacity})`);
  });
});

test('moving a step animates its items, and not under prefers-reduced-motion', async () => {
  for (const reducedMotion of ['no-preference', 'reduce']) {
    await withPage('?area=keys&preset=no-key&step=1', async (page) => {
      await page.waitForSelector('svg.timeline g.current');
      const names = await page.evaluate(() => [...document.querySelectorAll('svg.timeline g.current, svg.timeline g.current > *')]
        .map((e) => getComputedStyle(e).animationName).filter((n) => n && n !== 'none'));
      if (reducedMotion === 'reduce') assert.deepEqual(names, [], 'no animation under reduced motion');
      else assert.ok(names.length >= 1, 'the current step animates');
    }, { reducedMotion });
  }
});

test('the steppers are labelled in words, and j, k, space and ? work', async () => {
  await withPage('?area=keys&preset=no-key&predict=0', async (page) => {
    await page.waitForSelector('.step-controls');
    for (const name of ['Start', 'Previous', 'Play', 'Next step', 'Last step']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, `a button named ${name}`);
    }
    const step = async () => new URL(await settledUrl(page)).searchParams.get('step') || '0';
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '2');
    await page.keyboard.press('k');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '1');
    await page.keyboard.press('?');
    await page.waitForSelector('#step-shortcuts');
    assert.match(await page.locator('#step-shortcuts').innerText(), /next step[\s\S]*previous step[\s\S]*play or pause/);
    await page.keyboard.press('?');
    assert.equal(await page.locator('#step-shortcuts').count(), 0);
    await page.keyboard.press(' ');
    await page.waitForFunction(() => Number(new URL(location.href).searchParams.get('step')) >= 2, null, { timeout: 5000 });
    await page.keyboard.press(' ');
    assert.equal(await page.getByRole('button', { name: 'Play', exact: true }).count(), 1, 'paused again');
    await page.getByRole('button', { name: 'Last step', exact: true }).click();
    const last = Number(await step());
    assert.ok(last > 5 && await page.locator('.step-controls .forward').isDisabled());
  });
});

test('the event log keeps its current line in view', async () => {
  await withPage('?area=keys&preset=volatile-crash&predict=0', async (page) => {
    await page.waitForSelector('.step-controls');
    await page.getByRole('button', { name: 'Last step', exact: true }).click();
    await page.waitForSelector('.event-log li.current');
    const seen = await page.evaluate(() => {
      const li = document.querySelector('.event-log li.current');
      let box = li.parentElement;
      while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
      const r = li.getBoundingClientRect(), b = box.getBoundingClientRect();
      return { scrolls: box.tagName, inView: r.top >= b.top - 1 && r.bottom <= b.bottom + 1 };
    });
    assert.ok(seen.inView, JSON.stringify(seen));
  });
});
