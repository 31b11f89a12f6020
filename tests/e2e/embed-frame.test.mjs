// Course authors' embeds (issue 16): every click inside an embed keeps the
// frame; the outcome waits for the learner; the snippet offers this lab's
// locks, origins and the height script; unknown parameters warn; messages
// carry numbers and a version; the counters CSV holds numbers, parameters,
// seed and permalink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { withPage, screenshot, base, settledUrl, AREAS as ALL_AREAS } from './harness.mjs';

const ORIGIN = 'https://course.invalid';
// Every page of the app. A page that does not render fails its test: none is skipped.
const AREAS = process.env.IDEMLAB_EMBED_AREAS ? process.env.IDEMLAB_EMBED_AREAS.split(',') : ALL_AREAS;

/** The frame the author chose must survive: still an embed, same locks and origins. */
async function assertFrame(page, lock, what, area) {
  const u = new URL(await settledUrl(page));
  assert.equal(u.searchParams.get('embed'), '1', `${what}: embed= was dropped (${u.search})`);
  assert.equal(u.searchParams.get('lock'), lock, `${what}: lock= changed (${u.search})`);
  assert.equal(u.searchParams.get('origins'), ORIGIN, `${what}: origins= changed (${u.search})`);
  assert.equal(await page.locator('header.site').count(), 0, `${what}: the site header appeared in the frame`);
  assert.equal(await page.locator('main.embed').count(), 1, `${what}: the page is no longer an embed`);
  // Every in-lab link on the page keeps the frame too, clicked or not. A page
  // reached by a link (a Recall proof) has its own test for its links.
  if (area && u.searchParams.get('area') !== area) return;
  const hrefs = await page.$$eval('#main a[href]', (as) => as.map((a) => a.href));
  for (const h of hrefs) {
    const l = new URL(h);
    if (l.origin !== u.origin) continue;
    assert.equal(l.searchParams.get('embed'), '1', `${what}: link ${h} escapes the embed`);
    assert.equal(l.searchParams.get('lock'), lock, `${what}: link ${h} drops the locks`);
    assert.equal(l.searchParams.get('origins'), ORIGIN, `${what}: link ${h} drops the origins`);
  }
}

const settle = (page) => page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));

