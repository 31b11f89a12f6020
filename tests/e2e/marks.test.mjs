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

/** Runs in the page: for each `[selector, property]`, the colour the mark
 * draws with that property against the colours next to it (the element's
 * own fill inside a border or outline, the page behind it outside). */
function stateMarks(list) {
  const parse = (c) => {
    const m = c && c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (t, u) => ({ r: t.r * t.a + u.r * (1 - t.a), g: t.g * t.a + u.g * (1 - t.a), b: t.b * t.a + u.b * (1 - t.a), a: 1 });
  const behind = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg && bg.a > 0) layers.push(bg);
      if (bg && bg.a >= 1) break;
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const out = [];
  for (const [sel, prop] of list) {
    const els = [...document.querySelectorAll(sel)].filter((e) => e.checkVisibility());
    if (els.length === 0) out.push({ sel, prop, missing: true });
    for (const el of els) {
      const s = getComputedStyle(el);
      const outside = el.parentElement ? behind(el.parentElement) : { r: 255, g: 255, b: 255, a: 1 };
      const inside = behind(el);
      // A border or outline that is not drawn carries nothing, whatever its colour.
      const width = { borderTopColor: 'borderTopWidth', borderLeftColor: 'borderLeftWidth', outlineColor: 'outlineWidth' }[prop];
      const style = { borderTopColor: 'borderTopStyle', borderLeftColor: 'borderLeftStyle', outlineColor: 'outlineStyle' }[prop];
      if (width && (parseFloat(s[width]) === 0 || s[style] === 'none')) { out.push({ sel, prop, color: 'not drawn', worst: 0 }); continue; }
      const raw = parse(s[prop]);
      if (!raw) { out.push({ sel, prop, color: s[prop], worst: 0 }); continue; }
      const c = over(raw, prop === 'backgroundColor' ? outside : inside);
      const against = prop === 'backgroundColor' ? [outside] : [inside, outside];
      out.push({ sel, prop, color: s[prop], worst: Math.min(...against.map((b) => ratio(c, b))) });
    }
  }
  return out;
}

// registry: cases (runs whose state marks outside the SVG show: badges, chips, the acting
// actor, the current record, a double charge), each with the property that draws the state.
const STATE_RUNS = [
  { link: '?area=keys&preset=no-key&predict=0', to: 'last', marks: [['.preset.current', 'backgroundColor'], ['.preset.buggy:not(.current)', 'borderTopColor'], ['.keys-badge', 'borderTopColor']] },
  { link: '?area=keys&preset=slow-409&predict=0', to: 'last', marks: [['.keys-badge', 'borderTopColor']] },
  { link: '?area=keys&preset=short-ttl&predict=0', to: 'last', marks: [['.keys-badge', 'borderTopColor'], ['.keys-ledger li.keys-bad', 'borderLeftColor']] },
  { link: '?area=outbox&predict=0', to: 'jump', marks: [['.outbox-actor.active', 'borderTopColor']] },
  { link: '?area=outbox&preset=lost&predict=0', to: 'jump', marks: [['.outbox-actor.crashed', 'borderTopColor']] },
  { link: '?area=about&predict=0', to: 3, marks: [['.message-strip .glyph.current', 'outlineColor']] },
  { link: '?area=about&predict=0', to: 'last', marks: [['.message-strip li.dup', 'borderLeftColor']] },
  { link: '?area=races&predict=0', to: 'last', marks: [['.races-ledger li.double', 'borderTopColor']] },
  { link: '?area=races&predict=0&mode=side', to: 'last', marks: [['.races-pane.races-worse', 'borderTopColor']] },
  { link: '?area=retries&preset=herd&predict=0', to: 0, marks: [['.preset.current', 'backgroundColor'], ['.preset:not(.current)', 'borderTopColor']] },
];

for (const run of STATE_RUNS) {
  test(`the state marks outside the picture's SVG reach 3:1 in ${run.link}`, async () => {
    await withPage(run.link, async (page) => {
      await page.waitForSelector('.step-controls');
      if (run.to === 'last' || run.to === 'jump') {
        await page.locator(`.step-controls button.${run.to}`).first().click();
      } else if (run.to > 0) {
        await page.locator('h2').first().click();
        for (let i = 0; i < run.to; i++) await page.keyboard.press('PageDown');
      }
      // Borders ease in over 0.2 s after a step; read them once they have settled.
      await page.waitForTimeout(1000);
      const found = await page.evaluate(stateMarks, run.marks);
      const missing = found.filter((m) => m.missing).map((m) => m.sel);
      assert.deepEqual(missing, [], `${run.link}: marks not shown`);
      const low = [...new Set(found.filter((m) => m.worst < 3).map((m) => `${m.sel} ${m.prop} ${m.color} (${m.worst.toFixed(2)}:1)`))];
      assert.deepEqual(low, [], `${run.link}: state marks under 3:1`);
    }, { viewport: { width: 1280, height: 800 } });
  });
}
