// Write your own handler: the Races page's editor explores any handler a
// learner types, keeps it in the link, and refuses what it cannot model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, screenshot, settledUrl } from './harness.mjs';

// The verdict without the timing, which changes from run to run.
const summary = async (page) => (await page.locator('#handler-summary strong').innerText()).trim();
// An edited text is compiled and explored in the Web Worker: wait for its answer.
const settled = (page) => page.waitForFunction(() =>
  !document.querySelector('#handler-exploring') && !document.querySelector('#races-loading'));
const ledger = async (page) => Number(await page.locator('.races-ledger').first().getAttribute('data-charges'));
const stepParam = async (page) => Number(new URL(await settledUrl(page)).searchParams.get('step') || '0');

test('the shipped SELECT-then-INSERT text double charges in 68 of 70 interleavings, and the fix is safe', async () => {
  await withPage('?area=races&scenario=select-then-insert&predict=0', async (page) => {
    await page.waitForSelector('#handler-text');
    assert.match(await summary(page), /double charge in 68 of 70/);
  });
  await withPage('?area=races&scenario=on-conflict&predict=0', async (page) => {
    await page.waitForSelector('#handler-text');
    assert.match(await summary(page), /safe in all 32/);
  });
});

test('an edited handler is explored at once, kept in the link, and read back from it', async () => {
  await withPage('?area=races&scenario=on-conflict&predict=0', async (page) => {
    await page.waitForSelector('#handler-text');
    const text = await page.locator('#handler-text').inputValue();
    // Three requests instead of two: more interleavings, still safe.
    await page.selectOption('#races-lanes', '3');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('lanes') === '3');
    await settled(page);
    const three = await summary(page);
    assert.match(three, /safe in all \d+/);
    assert.notEqual(Number(await page.locator('#handler-summary').getAttribute('data-total')), 32);
    const link = await settledUrl(page);
    assert.ok(new URL(link).searchParams.get('handler') === text, 'the link carries the handler text');
    await screenshot(page, 'races-handler-3-lanes');
    await page.goto(link);
    await page.waitForSelector('#handler-summary');
    await settled(page);
    assert.equal(await summary(page), three, 'the link reproduces the exploration');
  });
});

test('SQL outside the modelled subset is refused with its line, never modelled wrongly', async () => {
  await withPage('?area=races&scenario=on-conflict&predict=0', async (page) => {
    await page.waitForSelector('#handler-text');
    await page.locator('#handler-text').fill('BEGIN;\nDELETE FROM idempotency_keys;\nCOMMIT;\nRESPOND 201');
    await page.waitForSelector('#handler-error');
    const msg = await page.locator('#handler-error').innerText();
    assert.match(msg, /line 2/i);
    assert.match(msg, /DELETE/);
    assert.equal(await page.locator('#handler-text').getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'races-handler-refused');
  });
});

// A racy handler of the learner's own: SELECT-then-INSERT with the check and
// the insert in separate transactions, so nothing stops the second request.
const RACY = `BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO replay
COMMIT;
CHARGE
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
COMMIT;
RESPOND 201
replay:
COMMIT;
RESPOND STORED`;

test('a pasted racy handler: its count, its counterexample stepped to the double charge, and the same step from its link', async () => {
  await withPage('?area=races&scenario=on-conflict&predict=0', async (page) => {
    await page.waitForSelector('#handler-text');
    await page.locator('#handler-text').fill(RACY);
    await page.waitForFunction((t) => new URL(location.href).searchParams.get('handler') === t, RACY);
    await settled(page);
    await page.waitForSelector('#handler-summary');
    const verdict = await summary(page);
    assert.match(verdict, /double charge in \d+ of \d+ interleavings/);
    // The picture now runs the handler: its text is what the code box shows.
    assert.equal(await page.locator('.races-scenario h3').innerText(), 'Your handler');
    assert.match(await page.locator('.races-sql').innerText(), /IF ROW GOTO replay/);
    await page.click('#handler-open-counterexample');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('schedule'));
    const schedule = new URL(await settledUrl(page)).searchParams.get('schedule');
    assert.equal((await stepParam(page)), 0, 'the counterexample opens at step 0, its run drawn ahead');
    assert.equal(await ledger(page), 0);
    const forward = page.locator('.step-controls button.forward');
    let charges = 0;
    while (charges < 2 && await forward.isEnabled()) {
      await forward.click();
      charges = await ledger(page);
    }
    assert.equal(charges, 2, 'stepping the counterexample reaches the double charge');
    const at = (await stepParam(page));
    assert.ok(at > 0);
    await screenshot(page, 'races-handler-counterexample');
    const link = await settledUrl(page);
    await page.goto(link);
    await page.waitForSelector('.races-ledger');
    await settled(page);
    assert.equal(new URL(await settledUrl(page)).searchParams.get('schedule'), schedule);
    assert.equal((await stepParam(page)), at, 'the link keeps the step');
    assert.equal(await ledger(page), 2, 'and shows the same double charge after a reload');
    assert.equal(await summary(page), verdict);
    await screenshot(page, 'races-handler-reloaded');
  });
});

