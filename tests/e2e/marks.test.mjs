// Marks a projector can show (#21, WCAG 1.4.11): every outline, line and
// fill in a lab's picture that carries meaning (timeline blocks, waits,
// arrows, the cursor, chart series and bars) reaches 3 : 1 against every
// background it is drawn on in that picture. Items drawn faintly ahead of
// the cursor are context, not meaning, and are left out (they show no text
// and their state is shown again when the step reaches them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, AREAS } from './harness.mjs';

/** Runs in the page: every meaningful mark's colour against each background. */
function marks() {
  const parse = (c) => {
    const m = c && c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return a < 1 ? null : { r, g, b };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const out = [];
  for (const svg of document.querySelectorAll('.lab-picture svg')) {
    const backs = [parse(getComputedStyle(svg).backgroundColor) || { r: 255, g: 255, b: 255 }];
    for (const bg of svg.querySelectorAll('.lane-bg')) {
      const f = parse(getComputedStyle(bg).fill);
      if (f) backs.push(f);
    }
    const meaningful = svg.querySelectorAll('[class*="tl-"] rect, [class*="tl-"] line, [class*="tl-"] path, .cursor, .hatch-line, .series, .seg, .arrowhead, .lost-x, .marker-glyph');
    for (const el of meaningful) {
      if (el.closest('.ahead') || el.closest('defs') && !el.classList.contains('hatch-line') && !el.classList.contains('arrowhead')) continue;
      const s = getComputedStyle(el);
      const parts = [];
      if (s.stroke !== 'none' && parseFloat(s.strokeWidth) > 0) parts.push(['stroke', parse(s.stroke)]);
      const fillIsMark = el.matches('.seg, .arrowhead, .lost-x, .marker-glyph');
      if (fillIsMark) parts.push(['fill', parse(s.fill)]);
      for (const [what, c] of parts) {
        if (!c) continue;
        const worst = Math.min(...backs.map((b) => ratio(c, b)));
        out.push({ what, cls: (el.getAttribute('class') || el.parentElement.getAttribute('class') || el.tagName), color: s[what], worst });
      }
    }
  }
  return out;
}

for (const area of AREAS) {
  test(`every meaningful mark in the ${area} picture reaches 3:1 against its backgrounds`, async () => {
    await withPage(`?area=${area}&predict=0`, async (page) => {
      const last = page.locator('.step-controls button.last');
      if (await last.count() > 0 && await last.isEnabled()) await last.click();
      const found = await page.evaluate(marks);
      const low = found.filter((m) => m.worst < 3);
      const seen = [...new Set(low.map((m) => `${m.cls} ${m.what} ${m.color} (${m.worst.toFixed(2)}:1)`))];
      assert.deepEqual(seen, [], `${area}: marks under 3:1`);
    });
  });
}
