// The Keys lab end to end: one preset of each kind (a double charge, a silent
// loss, a volatile-store crash, a short TTL, Stripe's replayed 500, the
// correct setup), step controls and keyboard, permalinks and a hostile link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, setRange, counter, openMore, settledUrl } from './harness.mjs';

async function keyCounter(page) {
  return page.locator('.counter.key').getAttribute('data-counter');
}

test('the no-key preset double charges, in the ledger and in the batch', async () => {
  await withPage('?area=keys&preset=no-key&predict=0', async (page) => {
    await page.waitForSelector('[data-lab="keys"] [data-counter="double_charges"]');
    assert.equal(await keyCounter(page), 'double_charges');
    assert.ok(await counter(page, 'double_charges') > 0);
    assert.equal(await page.locator('[data-badge="none"]').count(), 1);
    // Step to the end: the provider column shows the second charge.
    await page.locator('.step-controls .scrubber input').evaluate((el) => {
      el.value = el.max; el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForSelector('.keys-charged li.keys-bad');
    assert.match(await page.locator('.keys-charged').innerText(), /charged AGAIN/);
    assert.match(await page.locator('.keys-believes').innerText(), /charged once/);
    assert.ok(await page.locator('svg.timeline .tl-lost').count() >= 1, 'the lost response is drawn');
    await screenshot(page, 'keys-no-key');
  });
});

test('a reused key without a fingerprint is silently lost, and the fingerprint turns it into 422', async () => {
  await withPage('?area=keys&preset=reused-key&step=999&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="silent_losses"]');
    assert.equal(await keyCounter(page), 'silent_losses');
    assert.ok(await counter(page, 'silent_losses') > 0);
    assert.match(await page.locator('.keys-believes').innerText(), /op 1's stored response/);
    await screenshot(page, 'keys-reused-key');
    await page.click('#keys-fp');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('fp') === '1');
    assert.equal(await counter(page, 'silent_losses'), 0);
    assert.ok(await counter(page, 'mismatches_422') > 0);
  });
});

test('step controls walk the key through its states with the keyboard', async () => {
  await withPage('?area=keys&preset=volatile-crash&predict=0', async (page) => {
    await page.waitForSelector('[data-badge]');
    assert.equal(await page.locator('[data-badge]').getAttribute('data-badge'), 'absent');
    const seen = new Set();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    for (let i = 0; i < 40; i++) {
      seen.add(await page.locator('[data-badge]').getAttribute('data-badge'));
      await page.keyboard.press('ArrowRight');
    }
    for (const state of ['absent', 'in-progress', 'charge-recorded', 'forgotten', 'completed']) {
      assert.ok(seen.has(state), `badge never showed ${state}: ${[...seen]}`);
    }
    const step = Number(new URL(await settledUrl(page)).searchParams.get('step'));
    assert.ok(step > 10, `the step is in the URL (${step})`);
    await screenshot(page, 'keys-volatile-crash');
    await page.keyboard.press('r');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '0');
  });
});

test('a TTL shorter than the retries shows the key expiring and a double charge', async () => {
  await withPage('?area=keys&preset=short-ttl&step=999&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="keys_expired"]');
    assert.ok(await counter(page, 'keys_expired') > 0);
    assert.ok(await counter(page, 'double_charges') > 0);
    assert.match(await page.locator('.event-log').innerText(), /older than its TTL/);
    assert.equal(await page.locator('[data-badge]').getAttribute('data-badge'), 'completed');
    await screenshot(page, 'keys-short-ttl');
  });
});

test('Stripe replays the stored 500; releasing the key completes the operations', async () => {
  await withPage('?area=keys&preset=replay-5xx&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="replayed_5xx"]');
    assert.equal(await keyCounter(page), 'replayed_5xx');
    assert.ok(await counter(page, 'replayed_5xx') > 0);
    await page.locator('.step-controls .scrubber input').evaluate((el) => {
      el.value = el.max; el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => /gave up after/.test(document.querySelector('.keys-believes').innerText));
    assert.match(await page.locator('.event-log').innerText(), /replays the stored 500/);
    await screenshot(page, 'keys-replay-5xx');
    const failedStored = await counter(page, 'gave_up');
    await openMore(page);
    await page.selectOption('#keys-on5xx', 'release');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('on5xx') === 'release');
    assert.equal(await counter(page, 'replayed_5xx'), 0);
    assert.ok(await counter(page, 'gave_up') < failedStored);
    assert.equal(await counter(page, 'double_charges'), 0);
  });
});

test('a crash before charge_created double charges without provider keys; Jump to the failure lands on the second charge', async () => {
  await withPage('?area=keys&preset=crash-window&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="crashes_in_window"]');
    assert.equal(await keyCounter(page), 'double_charges');
    assert.ok(await counter(page, 'double_charges') > 0);
    assert.ok(await counter(page, 'crashes_in_window') > 0);
    const jump = page.locator('.step-controls button.jump');
    assert.equal(await jump.innerText(), 'Jump to the failure');
    const to = await jump.getAttribute('data-jump');
    await jump.click();
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === s, to);
    // The decisive step is the provider's second charge: the ledger shows it, and not one step early.
    await page.waitForSelector('.keys-charged li.keys-bad');
    assert.match(await page.locator('.keys-charged').innerText(), /charged AGAIN/);
    assert.match(await page.locator('.event-log').innerText(), /crashes after the provider charged, before recording charge_created/);
    await screenshot(page, 'keys-crash-window-jump');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('k');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(Number(s) - 1), to);
    assert.equal(await page.locator('.keys-charged li.keys-bad').count(), 0, 'one step before, nothing is charged twice yet');
    // The server's own key at the provider turns the second call into a replay.
    await page.click('#keys-pk');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('pk') === '1');
    assert.equal(await counter(page, 'double_charges'), 0);
    assert.ok(await counter(page, 'provider_replays') > 0);
    assert.equal(await page.locator('.step-controls button.jump').count(), 0, 'nothing to jump to');
  });
});

