// The picture follows the cursor (#21): on a projector, a laptop and a
// phone, after jumping to the decisive step and after stepping to the last
// step, the current step's cursor lies inside the part of its scroll box
// that shows, and inside the viewport. Side by side included: both lanes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot } from './harness.mjs';

const SIZES = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
  { width: 390, height: 844 },
];

// Runs whose cursor leaves a narrow box: the Races default (single and side
// by side) and Keys' "No key" run, whose second charge is far to the right.
const RUNS = [
  { name: 'races', link: '?area=races&predict=0' },
  { name: 'races-side', link: '?area=races&predict=0&mode=side' },
  { name: 'keys-no-key', link: '?area=keys&preset=no-key&predict=0' },
];

/** Where each cursor is, against its scrolling box and the viewport. */
function measure() {
  return [...document.querySelectorAll('.lab-picture line.cursor')].map((line) => {
    let box = line.closest('.timeline-box');
    for (let el = box; el && el !== document.body; el = el.parentElement) {
      if (el.scrollWidth > el.clientWidth + 1) { box = el; break; }
    }
    const c = line.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const x = c.left + c.width / 2;
    return {
      x, top: c.top, bottom: c.bottom, boxLeft: b.left, boxRight: b.right,
      vw: innerWidth, vh: innerHeight, scrolls: box.scrollWidth > box.clientWidth + 1,
    };
  });
}

/** Where each element `sel` finds is (Outbox's acting actor, About's
 * current record), against the box that scrolls it sideways (the page when
 * none does) and the viewport: the same shape as `measure`. */
function measureMarks(sel) {
  return [...document.querySelectorAll(sel)].map((m) => {
    let box = document.documentElement;
    for (let el = m.parentElement; el && el !== document.body; el = el.parentElement) {
      if (el.scrollWidth > el.clientWidth + 1) { box = el; break; }
    }
    const c = m.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    return {
      x: c.left + c.width / 2, top: c.top, bottom: c.bottom, boxLeft: b.left, boxRight: b.right,
      vw: innerWidth, vh: innerHeight, scrolls: box !== document.documentElement,
    };
  });
}

/** The cursors once the page has settled: the scrolling runs in an effect
 * after the paint, so wait (up to 3 s) until every cursor is in view or the
 * time is up, then return what is there for the assertions to judge. */
async function cursors(page, expected, mark = null) {
  const inView = (c) => c.x >= Math.max(c.boxLeft, 0) && c.x <= Math.min(c.boxRight, c.vw) && c.bottom > 0 && c.top < c.vh;
  let list = [];
  for (let i = 0; i < 30; i++) {
    list = mark ? await page.evaluate(measureMarks, mark) : await page.evaluate(measure);
    if (list.length >= 1 && list.length <= expected && list.every(inView)) break;
    await page.waitForTimeout(100);
  }
  return list;
}

function assertInView(list, what, expected) {
  assert.ok(list.length >= 1 && list.length <= expected, `${what}: ${list.length} cursors drawn, expected ${expected}`);
  for (const c of list) {
    assert.ok(c.x >= c.boxLeft && c.x <= c.boxRight, `${what}: the cursor at x=${c.x} is outside its box [${c.boxLeft}, ${c.boxRight}]`);
    assert.ok(c.x >= 0 && c.x <= c.vw, `${what}: the cursor at x=${c.x} is outside the viewport (${c.vw} wide)`);
    assert.ok(c.bottom > 0 && c.top < c.vh, `${what}: the cursor spans y ${c.top}..${c.bottom}, outside the viewport (${c.vh} high)`);
  }
}

for (const size of SIZES) {
  for (const run of RUNS) {
    test(`${run.name} at ${size.width} x ${size.height}: the cursor stays in view after a jump and at the last step`, async () => {
      await withPage(run.link, async (page) => {
        const lanes = run.name === 'races-side' ? 2 : 1;
        const jump = page.locator('.step-controls button.jump').first();
        assert.ok(await jump.count() > 0, `${run.name}: the run has no jump to its decisive step`);
        await jump.click();
        const atJump = await cursors(page, lanes);
        assert.equal(atJump.length, lanes, `${run.name}: at the decisive step every lane has its cursor`);
        assertInView(atJump, `${run.name} after the jump`, lanes);
        await screenshot(page, `follow-${run.name}-${size.width}-jump`);
        await page.locator('.step-controls button.last').click();
        // Side by side, the shorter run has ended: only the longer one has a cursor then.
        assertInView(await cursors(page, lanes), `${run.name} at the last step`, lanes);
        await screenshot(page, `follow-${run.name}-${size.width}-last`);
      }, { viewport: size });
    });
  }
}

// Pictures that are not timelines: Outbox's pipeline marks the actor that
// acts at the record shown, About's strip the record itself. Outbox jumps to
// its decisive record; About has no jump, so three PageDowns stand in for it.
const MARKS = [
  { name: 'outbox', link: '?area=outbox&predict=0', mark: '.outbox-pipeline .outbox-actor[aria-current="step"]', jump: true },
  { name: 'outbox-lost', link: '?area=outbox&preset=lost&predict=0', mark: '.outbox-pipeline .outbox-actor[aria-current="step"]', jump: true },
  { name: 'about', link: '?area=about&predict=0', mark: '.message-strip .glyph.current', jump: false },
];

for (const size of SIZES) {
  for (const run of MARKS) {
    test(`${run.name} at ${size.width} x ${size.height}: the current record's mark stays in view after a jump and at the last step`, async () => {
      await withPage(run.link, async (page) => {
        await page.waitForSelector('.step-controls');
        const caption = (n) => page.waitForFunction((k) => document.querySelector('#step-caption')?.dataset.step === String(k), n);
        if (run.jump) {
          const jump = page.locator('.step-controls button.jump').first();
          assert.ok(await jump.count() > 0, `${run.name}: the run has no jump to its decisive record`);
          await jump.click();
          await caption(await jump.getAttribute('data-jump'));
        } else {
          await page.locator('h2').first().click();
          for (let i = 1; i <= 3; i++) {
            await page.keyboard.press('PageDown');
            await caption(i);
          }
        }
        const atJump = await cursors(page, 1, run.mark);
        assert.equal(atJump.length, 1, `${run.name}: one mark for the record shown`);
        assertInView(atJump, `${run.name} after the jump`, 1);
        await screenshot(page, `follow-${run.name}-${size.width}-jump`);
        const last = page.locator('.step-controls button.last');
        await last.click();
        await caption(await page.evaluate(() => document.querySelector('.step-controls .step-count').textContent.match(/\/ (\d+)/)[1]));
        assertInView(await cursors(page, 1, run.mark), `${run.name} at the last step`, 1);
        await screenshot(page, `follow-${run.name}-${size.width}-last`);
      }, { viewport: size });
    });
  }
}
