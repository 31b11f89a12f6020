// No way around the question, and a room can vote (issue 22, items 2 and 4;
// issue 29, item 1). Every move that crosses a prompt's step goes through the
// one gate in src/shell/predict_gate.rs: the tests try each way past it in
// every lab that asks, and find the prompt each time, with the counter on the
// step just before the one the note says waits. Then a room answers with the
// keyboard alone, and reveals without answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { withPage, settledUrl, setRange, SHOTS } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// registry: cases (a preset with a prompt in each lab that asks, and what its counter calls a step)
const CASES = [
  { area: 'keys', search: 'preset=crash-window', label: 'Step', jump: true },
  { area: 'outbox', search: 'preset=inbox', label: 'Record', jump: true },
  { area: 'retries', search: 'preset=wave&mode=fleet', label: 'Time bucket', jump: false },
  { area: 'races', search: 'scenario=select-then-insert', label: 'Step', jump: true },
];

const stepOf = (url) => Number(new URL(url).searchParams.get('step') || '0');

/**
 * Waits for the prompt to ask and checks the screen agrees on one step: the
 * counter and the scrubber stand on the step just before the one the note and
 * the polite status say waits. Returns the step that waits.
 */
async function findsPrompt(where, c, how) {
  const gate = where.locator('.predict-gate[data-state="asking"]');
  await gate.waitFor({ timeout: 5000 }).catch(() => assert.fail(`${c.area} ${how}: the prompt asks`));
  const d = Number(await gate.getAttribute('data-step'));
  const count = await where.locator('.step-controls .step-count').innerText();
  const m = count.match(/(\d+) \/ (\d+)/);
  assert.ok(m, `${c.area} ${how}: a counter (${count})`);
  assert.equal(Number(m[1]), d - 1, `${c.area} ${how}: the counter (${count}) stands just before step ${d}`);
  assert.ok(count.startsWith(c.label), `${c.area} ${how}: the counter says ${c.label}`);
  assert.equal(Number(await where.locator('.step-controls .scrubber input').inputValue()), d - 1, `${c.area} ${how}: the scrubber agrees`);
  assert.match(await where.locator('.predict-gate[data-state="asking"] > p.hint').innerText(), new RegExp(`^${c.label} ${d} waits for your prediction`), `${c.area} ${how}: the note`);
  assert.match(await where.locator('.predict-status').innerText(), new RegExp(`^${c.label} ${d} waits for your prediction\\.`), `${c.area} ${how}: the status`);
  assert.equal(await where.locator('.step-controls button.play').innerText().then((t) => /Play|Replay/.test(t)), true, `${c.area} ${how}: Play reads Play`);
  return d;
}

/** The first step that asks in a case's run: a link far past it is held before it. */
async function firstAsked(c) {
  let d = 0;
  await withPage(`?area=${c.area}&${c.search}&step=999`, async (page) => {
    d = await findsPrompt(page, c, 'step=999 in the link');
  });
  assert.ok(d > 0);
  return d;
}

for (const c of CASES) {
  test(`${c.area}: every way past the question finds the prompt, with one step number on screen`, async () => {
    const d = await firstAsked(c);
    const ways = [
      ['Last step', (page) => page.locator('.step-controls button.last').click()],
      ['the scrubber', (page) => setRange(page, '.step-controls .scrubber input', d + 1)],
      ['Play', (page) => page.locator('.step-controls button.play').click()],
    ];
    if (c.jump) {
      ways.push(['the jump button', async (page) => {
        const jump = page.locator('.step-controls button.jump');
        assert.equal(await jump.innerText(), 'Jump to the decisive step', 'the jump names no outcome before the answer');
        await jump.click();
      }]);
    }
    for (const [how, move] of ways) {
      await withPage(`?area=${c.area}&${c.search}${how === 'Play' ? `&step=${Math.max(0, d - 2)}` : ''}`, async (page) => {
        await move(page);
        await findsPrompt(page, c, how);
        assert.ok(stepOf(await settledUrl(page)) < d, `${c.area} ${how}: the link did not pass the question`);
      });
    }
    // The keyboard: j and the right arrow from the step before.
    for (const key of ['j', 'ArrowRight']) {
      await withPage(`?area=${c.area}&${c.search}&step=${d - 1}`, async (page) => {
        await page.evaluate(() => document.activeElement?.blur());
        await page.keyboard.press(key);
        await findsPrompt(page, c, `the ${key} key`);
        assert.equal(stepOf(await settledUrl(page)), d - 1);
      });
    }
  });
}

