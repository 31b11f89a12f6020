// The Outbox lab: every design's preset is a permalink that shows its lesson
// in the key counter, the pipeline fills as the learner steps, and the
// keyboard drives the steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, setRange, counter } from './harness.mjs';

const PRESETS = [
  { slug: 'lost', mode: '1', key: 'events_lost', expect: (v) => v > 0 },
  { slug: 'ghost', mode: '2', key: 'ghost_events', expect: (v) => v > 0 },
  { slug: 'duplicates', mode: '3', key: 'duplicate_effects', expect: (v) => v > 0 },
  { slug: 'inbox', mode: '4', key: 'duplicate_effects', expect: (v) => v === 0 },
  { slug: 'tailing', mode: '5', key: 'duplicate_effects', expect: (v) => v === 0 },
];

for (const p of PRESETS) {
  test(`preset ${p.slug} (mode ${p.mode}) shows its lesson as a permalink`, async () => {
    await withPage(`?area=outbox&preset=${p.slug}`, async (page) => {
      await page.waitForSelector('[data-lab="outbox"] .outbox-pipeline');
      assert.equal(await page.locator('#outbox-mode').inputValue(), p.mode);
      const key = page.locator('.counter.key');
      assert.equal(await key.count(), 1);
      assert.equal(await key.getAttribute('data-counter'), p.key);
      const v = await counter(page, p.key);
      assert.ok(p.expect(v), `${p.key} = ${v}`);
      assert.equal(await page.locator(`.outbox-preset[data-preset="${p.slug}"]`).getAttribute('aria-current'), 'true');
      // The whole run is shown by default: every committed order is a row.
      assert.equal(Number(await page.locator('[data-table="orders"]').getAttribute('data-rows')), await counter(page, 'accepted'));
      if (p.mode === '4' || p.mode === '5') {
        assert.ok((await counter(page, 'dedup_hits')) > 0);
        assert.equal(await page.locator('[data-table="inbox"]').count(), 1);
      }
      await screenshot(page, `outbox-${p.slug}`);
    });
  });
}

test('stepping fills the tables row by row and marks crashes where they strike', async () => {
  await withPage('?area=outbox&preset=lost&step=0', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    assert.equal(Number(await page.locator('[data-table="orders"]').getAttribute('data-rows')), 0);
    // Step with the keyboard until the first crash appears at the service.
    let crashed = false;
    for (let i = 0; i < 200 && !crashed; i++) {
      await page.keyboard.press('ArrowRight');
      crashed = (await page.locator('[data-actor="service"].crashed').count()) === 1;
    }
    assert.ok(crashed, 'no service crash was reached by stepping');
    const step = Number(new URL(page.url()).searchParams.get('step'));
    assert.ok(step > 0);
    assert.match(await page.locator('.event-log li.current').innerText(), /CRASHES/);
    assert.ok(Number(await page.locator('[data-table="orders"]').getAttribute('data-rows')) > 0);
    await screenshot(page, 'outbox-crash-step');
    // The link keeps the step: a reload shows the same crash.
    await page.reload();
    await page.waitForSelector('[data-actor="service"].crashed');
    // r resets to the start.
    await page.keyboard.press('r');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '0');
  });
});

test('a knob change lands in the URL and turns the inbox design against duplicates', async () => {
  await withPage('?area=outbox&preset=duplicates', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    const dups = await counter(page, 'duplicate_effects');
    assert.ok(dups > 0);
    await page.selectOption('#outbox-mode', '4');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('mode') === '4');
    assert.equal(await counter(page, 'duplicate_effects'), 0);
    assert.equal(await counter(page, 'dedup_hits'), dups, 'each duplicate becomes a dedup hit');
    await setRange(page, '#outbox-cmds', 60);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('cmds') === '60');
    assert.equal(await counter(page, 'commands'), 60);
  });
});

test('hostile outbox links warn and fall back', async () => {
  await withPage('?area=outbox&preset=%3Cb%3E&mode=99&cmds=-3&crash=1e9', async (page) => {
    await page.waitForSelector('#link-warning');
    const text = await page.locator('#link-warning').innerText();
    assert.match(text, /mode=99 is outside 1..5/);
    assert.match(text, /cmds=-3 is outside 1..200/);
    await page.waitForSelector('.outbox-pipeline');
  });
});
