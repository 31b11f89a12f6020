// The Outbox lab: every design's preset is a permalink that shows its lesson
// in the key counter, the pipeline fills as the learner steps, the jump lands
// on the decisive record, and the keyboard drives the steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, setRange, counter, settledUrl } from './harness.mjs';

const PRESETS = [
  { slug: 'inbox', design: '4', key: 'duplicate_effects', expect: (v) => v === 0 },
  { slug: 'lost', design: '1', key: 'events_lost', expect: (v) => v > 0 },
  { slug: 'ghost', design: '2', key: 'ghost_events', expect: (v) => v > 0 },
  { slug: 'duplicates', design: '3', key: 'duplicate_effects', expect: (v) => v > 0 },
  { slug: 'tailing', design: '5', key: 'duplicate_effects', expect: (v) => v === 0 },
  { slug: 'mark-first', design: '4', key: 'effects_lost', expect: (v) => v > 0 },
  { slug: 'apply-first', design: '4', key: 'duplicate_effects', expect: (v) => v > 0 },
];

for (const p of PRESETS) {
  test(`preset ${p.slug} (design ${p.design}) shows its lesson as a permalink`, async () => {
    await withPage(`?area=outbox&preset=${p.slug}&step=99999&predict=0`, async (page) => {
      await page.waitForSelector('[data-lab="outbox"] .outbox-pipeline');
      assert.equal(await page.locator('#outbox-design').inputValue(), p.design);
      const key = page.locator('.counter.key');
      assert.equal(await key.count(), 1);
      assert.equal(await key.getAttribute('data-counter'), p.key);
      const v = await counter(page, p.key);
      assert.ok(p.expect(v), `${p.key} = ${v}`);
      const button = page.locator(`.preset[data-preset="${p.slug}"]`);
      assert.equal(await button.getAttribute('aria-current'), 'true');
      // One set of names: the preset button and the design list say the same.
      const option = await page.locator(`#outbox-design option[value="${p.design}"]`).innerText();
      assert.ok((await button.innerText()).includes(option), `${await button.innerText()} vs ${option}`);
      // At the last record every committed order is a row.
      assert.equal(Number(await page.locator('[data-table="orders"]').getAttribute('data-rows')), await counter(page, 'accepted'));
      if (p.slug === 'inbox' || p.slug === 'tailing') {
        assert.ok((await counter(page, 'dedup_hits')) > 0);
        assert.equal(await page.locator('[data-table="inbox"]').count(), 1);
      }
      await screenshot(page, `outbox-${p.slug}`);
    });
  });
}

test('a preset starts at record 0, and the evidence says it counts the whole run', async () => {
  await withPage('?area=outbox&preset=lost&predict=0', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    assert.match(await page.locator('.step-count').innerText(), /Record 0 \//);
    assert.equal(Number(await page.locator('[data-table="orders"]').getAttribute('data-rows')), 0);
    assert.ok((await counter(page, 'events_lost')) > 0);
    assert.match(await page.locator('.lab-evidence').innerText(), /whole run/);
  });
});

test('Jump to the failure lands on the record where the event is lost', async () => {
  await withPage('?area=outbox&preset=lost&predict=0', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    const jump = page.locator('.step-controls .jump');
    assert.equal(await jump.innerText(), 'Jump to the failure');
    const to = await jump.getAttribute('data-jump');
    await jump.click();
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === s, to);
    assert.match(await page.locator('.event-log li.current').innerText(), /CRASHES/);
    await page.waitForSelector('[data-actor="service"].crashed');
    // The current line is in view inside the log's scroll box.
    const inView = await page.locator('.outbox-log').evaluate((box) => {
      const line = box.querySelector('li.current').getBoundingClientRect();
      const b = box.getBoundingClientRect();
      return line.top >= b.top - 1 && line.bottom <= b.bottom + 1;
    });
    assert.ok(inView, 'the current log line is scrolled into view');
    await screenshot(page, 'outbox-jump-to-failure');
  });
});