test('a host\'s set message past the question finds the prompt, and the outcome waits for the answer', async () => {
  const c = CASES[0];
  const d = await firstAsked(c);
  await withPage('', async (page) => {
    const origin = new URL(await settledUrl(page)).origin;
    await page.evaluate(({ origin, search }) => {
      window.labMessages = [];
      addEventListener('message', (e) => { if (e.data && e.data.source === 'idemlab') window.labMessages.push(e.data); });
      const f = document.createElement('iframe');
      f.id = 'lab';
      f.style.cssText = 'position:fixed;top:0;left:0;width:1200px;height:880px;border:0;background:#fff;z-index:99';
      f.src = `${origin}/index.html?area=keys&${search}&embed=1&origins=${encodeURIComponent(origin)}`;
      document.body.append(f);
    }, { origin, search: c.search });
    await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'height'));
    const frame = page.frameLocator('#lab');
    await frame.locator('.step-controls').waitFor();
    await page.evaluate(() => document.getElementById('lab').contentWindow.postMessage(
      { source: 'idemlab-host', version: 1, type: 'set', params: { step: 999 } }, '*'));
    const inner = page.frames().find((f) => f !== page.mainFrame());
    assert.equal(await findsPrompt(inner, c, 'a host set'), d);
    assert.equal((await page.evaluate(() => window.labMessages)).filter((m) => m.type === 'outcome').length, 0, 'no outcome before the answer');
    await frame.locator('.predict-gate .predict-reveal-room').click();
    await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'prediction'));
    const msg = await page.evaluate(() => window.labMessages.find((m) => m.type === 'prediction'));
    assert.equal(msg.detail.revealed_without_answer, true);
    assert.equal(msg.detail.answer, '');
    assert.equal(msg.detail.correct, false);
    assert.equal(msg.detail.step, d);
    assert.ok(msg.detail.id && msg.detail.question, 'the fields stay');
    await page.waitForFunction(() => window.labMessages.some((m) => m.type === 'outcome'));
  }, { ready: 'body' });
});

test('a room answers with the keyboard alone: focus on the prompt, 2, Enter; then focus goes to the result and back to the steps', async () => {
  const c = CASES[1];
  const d = await firstAsked(c);
  await withPage(`?area=${c.area}&${c.search}&step=${d - 1}`, async (page) => {
    await page.locator('.step-controls button.forward').focus();
    await page.keyboard.press('Enter');
    await findsPrompt(page, c, 'Enter on Next step');
    await page.waitForFunction(() => document.activeElement?.closest('.predict-gate'), null, { timeout: 2000 })
      .catch(() => assert.fail('focus moves to the prompt'));
    await page.keyboard.press('2');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.choice), '1', '2 picks the second choice');
    assert.equal(await page.locator('.predict-gate[data-state="asking"]').count(), 1, '2 alone does not answer');
    await page.keyboard.press('Enter');
    const reveal = page.locator('.predict-gate[data-state="revealed"] .predict-reveal');
    await reveal.waitFor();
    assert.match(await reveal.innerText(), /^(✓ Right\.|✗ Not quite\.)/);
    assert.doesNotMatch(await reveal.innerText(), /\byou\b/i, 'the reply speaks to whoever answered');
    await page.waitForFunction(() => document.activeElement?.classList.contains('predict-reveal'), null, { timeout: 2000 })
      .catch(() => assert.fail('focus moves to the result'));
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d);
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => document.activeElement.closest('.step-controls') !== null), true, 'Escape goes back to the step controls');
    assert.notEqual(await page.evaluate(() => document.activeElement.tagName), 'BODY');
  });
});