for (const area of AREAS) {
  test(`in an embed of ${area}, every link and button keeps the frame, its locks and its origins`, async () => {
    const lock = 'seed';
    const start = `?area=${area}&embed=1&lock=${lock}&origins=${encodeURIComponent(ORIGIN)}`;
    await withPage(start, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`, { timeout: 15000 });
      await page.evaluate(() => document.querySelectorAll('#main details').forEach((d) => { d.open = true; }));
      await assertFrame(page, lock, `${area} on load`, area);
      const origin = new URL(await settledUrl(page)).origin;
      let clicked = 0;
      for (let i = 0; i < 300; i++) {
        const els = page.locator('#main a[href], #main button');
        if (i >= await els.count()) break;
        const el = els.nth(i);
        if (!(await el.isVisible()) || !(await el.isEnabled())) continue;
        const info = await el.evaluate((e) => ({ text: e.textContent.trim().slice(0, 40), href: e.href || '', tag: e.tagName }));
        // A reference to another site is not in-lab navigation.
        if (info.href && new URL(info.href).origin !== origin) continue;
        await el.click();
        await page.waitForLoadState('load');
        await page.waitForSelector('#main');
        await settle(page);
        await assertFrame(page, lock, `${area}: after clicking ${info.tag} "${info.text}"`, area);
        clicked += 1;
        // A link to another page (a Recall proof) was followed and checked; come back for the rest.
        if (new URL(await settledUrl(page)).searchParams.get('area') !== area) {
          await page.goto(`${origin}/${start}`);
          await page.waitForSelector(`[data-lab="${area}"]`, { timeout: 15000 });
          await page.evaluate(() => document.querySelectorAll('#main details').forEach((d) => { d.open = true; }));
        }
      }
      assert.ok(clicked >= 2, `${area}: only ${clicked} links or buttons were clicked`);
      console.log(`BENCH embed-frame ${area}: ${clicked} links and buttons clicked, frame kept`);
    });
  });
}

test('an embed of Keys hides the counters until the last step, and the Reveal button shows them', async () => {
  await withPage('?area=keys&preset=no-key&embed=1&predict=0', async (page) => {
    await page.waitForSelector('[data-lab="keys"]');
    assert.equal(await page.locator('.lab-evidence').getAttribute('data-outcome'), 'hidden');
    assert.equal(await page.locator('[data-counter]').count(), 0, 'a counter is on screen before the learner got there');
    assert.match(await page.locator('.outcome-hidden').innerText(), /hidden until you reach step \d+/);
    await screenshot(page, 'embed-outcome-hidden');
    await page.click('.reveal-outcome');
    await page.waitForSelector('[data-counter="double_charges"]');
    assert.equal(await page.locator('.lab-evidence').getAttribute('data-outcome'), 'shown');
  });
  // In a 640 px column of a course page.
  await withPage('?area=keys&preset=no-key&embed=1&step=4&predict=0', async (page) => {
    await page.waitForSelector('.outcome-hidden');
    await screenshot(page, 'embed-keys-640');
  }, { viewport: { width: 640, height: 900 } });
  // At the last step the counters are there without a click.
  await withPage('?area=keys&preset=no-key&embed=1&step=1000&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="double_charges"]');
  });
  // The author may ask for them up front.
  await withPage('?area=keys&preset=no-key&embed=1&reveal=1&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="double_charges"]');
  });
  // Outside an embed nothing waits.
  await withPage('?area=keys&preset=no-key&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="double_charges"]');
  });
});

/** Opens the example course page and adds a Keys frame that lists the page's origin. */
async function hostWithKeysFrame(page, query) {
  const origin = new URL(await settledUrl(page)).origin;
  await page.evaluate(({ origin, query }) => {
    window.labMessages = [];
    window.addEventListener('message', (e) => {
      const f = document.getElementById('lab-keys-test');
      if (f && e.source === f.contentWindow && e.data && e.data.source === 'idemlab') window.labMessages.push(e.data);
    });
    const f = document.createElement('iframe');
    f.id = 'lab-keys-test';
    f.style.cssText = 'width:1200px;height:900px;border:0';
    f.src = `${origin}/index.html?${query}&embed=1&origins=${encodeURIComponent(origin)}`;
    document.body.append(f);
  }, { origin, query });
  await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'height'));
}

test('the outcome message waits for the decisive step, and every message has a version and numbers', async () => {
  await withPage('', async (page) => {
    await hostWithKeysFrame(page, 'area=keys&preset=no-key&predict=0');
    const frame = page.frameLocator('#lab-keys-test');
    await frame.locator('.outcome-hidden').waitFor();
    let msgs = await page.evaluate(() => window.labMessages);
    assert.equal(msgs.filter((m) => m.type === 'outcome').length, 0, `outcome posted before the learner got there: ${JSON.stringify(msgs)}`);
    for (const m of msgs) {
      assert.equal(m.version, 1, JSON.stringify(m));
      assert.equal(m.area, 'keys');
    }
    // The host moves the frame to a step by message, with a number; the lab answers with a number.
    const last = Number(await frame.locator('.step-controls .scrubber input[type="range"]').getAttribute('max'));
    assert.ok(last > 1, `the step-through has ${last} steps`);
    await page.evaluate((step) => document.getElementById('lab-keys-test').contentWindow.postMessage(
      { source: 'idemlab-host', version: 1, type: 'set', params: { step } }, '*'), last);
    await page.waitForFunction((step) => window.labMessages.some((m) => m.type === 'step' && m.detail.step === step), last);
    await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'outcome'));
    msgs = await page.evaluate(() => window.labMessages);
    const outcome = msgs.find((m) => m.type === 'outcome');
    assert.equal(outcome.version, 1);
    assert.equal(outcome.detail.preset, 'no-key');
    assert.equal(typeof outcome.detail.counters.double_charges, 'number');
    assert.ok(outcome.detail.counters.double_charges > 0, JSON.stringify(outcome));
    // A message of another schema version is ignored.
    await page.evaluate(() => document.getElementById('lab-keys-test').contentWindow.postMessage(
      { source: 'idemlab-host', version: 2, type: 'set', params: { step: 1 } }, '*'));
    await settle(page);
    assert.equal(new URL(await frame.locator('body').evaluate(() => location.href)).searchParams.get('step'), String(last));
  }, { path: '/embed-example.html', ready: '#event-log' });
});

test('the Reveal button posts the outcome, and reveal=1 posts it at once', async () => {
  await withPage('', async (page) => {
    await hostWithKeysFrame(page, 'area=keys&preset=no-key&predict=0');
    const frame = page.frameLocator('#lab-keys-test');
    await frame.locator('.reveal-outcome').click();
    await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'outcome'));
  }, { path: '/embed-example.html', ready: '#event-log' });
  await withPage('', async (page) => {
    await hostWithKeysFrame(page, 'area=keys&preset=no-key&reveal=1&predict=0');
    await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'outcome'));
  }, { path: '/embed-example.html', ready: '#event-log' });
});

test('the snippet offers every lock of Keys by name, an origins field and the height script', async () => {
  const table = readFileSync(new URL('../../docs/lock-names.md', import.meta.url), 'utf8');
  const names = [...table.matchAll(/^\| keys \| `([a-z0-9]+)` \|/gm)].map((m) => m[1]);
  assert.ok(names.includes('seed') && names.includes('step') && names.includes('preset'), names.join(','));
  let src;
  await withPage('?area=keys&preset=no-key', async (page) => {
    await page.click('.embed-button');
    for (const n of ['all', ...names]) {
      assert.equal(await page.locator(`#embed-lock-${n}`).count(), 1, `no lock checkbox for ${n}`);
    }
    await page.check('#embed-lock-seed');
    await page.check('#embed-lock-step');
    await page.fill('#embed-origins', 'https://course.example, not-an-origin');
    await page.waitForSelector('.embed-snippet .link-warning');
    assert.match(await page.locator('.embed-snippet .link-warning').innerText(), /not-an-origin/);
    const code = await page.locator('#embed-code').inputValue();
    assert.doesNotMatch(code, /height="/, 'the snippet must not fix the height');
    assert.match(code, /<script>[\s\S]*m\.type === "height"[\s\S]*<\/script>/);
    assert.match(code, /e\.origin !== "http:\/\/127\.0\.0\.1:\d+"/);
    src = code.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
    const u = new URL(src);
    assert.equal(u.searchParams.get('lock'), 'seed,step');
    assert.equal(u.searchParams.get('origins'), 'https://course.example');
    assert.equal(u.searchParams.get('embed'), '1');
    assert.equal(u.searchParams.get('preset'), 'no-key');
    await screenshot(page, 'embed-snippet');
  });
  // The snippet's frame is an embed with those controls frozen.
  await withPage(new URL(src).search, async (page) => {
    await page.waitForSelector('[data-lab="keys"]');
    assert.equal(await page.locator('main.embed').count(), 1);
    const stepButtons = page.locator('.step-controls button');
    assert.ok(await stepButtons.count() > 0);
    for (let i = 0; i < await stepButtons.count(); i++) {
      assert.equal(await stepButtons.nth(i).isDisabled(), true, 'lock=step leaves a step button enabled');
    }
  });
});

