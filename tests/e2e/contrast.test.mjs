// Contrast in every state: axe sees only the resting state, so this test
// hovers, focuses, presses and disables the controls of every page and
// computes the text's contrast against the background actually drawn behind
// it (WCAG 2 relative luminance; at least 4.5:1). It caught white text on a
// near-white hover background on the current preset and the primary button.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, settledUrl, AREAS } from './harness.mjs';

const CONTROLS = 'button, a.preset, header.site nav a, .presets a, summary';

/** Runs in the page: the contrast of `el`'s text against what is behind it. */
function contrastOf(el) {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1,
  });
  // The background: every layer from the page up to the element, composited.
  const layers = [];
  for (let n = el; n; n = n.parentElement) {
    const s = getComputedStyle(n);
    const bg = parse(s.backgroundColor);
    if (bg && bg.a > 0) layers.push(bg);
    if (bg && bg.a >= 1) break;
  }
  let bg = { r: 255, g: 255, b: 255, a: 1 };
  for (const l of layers.reverse()) bg = over(l, bg);
  const style = getComputedStyle(el);
  let fg = parse(style.color);
  // No colour to read (an element the page replaced under the pointer, whose
  // style is empty): say so, and the caller reads the control again.
  if (!fg) return { unread: `color ${JSON.stringify(style.color)}, connected ${el.isConnected}` };
  fg = over({ ...fg, a: fg.a * Number(style.opacity) }, bg);
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return { ratio: (hi + 0.05) / (lo + 0.05), fg: style.color, bg: `rgb(${bg.r|0},${bg.g|0},${bg.b|0})`, text: el.textContent.trim().slice(0, 40) };
}

for (const area of AREAS) {
  test(`every control on ${area} keeps 4.5:1 text contrast at rest, hovered, focused, pressed and disabled`, async () => {
    // A preset is chosen, so the current-preset pill is among the controls.
    await withPage(`?area=${area}`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`);
      const all = page.locator(CONTROLS);
      const n = await all.count();
      const bad = [];
      let checked = 0;
      for (let i = 0; i < n && checked < 40; i++) {
        const el = all.nth(i);
        if (!(await el.isVisible()) || !(await el.textContent()).trim()) continue;
        checked++;
        const disabled = await el.evaluate((e) => e.disabled === true || e.closest('fieldset:disabled') !== null);
        const states = disabled ? ['disabled'] : ['rest', 'hover', 'focus', 'active'];
        for (const state of states) {
          if (state === 'hover') await el.hover();
          if (state === 'focus') { await page.mouse.move(0, 0); await el.focus(); }
          if (state === 'active') { await el.hover(); await page.mouse.down(); }
          let c = await el.evaluate(contrastOf);
          for (let tries = 0; c.unread && tries < 3; tries++) {
            await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
            c = await el.evaluate(contrastOf);
          }
          assert.ok(!c.unread, `${area}: the text colour of a control could not be read in state ${state}: ${c.unread}`);
          if (state === 'active') await page.mouse.up().then(() => page.keyboard.press('Escape'));
          if (c.ratio < 4.5) bad.push({ state, ...c, ratio: c.ratio.toFixed(2) });
        }
        // A press may have navigated or opened something: go back to the page under test.
        if (new URL(await settledUrl(page)).searchParams.get('area') !== area) {
          await page.goto((await settledUrl(page)).replace(/\?.*$/, `?area=${area}`));
          await page.waitForSelector(`[data-lab="${area}"]`);
        }
      }
      assert.ok(checked >= 3, `only ${checked} controls checked on ${area}`);
      assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
    }, { viewport: { width: 1280, height: 900 } });
  });
}

test('the current preset and the primary button keep white text readable under the pointer', async () => {
  await withPage('?area=keys&preset=no-key', async (page) => {
    await page.waitForSelector('.preset.current');
    for (const sel of ['.preset.current', '.step-controls button.play']) {
      await page.locator(sel).hover();
      const c = await page.locator(sel).evaluate(contrastOf);
      assert.ok(c.ratio >= 4.5, `${sel} hovered: ${JSON.stringify(c)}`);
    }
  });
});