test('"Reveal (we voted)" shows the answer without recording a choice, and the step happens', async () => {
  for (const c of [CASES[0], CASES[3]]) {
    const d = await firstAsked(c);
    await withPage(`?area=${c.area}&${c.search}&step=${d - 1}`, async (page) => {
      await page.locator('.step-controls button.forward').click();
      await findsPrompt(page, c, 'Next step');
      await page.locator('.predict-reveal-room').click();
      const reveal = page.locator('.predict-gate[data-state="revealed"] .predict-reveal');
      await reveal.waitFor();
      assert.equal(await reveal.getAttribute('data-room'), 'true');
      assert.match(await reveal.innerText(), /^Revealed without a recorded answer\. The answer is \d+: /);
      assert.equal(await page.locator('.predict-choice[aria-pressed="true"]').count(), 0, 'no choice recorded');
      await page.waitForFunction((s) => new URL(location.href).searchParams.get('step') === String(s), d);
    });
  }
});

test('a blocked move while the prompt asks says again that the step waits, and Play stops there reading Play', async () => {
  const c = CASES[0];
  const d = await firstAsked(c);
  await withPage(`?area=${c.area}&${c.search}&step=${Math.max(0, d - 3)}`, async (page) => {
    await page.locator('.step-controls button.play').click();
    await findsPrompt(page, c, 'Play');
    assert.equal(await page.locator('.step-controls button.play').getAttribute('aria-pressed'), 'false');
    const before = await page.locator('.predict-status').textContent();
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('j');
    await page.waitForFunction((b) => document.querySelector('.predict-status').textContent !== b, before);
    assert.match(await page.locator('.predict-status').textContent(), new RegExp(`^Step ${d} waits for your prediction`));
    assert.equal(stepOf(await settledUrl(page)), d - 1);
  });
});