test("side by side puts the learner's handler beside any shipped scenario", async () => {
  const q = new URLSearchParams({ area: 'races', scenario: 'select-then-insert', handler: RACY, mode: 'side', against: 'on-conflict', predict: '0' });
  await withPage('?' + q.toString(), async (page) => {
    await page.waitForSelector('#races-compare');
    assert.equal(await page.locator('#races-against').inputValue(), 'on-conflict');
    assert.match(await page.locator('[data-pane="right"] h3').innerText(), /ON CONFLICT/);
    assert.match(await page.locator('[data-pane="left"] h3').innerText(), /Your handler/);
    await page.selectOption('#races-against', 'advisory-lock');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('against') === 'advisory-lock');
    assert.match(await page.locator('[data-pane="right"] h3').innerText(), /advisory/i);
    await screenshot(page, 'races-handler-side-by-side');
  });
});

test("a link whose handler the parser refuses opens on the parser's message, with the editor there to mend it", async () => {
  const q = new URLSearchParams({ area: 'races', handler: 'BEGIN;\nDELETE FROM idempotency_keys;\nCOMMIT;\nRESPOND 201', lanes: '3', predict: '0' });
  await withPage('?' + q.toString(), async (page) => {
    await page.waitForSelector('section.lab .error[role=alert]');
    const picture = await page.locator('section.lab .error[role=alert]').first().innerText();
    assert.match(picture, /line 2/);
    assert.match(picture, /DELETE/);
    assert.match(await page.locator('#handler-error').innerText(), /line 2/);
    // Mending the text in place runs it.
    await page.locator('#handler-text').fill('BEGIN;\nCOMMIT;\nCHARGE\nRESPOND 201');
    await settled(page);
    await page.waitForSelector('#handler-summary');
    assert.match(await summary(page), /double charge in \d+ of \d+/);
    assert.equal(await page.locator('.races-scenario h3').innerText(), 'Your handler');
    await screenshot(page, 'races-handler-mended');
  });
});

test('an embedded link with a handler tells its course page the outcome of the handler run', async () => {
  await withPage('?area=about', async (page) => {
    await page.waitForSelector('[data-lab="about"]');
    const q = new URLSearchParams({ area: 'races', handler: RACY, embed: '1', reveal: '1' });
    const detail = await page.evaluate((src) => new Promise((resolve, reject) => {
      window.addEventListener('message', (e) => {
        if (e.data?.source === 'idemlab' && e.data.type === 'outcome' && e.data.area === 'races') resolve(e.data.detail);
      });
      const f = document.createElement('iframe');
      f.src = src;
      f.width = 800;
      f.height = 600;
      document.body.append(f);
      setTimeout(() => reject(new Error('no outcome message within 20 s')), 20000);
    }), '/?' + q.toString());
    assert.equal(detail.preset, 'custom');
    assert.equal(detail.counters.double_charge_schedules, 250, 'the handler run, not a shipped scenario');
    assert.equal(detail.counters.schedules, 252);
  });
});

test('NOWAIT answers 409 at once, and a handler whose waiters PostgreSQL itself races is refused with the race named', async () => {
  const nowait = `CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE NOWAIT;
IF ERROR 55P03 GOTO busy
IF STATUS STARTED GOTO mine
COMMIT;
RESPOND STORED
mine:
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
RESPOND 201
busy:
ROLLBACK;
RESPOND 409`;
  const q = (text, lanes) => `?area=races&scenario=on-conflict&predict=0&lanes=${lanes}&handler=${encodeURIComponent(text)}`;
  await withPage(q(nowait, 2), async (page) => {
    await page.waitForSelector('#handler-summary');
    assert.match(await summary(page), /safe in all 76/);
    assert.match(await page.locator('.handler-classes').innerText(), /409/);
    await screenshot(page, 'races-handler-nowait');
  });
  // The claimant locks the row, then updates it: with 3 lanes two waiters race for the new version.
  const lockThenUpdate = nowait
    .replace(' NOWAIT;', ';')
    .replace('IF ERROR 55P03 GOTO busy\n', '')
    .replace('\nbusy:\nROLLBACK;\nRESPOND 409', '');
  await withPage(q(lockThenUpdate, 3), async (page) => {
    await page.waitForSelector('#handler-error');
    assert.match(await page.locator('#handler-error').innerText(), /race inside PostgreSQL/);
    await screenshot(page, 'races-handler-racy');
  });
});

test("the fix's gap is a link away: the stuck key after a crash, stepped, answers 409", async () => {
  await withPage('?area=races&preset=on-conflict', async (page) => {
    await page.locator('#races-stuck-key a').click();
    await page.waitForFunction(() => (new URL(location.href).searchParams.get('handler') || '').includes('LANE Server'));
    await settled(page);
    assert.match(await page.locator('#handler-text').inputValue(), /CRASH/);
    const classes = await page.locator('.handler-classes').innerText();
    assert.match(classes, /409/, classes);
    assert.equal(await page.locator('#races-stuck-key').count(), 0, 'a learner\'s handler is no preset: the link is the preset\'s');
    await screenshot(page, 'races-stuck-key');
  });
});