test('jargon is explained on hover or focus, and the Sources panel holds every modelling choice', async () => {
  await withPage('?area=keys', async (page) => {
    for (const word of ['fingerprint', 'recovery point']) {
      const t = page.locator(`.term[data-term="${word}"]`);
      assert.equal(await t.getAttribute('tabindex'), '0');
      assert.ok((await t.getAttribute('data-tip')).length > 20, word);
    }
    // One list of modelling choices, each with its source: the Sources panel.
    await page.locator('details.sources > summary').click();
    const sources = await page.locator('details.sources').innerText();
    assert.match(sources, /foreign state mutation/);
    assert.match(sources, /Brandur Leach/);
    assert.match(sources, /Stripe API docs/);
    assert.match(sources, /IETF httpapi draft/);
    assert.equal(await page.locator('.keys-choices').count(), 0, 'no second list of choices');
    await page.locator('details.sources').scrollIntoViewIfNeeded();
    await screenshot(page, 'keys-sources');
  });
});

test('the correct setup charges exactly the intended operations and its link survives a reload', async () => {
  await withPage('?area=keys&preset=correct&predict=0', async (page) => {
    await page.waitForSelector('[data-counter="charges"]');
    assert.equal(await keyCounter(page), 'charges');
    await setRange(page, '#keys-ops', 1000);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('ops') === '1000');
    assert.equal(await counter(page, 'intended'), 1000);
    assert.equal(await counter(page, 'charges'), 1000);
    assert.equal(await counter(page, 'double_charges'), 0);
    assert.equal(await counter(page, 'silent_losses'), 0);
    const replays = await counter(page, 'replays');
    await page.reload();
    await page.waitForSelector('[data-counter="charges"]');
    assert.equal(await counter(page, 'replays'), replays, 'the same link gives the same batch');
    await page.locator('.step-controls .scrubber input').evaluate((el) => {
      el.value = el.max; el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForSelector('[data-badge="completed"]');
    await screenshot(page, 'keys-correct');
  });
});

test('preset buttons are permalinks carrying every knob', async () => {
  await withPage('?area=keys&predict=0', async (page) => {
    await page.waitForSelector('a[data-preset="fresh-key"]');
    const href = await page.locator('a[data-preset="fresh-key"]').getAttribute('href');
    for (const k of ['preset=fresh-key', 'policy=fresh', 'rsloss=30', 'seed=', 'store=durable']) {
      assert.ok(href.includes(k), `${href} lacks ${k}`);
    }
    await page.click('a[data-preset="fresh-key"]');
    await page.waitForSelector('a[data-preset="fresh-key"][aria-current="true"]');
    assert.ok(await counter(page, 'double_charges') > 0);
  });
});

test('a hostile keys link warns and falls back', async () => {
  await withPage('?area=keys&preset=%3Cimg%3E&policy=drop&ops=-4&ttl=abc&store=tape&predict=0', async (page) => {
    await page.waitForSelector('#link-warning');
    const text = await page.locator('#link-warning').innerText();
    assert.match(text, /preset=/);
    assert.match(text, /policy=/);
    assert.match(text, /ttl=/);
    await page.waitForSelector('[data-counter="charges"]');
    assert.equal(await counter(page, 'intended'), 1);
  });
});

test('the exports build their report when asked: after a knob change the CSV and JSON carry the new run\'s trace hash, the one the core gives the link', async () => {
  await withPage('?area=keys&preset=correct&ops=200&predict=0', async (page) => {
    await page.waitForSelector('.export-csv');
    await setRange(page, '#keys-ops', 300);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('ops') === '300');
    const search = await page.evaluate(() => location.search);
    // The same link run by the core in one call, as `idemlab url` runs it.
    const expected = JSON.parse((await page.evaluate((s) => window.wasmBindings.offload({ Permalink: s }, () => {}), search)).Report);
    assert.match(expected.trace_hash, /^[0-9a-f]{16}$/);
    const read = async (download) => (await (await download.createReadStream()).toArray().then((b) => Buffer.concat(b).toString()));
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('.export-csv')]);
    const text = await read(csv);
    assert.ok(text.includes(expected.trace_hash), `the CSV lacks trace hash ${expected.trace_hash}:\n${text}`);
    const [trace] = await Promise.all([page.waitForEvent('download'), page.click('.export-trace')]);
    const json = JSON.parse(await read(trace));
    assert.equal(json.report.trace_hash, expected.trace_hash);
    assert.deepEqual(json.report.counters, expected.counters);
    assert.equal(await counter(page, 'intended'), 300);
  });
});
