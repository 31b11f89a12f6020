// The app shell: loads clean, navigates, keeps its state in the URL, and
// survives hostile links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, setRange, counter, foreignRequests, settledUrl, dragSlider, AREAS } from './harness.mjs';


test('the page loads with no console errors and shows the About demo', async () => {
  await withPage('?predict=0', async (page) => {
    await page.waitForSelector('[data-counter="duplicate_effects"]');
    assert.match(await page.locator('header h1').innerText(), /Idempotency Lab/);
    await screenshot(page, 'about');
  });
});

test('navigation reaches every area and each is a permalink', async () => {
  await withPage('', async (page) => {
    for (const area of AREAS) {
      await page.click(`nav a[data-area="${area}"]`);
      await page.waitForSelector(`[data-lab="${area}"]`);
      assert.equal(new URL(await settledUrl(page)).searchParams.get('area'), area);
      assert.equal(await page.locator(`nav a[data-area="${area}"]`).getAttribute('aria-current'), 'page');
    }
    // The back button returns to the previous area.
    await page.goBack();
    await page.waitForSelector('[data-lab="races"]');
  });
});

test('a slider change lands in the URL and survives a reload', async () => {
  await withPage('?area=about&predict=0', async (page) => {
    await page.waitForSelector('#about-aloss');
    await setRange(page, '#about-aloss', 55);
    await page.click('#about-dedup');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('aloss') === '55');
    const before = await counter(page, 'attempts');
    const url = await settledUrl(page);
    assert.match(url, /dedup=1/);
    await page.reload();
    await page.waitForSelector('[data-counter="attempts"]');
    assert.equal(await page.locator('#about-aloss').inputValue(), '55');
    assert.equal(await page.locator('#about-dedup').isChecked(), true);
    assert.equal(await counter(page, 'attempts'), before, 'the same permalink gives the same run');
    assert.equal(await counter(page, 'duplicate_effects'), 0, 'dedup removes duplicate effects');
  });
});

test('a dragged slider writes the address bar once, after the drag, with where it stopped', async () => {
  await withPage('?area=about', async (page) => {
    const slider = page.locator('#about-aloss');
    await slider.waitFor();
    await page.evaluate(() => {
      window.__writes = [];
      const orig = history.replaceState.bind(history);
      history.replaceState = (s, t, url) => { window.__writes.push(String(url)); return orig(s, t, url); };
    });
    await dragSlider(page, slider, 30, 0.5);
    // While the page draws each move, the address bar has not moved yet.
    const shown = await slider.inputValue();
    const url = new URL(await settledUrl(page));
    assert.equal(url.searchParams.get('aloss'), shown, 'the address bar ends where the slider stopped');
    const writes = await page.evaluate(() => window.__writes);
    assert.ok(writes.length >= 1, 'the address bar was written');
    assert.ok(writes.length <= 10, `a 30-move drag wrote the address bar ${writes.length} times, not once per move`);
  });
});

test('a malformed permalink shows its message and falls back to defaults', async () => {
  const hostile = '?area=%3Cscript%3Ealert(1)%3C/script%3E&seed=banana&msgs=99999999999&mloss=-4&%ZZ=1';
  await withPage(hostile, async (page) => {
    const warning = page.locator('#link-warning');
    await warning.waitFor();
    const text = await warning.innerText();
    assert.match(text, /There is no area called/);
    assert.match(text, /percent-encoding/);
    // The hostile text is shown as text, never run.
    assert.equal(await page.locator('main script').count(), 0);
    await page.waitForSelector('[data-lab="about"]');
    await screenshot(page, 'malformed-permalink');
  });
});

test('extreme values are clamped with a message, not a crash', async () => {
  await withPage('?area=about&predict=0&msgs=1000000&aloss=100&mloss=100', async (page) => {
    await page.waitForSelector('#link-warning');
    assert.match(await page.locator('#link-warning').innerText(), /msgs=1000000 is outside 1..1000/);
    assert.equal(await counter(page, 'intended'), 1000);
    assert.equal(await counter(page, 'never_applied'), 1000);
  });
});

test('the app fetches nothing from another origin', async () => {
  await withPage('?area=about&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="attempts"]');
  });
  assert.deepEqual(foreignRequests, []);
});

test('a panic is shown in the page and the console, never a silent blank page', async () => {
  await withPage('?selftest=panic', async (page, errors) => {
    const banner = page.locator('#panic-banner');
    await banner.waitFor();
    assert.match(await banner.innerText(), /internal error \(a bug\).*selftest=panic/s);
    assert.ok(errors.some((e) => /self-test panic/.test(e)), 'the panic was not logged to the console');
    await screenshot(page, 'panic-banner');
  }, { ready: '#panic-banner', allowErrors: [/self-test panic/, /unreachable/, /RuntimeError/], expectPanic: true });
});

test('the trace and counters download as JSON and CSV', async () => {
  await withPage('?area=about&predict=0&msgs=30', async (page) => {
    await page.waitForSelector('.export-trace');
    const [trace] = await Promise.all([page.waitForEvent('download'), page.click('.export-trace')]);
    assert.equal(trace.suggestedFilename(), 'about-delivery-trace.json');
    const json = JSON.parse(await (await trace.createReadStream()).toArray().then((b) => Buffer.concat(b).toString()));
    assert.ok(json.records.length > 30, 'the trace has a record per send, loss and delivery');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('.export-csv')]);
    const text = await (await csv.createReadStream()).toArray().then((b) => Buffer.concat(b).toString());
    assert.match(text, /^lab,preset,retry,dedup,ack-loss_percent,message-loss_percent,messages_count,attempts_count,seed,intended_count,/);
    assert.match(text, /\nabout,,1,0,20,20,30,8,1,30,/, 'numbers, with the parameters and seed');
    assert.match(text, /area=about/, 'the permalink is in the row');
  });
});
