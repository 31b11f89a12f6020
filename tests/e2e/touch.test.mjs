// A phone that fits a thumb (issue 23, item 5): on a 390 × 844 touch
// screen, with every panel open, every visible control, chip, tab, link and
// glossary term offers a 44 × 44 CSS px target, or is spaced so that a
// 44 px circle centred on it touches no other target (the spacing rule of
// WCAG 2.5.8, at the size the issue asks for); and no panel makes the page
// scroll sideways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withPage, AREAS, screenshot, SHOTS } from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, touch: true };
const TARGET = 44;

/** In the page: the targets that fail, each as a line of text. */
function smallTargets(target) {
  const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex="0"], [role="button"], [role="switch"]';
  const seen = new Set();
  const boxes = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    // A checkbox or radio button is tapped through its label too: the label is its target.
    const label = (el.type === 'checkbox' || el.type === 'radio') ? (el.closest('label') || el.labels?.[0]) : null;
    const t = label || el;
    if (seen.has(t)) continue;
    seen.add(t);
    const r = t.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.right <= 0 || r.left >= innerWidth + scrollX + 1) continue; // off screen (skip link)
    const name = `${t.tagName.toLowerCase()}${t.className && typeof t.className === 'string' ? '.' + t.className.trim().split(/\s+/).join('.') : ''} "${(t.innerText || t.value || t.getAttribute('aria-label') || '').trim().slice(0, 30)}"`;
    boxes.push({ t, r, name, small: r.width < target - 0.5 || r.height < target - 0.5 });
  }
  const cx = (r) => r.left + r.width / 2;
  const cy = (r) => r.top + r.height / 2;
  const distToRect = (x, y, r) => Math.hypot(Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  const fails = [];
  for (const a of boxes.filter((b) => b.small)) {
    const [x, y] = [cx(a.r), cy(a.r)];
    const clash = boxes.find((b) => b !== a && !a.t.contains(b.t) && !b.t.contains(a.t) && (
      distToRect(x, y, b.r) < target / 2 - 0.5 || (b.small && Math.hypot(x - cx(b.r), y - cy(b.r)) < target - 0.5)));
    if (clash) fails.push(`${a.name} ${Math.round(a.r.width)}×${Math.round(a.r.height)} too close to ${clash.name}`);
  }
  return fails;
}

for (const area of AREAS) {
  test(`${area}: every target is 44 × 44 px or spaced to it, and no open panel scrolls the page sideways, at 390 px`, async () => {
    await withPage(`?area=${area}`, async (page) => {
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
      await page.waitForTimeout(200);
      const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
      const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5 && e.checkVisibility())
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`));
      assert.ok(width <= 390, `${area}: the page is ${width} px wide with every panel open (${wide.join(', ')})`);
      const fails = await page.evaluate(smallTargets, TARGET);
      await screenshot(page, `touch-${area}-390`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS, `touch-${area}-390-first-screen.png`) });
      assert.deepEqual(fails, [], `${area}: targets under 44 × 44 px without the spacing`);
    }, PHONE);
  });
}

test('a lesson stop fits a thumb too', async () => {
  await withPage('?area=recall&lesson=effectively-once&stop=1', async (page) => {
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth) <= 390, 'no sideways scroll');
    const fails = await page.evaluate(smallTargets, TARGET);
    await screenshot(page, 'touch-lesson-390');
    assert.deepEqual(fails, [], 'lesson targets under 44 × 44 px without the spacing');
  }, PHONE);
});