test('every lesson stop opens before its question: no stop shows a step past its start until answered', async () => {
  const ids = await (async () => {
    let out = [];
    await withPage('?area=recall&lesson=none', async (page) => {
      out = await page.locator('.lessons ul a').evaluateAll((as) => as.map((a) => new URL(a.href).searchParams.get('lesson')));
    });
    return out;
  })();
  assert.ok(ids.length >= 3, `lessons: ${ids}`);
  for (const id of ids) {
    await withPage(`?area=recall&lesson=${id}&stop=1`, async (page) => {
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await page.locator('.lessons > h3').waitFor();
      for (;;) {
        const stop = await page.locator('.lessons').getAttribute('data-stop');
        const count = page.locator('.lesson-screen .step-controls .step-count');
        if (await count.count()) {
          const text = await count.innerText();
          assert.match(text, / 0 \//, `${id} stop ${stop} opens at its start before its question (${text})`);
        }
        const next = page.locator('.lesson-nav a.lesson-next');
        if (!(await next.count()) || !(await next.getAttribute('href')).includes('lesson=')) break;
        await next.click();
        await page.waitForFunction((s) => document.querySelector('.lessons')?.dataset.stop !== s, stop);
      }
    });
  }
  // Answered, the stop goes on to the step its link names.
  await withPage('?area=recall&lesson=four-outcomes&stop=2', async (page) => {
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    const count = page.locator('.lesson-screen .step-controls .step-count');
    assert.match(await count.innerText(), / 0 \//);
    await page.locator('.lessons .predict-choice').first().click();
    await page.waitForFunction(() => !/ 0 \//.test(document.querySelector('.lesson-screen .step-controls .step-count')?.textContent || ' 0 /'));
  });
});

test('screenshots with a prompt up, at 1280 × 720 and 390 × 844: the picture and the question fit together', async () => {
  for (const c of CASES) {
    const d = await firstAsked(c);
    for (const [w, h] of [[1280, 720], [390, 844]]) {
      await withPage(`?area=${c.area}&${c.search}&step=${d - 1}`, async (page) => {
        await page.locator('.step-controls button.forward').click();
        await findsPrompt(page, c, `Next at ${w}×${h}`);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.locator('.step-controls').scrollIntoViewIfNeeded();
        const path = `prompt-${c.area}-${w}x${h}`;
        await page.screenshot({ path: `${SHOTS}/${path}.png` });
        if (w === 1280) {
          // The whole prompt is on the first screen with the step controls.
          const box = await page.locator('.predict-gate').boundingBox();
          assert.ok(box && box.y >= 0 && box.y + box.height <= h, `${c.area}: the prompt fits ${w}×${h} (${JSON.stringify(box)})`);
        }
      }, { viewport: { width: w, height: h } });
    }
  }
});

// Presets whose run asks, with the phrases the answer (its reveal, its
// preset line, its jump button, its counters) uses: none may be on screen
// before the answer.
// registry: cases (one preset per line, with its outcome phrases)
const SPOILERS = [
  { area: 'keys', search: 'preset=crash-window', phrases: [/calls the provider again/i, /charged op 1 a second time/i, /Jump to the failure/] },
  { area: 'keys', search: 'preset=crash-window-pk', phrases: [/returned its first charge/i, /instead of charging again/i] },
  { area: 'keys', search: 'preset=slow-409', phrases: [/answers 409 until the first completes/i, /server answered 409 Conflict/i] },
  { area: 'keys', search: 'preset=reused-key', phrases: [/replays the first charge's response/i, /was never charged/i] },
  { area: 'keys', search: 'preset=volatile-crash', phrases: [/and charges again/i, /comes back with an empty store/i] },
  { area: 'outbox', search: 'preset=inbox', phrases: [/hits the primary key and is skipped/i, /duplicate the inbox skipped/i, /hit the primary key/i] },
  { area: 'outbox', search: 'preset=duplicates', phrases: [/applied twice/i, /Duplicate effects/i] },
  { area: 'retries', search: 'preset=herd&mode=fleet', phrases: [/Peak offered load after the outage/i, /come back together/i] },
  { area: 'retries', search: 'preset=wave&mode=fleet', phrases: [/run out of their 3 attempts/i, /After the outage the offered load peaked/i] },
  { area: 'races', search: 'scenario=select-then-insert', phrases: [/Both charge/, /double charge/i, /Jump to the second charge/] },
];

for (const s of SPOILERS) {
  test(`${s.area} (${s.search}): before the answer nothing on screen gives it away, and nothing past the prompt's step is drawn`, async () => {
    const c = { ...s, label: CASES.find((x) => x.area === s.area).label };
    for (const at of ['0', '999']) {
      await withPage(`?area=${s.area}&${s.search}&step=${at}`, async (page) => {
        let d = null;
        if (at === '999') d = await findsPrompt(page, c, 'step=999');
        const text = await page.locator('main').innerText();
        for (const re of s.phrases) assert.doesNotMatch(text, re, `${s.area} ${s.search} at step=${at}: "${re}" is on screen`);
        if (d !== null) {
          const drawn = await page.locator('.timeline [data-step]').evaluateAll((els) => els.map((e) => Number(e.dataset.step)));
          assert.ok(drawn.every((x) => x < d), `${s.area}: the picture draws nothing from step ${d} on (${Math.max(...drawn)})`);
          assert.equal(await page.locator('.lab-evidence').getAttribute('data-outcome'), 'hidden', 'the evidence is covered');
          // Answered, the run and its evidence show.
          // (A run that asks at several steps asks each in turn.)
          for (let i = 0; i < 10 && (await page.locator('.predict-gate[data-state="asking"]').count()); i++) {
            await page.locator('.predict-gate[data-state="asking"] .predict-reveal-room').click();
            await page.waitForTimeout(200);
          }
          await page.waitForFunction(() => document.querySelector('.lab-evidence')?.dataset.outcome === 'shown');
        }
      });
    }
  });
}

test('axe finds no serious or critical violation with the Races prompt up, nor after a room reveal', async () => {
  const c = CASES[3];
  await withPage(`?area=${c.area}&${c.search}&step=999`, async (page) => {
    const d = await findsPrompt(page, c, 'step=999');
    const bad = async () => {
      await page.evaluate(AXE);
      const r = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })));
      return r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    };
    let found = await bad();
    assert.deepEqual(found, [], `asking: ${JSON.stringify(found, null, 1)}`);
    await page.locator('.predict-reveal-room').click();
    // The next question of the run, if any, asks in turn; else the reveal stays.
    await page.waitForFunction((d) => {
      const g = document.querySelector('.predict-gate');
      return g && (g.dataset.state === 'revealed' || g.dataset.step !== String(d));
    }, d);
    found = await bad();
    assert.deepEqual(found, [], `revealed: ${JSON.stringify(found, null, 1)}`);
  }, { reducedMotion: 'reduce' });
});
