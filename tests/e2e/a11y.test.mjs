// Accessibility and security: axe-core finds no serious or critical
// violation on any page, every control is reachable by keyboard, and the
// app runs under its Content-Security-Policy without a violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { withPage, CSP, AREAS } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

for (const area of AREAS) {
  test(`axe finds no serious or critical violation on ${area}`, async () => {
    await withPage(`?area=${area}`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`);
      // Evaluated through the DevTools protocol, so the page's CSP still
      // holds for everything the app itself does.
      await page.evaluate(AXE);
      const result = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
      });
      // Heading order is a moderate rule in axe; #29 wants it held too.
      const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical' || v.id === 'heading-order');
      assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
    });
  });
}

test('axe finds no serious or critical violation on a guided lesson, answered and revealed', async () => {
  await withPage('?area=recall&lesson=four-outcomes&stop=2', async (page) => {
    await page.waitForSelector('.lesson-screen [data-lab="keys"]');
    await page.locator('.predict-choice[data-choice="0"]').click();
    await page.waitForSelector('.predict-reveal');
    await page.evaluate(AXE);
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical' || v.id === 'heading-order');
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
  });
});

test('the page is served and runs under a CSP without unsafe-inline or eval', async () => {
  assert.doesNotMatch(CSP, /'unsafe-inline'|'unsafe-eval'/);
  assert.match(CSP, /script-src 'self' 'wasm-unsafe-eval'/);
  await withPage('?area=about&predict=0', async (page) => {
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.equal(meta, CSP);
    assert.equal(await page.locator('script:not([src])').count(), 0, 'an inline script is in the page');
    await page.waitForSelector('[data-counter="attempts"]');
  });
});

test('keyboard alone reaches the navigation and the lab controls, with visible focus', async () => {
  await withPage('?area=about', async (page) => {
    await page.waitForSelector('#about-aloss');
    const seen = new Set();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const info = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return { id: 'body', outline: 'n/a' };
        const style = getComputedStyle(el);
        return { id: el.id || el.getAttribute('data-area') || el.className, outline: style.outlineStyle };
      });
      seen.add(info.id);
      if (info.id === 'body') continue;
      assert.notEqual(info.outline, 'none', `focused ${info.id} has no visible outline`);
    }
    for (const want of ['keys', 'races', 'about-aloss', 'about-dedup']) {
      assert.ok(seen.has(want), `Tab never reached ${want}: ${[...seen].join(', ')}`);
    }
  });
});
