// One glossary, used everywhere (issue 23, item 4; issue 29, item 5): on
// every area and every lesson stop, with every panel open, each glossary
// word (any of its forms, whole word, any case) is explained by a Term where
// it first appears in the page's visible text. A word inside a control (a
// link, button, summary or label cannot hold a second control) must still be
// explained somewhere on the page. The table is `idemlab glossary`
// (tests/e2e/glossary.json, kept equal by cli/tests/registry.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withPage, AREAS, SHOTS } from './harness.mjs';

const GLOSSARY = JSON.parse(readFileSync(new URL('./glossary.json', import.meta.url), 'utf8'));

/** Every lesson stop's link, read from Recall and each lesson's list of stops. */
async function lessonStops() {
  let lessons = [];
  await withPage('?area=recall', async (page) => {
    lessons = await page.$$eval('a[href*="lesson="]', (as) => [...new Set(as.map((a) => new URL(a.href).search))]);
  });
  const stops = [];
  for (const l of lessons) {
    await withPage(l, async (page) => {
      stops.push(...await page.$$eval('.lesson-stops a', (as) => as.map((a) => new URL(a.href).search)));
    });
  }
  return [...new Set(stops)];
}

/**
 * In the page: opens every panel and walks the visible text in document
 * order. Returns the words met before (or, in a control, without) their
 * explanation, and what the Terms on the page point to.
 */
function audit(glossary) {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const byForm = new Map();
  for (const e of glossary) for (const f of [e.word, ...e.forms]) byForm.set(f.toLowerCase(), e.word);
  const forms = [...byForm.keys()].sort((a, b) => b.length - a.length);
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The same rule as the glossary's own `find`: a form neither side of which continues a word.
  const rx = new RegExp(`(?<![\\p{L}\\p{N}_-])(?:${forms.map(esc).join('|')})(?![\\p{L}\\p{N}_-])`, 'giu');
  // The site's navigation names pages (a tab named Outbox), not the domain word; code is code.
  const skip = 'header.site nav, .term-tip, script, style, pre, code, textarea, [aria-hidden="true"]';
  const control = 'a, button, summary, label, select, option, [role="button"], [role="switch"], [role="tab"]';
  const explained = new Set();
  const early = [];
  const inControls = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || !el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue; // visually hidden (a screen reader's words)
    for (const m of n.data.matchAll(rx)) {
      const word = byForm.get(m[0].toLowerCase());
      const term = el.closest('.term');
      if (term && term.dataset.term === word) { explained.add(word); continue; }
      if (explained.has(word)) continue;
      const where = n.data.slice(Math.max(0, m.index - 40), m.index + m[0].length + 20).replace(/\s+/g, ' ');
      if (el.closest(control)) { if (!inControls.has(word)) inControls.set(word, where); } else early.push(`${word}: "…${where}…"`);
    }
  }
  const missing = [...inControls].filter(([w]) => !explained.has(w)).map(([w, where]) => `${w} (in a control): "…${where}…"`);
  // Every Term names its definition by a unique id, and the definition says something.
  const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
  const dupIds = ids.filter((id, i) => ids.indexOf(id) !== i);
  const badTerms = [...document.querySelectorAll('.term')].filter((t) => {
    const d = document.getElementById(t.getAttribute('aria-describedby') || '');
    return !d || !t.contains(d) || d.textContent.trim().length < 10;
  }).map((t) => t.dataset.term);
  return { problems: [...early, ...missing], dupIds, badTerms, terms: document.querySelectorAll('.term').length };
}

test('every glossary word is explained by a Term where it first appears, on every area and lesson stop', async () => {
  const pages = [...AREAS.map((a) => `?area=${a}`), ...await lessonStops()];
  assert.ok(pages.length > AREAS.length + 6, `lesson stops found: ${pages.length - AREAS.length}`);
  const report = [];
  for (const search of pages) {
    await withPage(search, async (page) => {
      await page.waitForSelector('.term');
      const r = await page.evaluate(audit, GLOSSARY);
      assert.deepEqual(r.dupIds, [], `${search}: ids used twice`);
      assert.deepEqual(r.badTerms, [], `${search}: a Term without its own definition element`);
      report.push(...r.problems.map((p) => `${search}  ${p}`));
    });
  }
  assert.deepEqual(report, [], 'glossary words shown before (or without) their explanation');
});

test('a term is announced with its definition once, as its description, and a heading keeps its own words', async () => {
  await withPage('?area=outbox', async (page) => {
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    const tip = GLOSSARY.find((e) => e.word === 'relay').tip;
    const named = nodes.filter((n) => !n.ignored && (n.name?.value || '').toLowerCase() === 'relay');
    assert.ok(named.length > 0, 'the relay term is in the accessibility tree, named by its word alone');
    const described = nodes.filter((n) => !n.ignored && n.description?.value === tip);
    assert.ok(described.length >= 1, 'the relay term is described by the glossary sentence');
    const withTipInName = nodes.filter((n) => !n.ignored && (n.name?.value || '').includes(tip.slice(0, 40)));
    assert.deepEqual(withTipInName.map((n) => n.role?.value), [], 'no name joins the definition (a heading keeps its own words)');
    const headings = nodes.filter((n) => n.role?.value === 'heading').map((n) => n.name?.value);
    assert.ok(headings.includes('Relay'), `the pipeline's Relay heading is named "Relay": ${headings.join(' | ')}`);
  });
});

test('on a touch screen a tap shows the definition, a second tap or Escape hides it', async () => {
  await withPage('?area=keys', async (page) => {
    await page.locator('details.lab-intro').evaluate((d) => { d.open = true; });
    const term = page.locator('.lab-intro .term[data-term="fingerprint"]').first();
    const tip = term.locator('.term-tip');
    assert.equal(await tip.isVisible(), false, 'the definition is hidden at first');
    await term.tap();
    assert.equal(await tip.isVisible(), true, 'a tap shows it');
    await page.screenshot({ path: join(SHOTS, 'glossary-tap-390.png') });
    const box = await tip.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the definition fits the screen: ${JSON.stringify(box)}`);
    assert.equal(await page.evaluate(() => document.scrollingElement.scrollWidth), 390, 'and never widens the page');
    await term.tap();
    assert.equal(await tip.isVisible(), false, 'a second tap hides it');
    await term.tap();
    await page.keyboard.press('Escape');
    assert.equal(await tip.isVisible(), false, 'Escape hides it');
  }, { viewport: { width: 390, height: 844 }, touch: true });
});

test('on a keyboard, focus shows the definition and Escape hides it', async () => {
  await withPage('?area=races', async (page) => {
    const term = page.locator('.term[data-term="23505"]').first();
    await term.focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const tip = term.locator('.term-tip');
    assert.equal(await tip.isVisible(), true, 'keyboard focus shows the definition');
    await page.keyboard.press('Escape');
    assert.equal(await tip.isVisible(), false, 'Escape hides it while focus stays');
  });
});