test('the snippet locks predict-first on in every lab that asks for predictions', async () => {
  await withPage('?area=races', async (page) => {
    await page.click('.embed-button');
    await page.check('#embed-predict');
    const src = (await page.locator('#embed-code').inputValue()).match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
    const u = new URL(src);
    assert.equal(u.searchParams.get('predict'), '1');
    assert.equal(u.searchParams.get('lock'), 'predict');
  });
  // registry: cases (the labs whose embed panel offers predict-first: every lab but Races, which asks in its own mode bar)
  for (const area of ['about', 'keys', 'outbox', 'retries']) {
    await withPage(`?area=${area}`, async (page) => {
      await page.click('.embed-button');
      await page.check('#embed-predict');
      const src = (await page.locator('#embed-code').inputValue()).match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
      const u = new URL(src);
      assert.equal(u.searchParams.get('predict'), '1', area);
      assert.equal(u.searchParams.get('lock'), 'predict', area);
    });
  }
});

test('an unknown parameter is named in a warning, in a lab and in Recall', async () => {
  for (const area of ['keys', 'recall']) {
    await withPage(`?area=${area}&embed=1&bogus=1`, async (page) => {
      await page.waitForSelector(`[data-lab="${area}"]`);
      assert.match(await page.locator('.link-warning').innerText(), /bogus/, area);
    });
  }
  // The app's own parameters are known.
  await withPage(`?area=keys&embed=1&lock=seed&origins=${encodeURIComponent(ORIGIN)}&reveal=1`, async (page) => {
    await page.waitForSelector('[data-lab="keys"]');
    assert.equal(await page.locator('.link-warning').count(), 0);
  });
});

test('the Keys counters CSV holds numbers, every parameter, the seed and the permalink', async () => {
  await withPage('?area=keys&preset=no-key&ops=60&seed=3&predict=0', async (page) => {
    await page.waitForSelector('.export-csv');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('.export-csv')]);
    assert.equal(csv.suggestedFilename(), 'keys-no-key-counters.csv');
    const text = await (await csv.createReadStream()).toArray().then((b) => Buffer.concat(b).toString());
    const [header, row, ...rest] = text.trimEnd().split('\n');
    assert.equal(rest.length, 0, 'one row per run');
    const cols = header.split(',');
    // Cells split on commas outside quotes (the permalink is quoted when it holds one).
    const cells = row.match(/("([^"]|"")*"|[^,]*)(,|$)/g).map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '')).slice(0, cols.length);
    const cell = (name) => cells[cols.indexOf(name)];
    assert.equal(cells.length, cols.length, `${header}\n${row}`);
    for (const c of ['lab', 'preset', 'seed', 'trace_hash', 'permalink', 'double_charges_count', 'intended_count']) {
      assert.ok(cols.includes(c), `no ${c} column in ${header}`);
    }
    assert.equal(cell('lab'), 'keys');
    assert.equal(cell('seed'), '3');
    assert.equal(Number(cell('intended_count')), 60);
    // Every counter is a plain number, never formatted text like "186.0 %".
    for (const [i, c] of cols.entries()) {
      if (/_(count|fraction|ms|ratio)$/.test(c)) assert.match(cells[i], /^-?\d+(\.\d+)?(e-?\d+)?$/, `${c}=${cells[i]}`);
    }
    const link = new URL(`${await base()}/${cell('permalink')}`);
    assert.equal(link.searchParams.get('area'), 'keys');
    assert.equal(link.searchParams.get('ops'), '60');
    assert.equal(link.searchParams.get('seed'), '3');
  });
});
