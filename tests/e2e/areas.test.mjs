// A page build per area (issue 27): a link to an area loads that area's
// build (scripts/build-areas.mjs) and nothing of the build that draws every
// area; a move to another area loads the page again with the other build;
// a link that names no area plainly loads the build of every area, and no
// link makes the page reload in a loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AREAS, DIST, withPage, appReady, screenshot } from './harness.mjs';

const BUILDS = JSON.parse(readFileSync(join(DIST, 'areas.json'), 'utf8'));

/** The page wasm files the page fetched, by name. */
function watchWasm(page) {
  const seen = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop();
    if (name.endsWith('.wasm')) seen.push(name);
  });
  return seen;
}

/** Counts the page's loads from now on (a reload loop would add them; history writes do not). */
function watchNavigations(page) {
  const count = { n: 0 };
  page.on('domcontentloaded', () => { count.n += 1; });
  return count;
}

test('every area has a page build of its own, and dist/ lists it', () => {
  assert.deepEqual(Object.keys(BUILDS).sort(), [...AREAS].sort());
  for (const area of AREAS) {
    const gz = gzipSync(readFileSync(join(DIST, BUILDS[area][1])), { level: 9 }).length;
    const full = readFileSync(join(DIST, 'index.html'), 'utf8');
    assert.ok(!full.includes(BUILDS[area][1]), 'index.html preloads no area build (the boot script chooses)');
    console.log(`BENCH area-wasm ${area} ${Math.round(gz / 1000)} KB gzipped`);
  }
});

for (const area of AREAS) {
  test(`a link to ${area} loads ${area}'s page build and draws it`, async () => {
    await withPage('', async (page) => {
      const wasm = watchWasm(page);
      await page.goto(page.url().replace(/\?.*$/, '') + `?area=${area}`);
      await appReady(page);
      const pageWasm = wasm.filter((n) => !n.startsWith('idemlab-worker'));
      assert.deepEqual(pageWasm, [BUILDS[area][1]], `the page fetched ${pageWasm.join(', ')}`);
      assert.equal(await page.locator('nav[aria-label="Labs"] [aria-current="page"]').getAttribute('data-area'), area);
      assert.ok((await page.locator('#main').innerText()).length > 200, 'the area drew its page');
    });
  });
}

test('moving to another area loads its build, and Back returns to the first, each drawn once', async () => {
  await withPage('?area=keys&preset=no-key', async (page) => {
    const wasm = watchWasm(page);
    const navs = watchNavigations(page);
    await page.click('nav[aria-label="Labs"] a[data-area="races"]');
    await page.waitForURL(/area=races/);
    await page.waitForSelector('nav[aria-label="Labs"] a[data-area="races"][aria-current="page"]');
    await appReady(page);
    assert.deepEqual(wasm.filter((n) => !n.startsWith('idemlab-worker')), [BUILDS.races[1]]);
    await page.goBack();
    await page.waitForSelector('nav[aria-label="Labs"] a[data-area="keys"][aria-current="page"]');
    await appReady(page);
    assert.match(page.url(), /area=keys&preset=no-key/);
    await page.waitForTimeout(500);
    assert.equal(navs.n, 2, 'one load for the move and one for Back, no more');
    await screenshot(page, 'areas-back-to-keys');
  });
});

test('a link that names no area plainly loads the build of every area, says what it did, and does not reload', async () => {
  for (const search of ['?area=keys&area=races', '?area=nope', '?area=%6Beys']) {
    await withPage(search, async (page) => {
      const navs = watchNavigations(page);
      await page.waitForTimeout(800);
      assert.equal(navs.n, 0, `${search} reloaded the page`);
      const text = await page.locator('#main').innerText();
      assert.ok(!/loaded without its/.test(text), `${search}: the build lacked the area`);
      assert.ok(text.length > 200, `${search}: the page drew an area`);
    });
  }
});

test('a guided lesson, which shows every lab, loads the build of every area, from a link or from Recall', async () => {
  await withPage('?area=recall', async (page) => {
    const wasm = watchWasm(page);
    await page.goto(page.url().replace(/\?.*$/, '') + '?area=recall');
    await appReady(page);
    assert.deepEqual(wasm.filter((n) => !n.startsWith('idemlab-worker')), [BUILDS.recall[1]]);
    await page.locator('a[href*="lesson="]').first().click();
    await page.waitForSelector('.lesson-screen [data-lab]', { timeout: 20000 });
    const after = wasm.filter((n) => !n.startsWith('idemlab-worker'));
    assert.equal(after.length, 2, `fetched ${after.join(', ')}`);
    assert.match(after[1], /^idemlab-web-[0-9a-f]+_bg\.wasm$/, 'the lesson came from the build of every area');
  });
});