test('stepping fills the tables row by row and marks crashes where they strike', async () => {
  await withPage('?area=outbox&preset=lost&step=0&predict=0', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    let crashed = false;
    for (let i = 0; i < 200 && !crashed; i++) {
      await page.keyboard.press('j');
      crashed = (await page.locator('[data-actor="service"].crashed').count()) === 1;
    }
    assert.ok(crashed, 'no service crash was reached by stepping');
    const step = Number(new URL(await settledUrl(page)).searchParams.get('step'));
    assert.ok(step > 0);
    assert.match(await page.locator('.event-log li.current').innerText(), /CRASHES/);
    assert.ok(Number(await page.locator('[data-table="orders"]').getAttribute('data-rows')) > 0);
    await page.keyboard.press('k');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s - 1), step);
    await page.reload();
    await page.waitForSelector('.outbox-pipeline');
    await page.keyboard.press('r');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('step') === '0');
  });
});

test('a knob change lands in the URL, restarts at record 0 and turns the inbox design against duplicates', async () => {
  await withPage('?area=outbox&preset=duplicates&step=40&predict=0', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    const dups = await counter(page, 'duplicate_effects');
    assert.ok(dups > 0);
    await page.selectOption('#outbox-design', '4');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('design') === '4');
    assert.equal(new URL(await settledUrl(page)).searchParams.get('step'), '0');
    assert.equal(new URL(await settledUrl(page)).searchParams.get('preset'), null);
    assert.equal(await counter(page, 'duplicate_effects'), 0);
    assert.equal(await counter(page, 'dedup_hits'), dups, 'each duplicate becomes a dedup hit');
    await page.locator('.controls-more summary').click();
    await setRange(page, '#outbox-cmds', 60);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('cmds') === '60');
    assert.equal(await counter(page, 'commands'), 60);
  });
});

test('jargon explains itself on focus', async () => {
  await withPage('?area=outbox', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    for (const word of ['relay', 'log tailing', 'partition', 'aggregatetype']) {
      const term = page.locator(`.lab-intro .term[data-term="${word}"]`).first();
      const tip = await term.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')).textContent);
      assert.ok(tip.length > 20, word);
    }
    await page.locator('.lab-intro .term[data-term="aggregatetype"]').first().focus();
    await screenshot(page, 'outbox-term-focus');
  });
});

test('hostile outbox links warn and fall back', async () => {
  await withPage('?area=outbox&preset=%3Cb%3E&mode=99&cmds=-3&crash=1e9', async (page) => {
    await page.waitForSelector('#link-warning');
    const text = await page.locator('#link-warning').innerText();
    assert.match(text, /is not a preset of this lab/);
    assert.match(text, /mode= is now called design= in this lab/);
    assert.match(text, /design="99" is not one of 1, 2, 3, 4, 5/);
    assert.match(text, /cmds=-3 is outside 1..1000/);
    await page.waitForSelector('.outbox-pipeline');
  });
});

test('design 5 shows an offset, not a sent column, and the relay never writes the outbox table', async () => {
  await withPage('?area=outbox&preset=tailing&step=99999&predict=0', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    const head = await page.locator('[data-table="outbox"] thead').innerText();
    assert.match(head, /in broker/);
    assert.doesNotMatch(head, /\bsent\b/);
    assert.ok(Number(await page.locator('.outbox-offset').getAttribute('data-offset')) > 0);
    assert.doesNotMatch(await page.locator('.event-log').innerText(), /marks outbox row/);
    assert.match(await page.locator('[data-counter="lag_mean"]').innerText(), /Outbox lag/);
    await screenshot(page, 'outbox-tailing-offset');
  });
  await withPage('?area=outbox&preset=lost&predict=0', async (page) => {
    await page.waitForSelector('.outbox-pipeline');
    assert.match(await page.locator('[data-counter="lag_mean"]').innerText(), /Publish latency/);
  });
});
