// Where a control's time goes: traces N changes of one control with Chrome's
// timeline categories and prints self time per trace event name on the main thread.
// Usage: node tests/e2e/profile.mjs <area> <control-id> [changes] [extra query]
// Env: DIST=<dir> serves another build; CPU=<n> also samples a CPU profile and
// prints the n functions with the most self time; INCL=n adds the n app and core
// functions with the most inclusive time. wasm functions have names only in a build
// that keeps them: after `trunk build --release --dist /tmp/d`, run wasm-bindgen
// --keep-debug --target web on target/wasm32-unknown-unknown/wasm-release/idemlab-web.wasm,
// `wasm-opt -Oz -g` its output, copy the .js and .wasm over the hashed names in /tmp/d,
// run scripts/postbuild.mjs /tmp/d and drop its integrity attributes, then DIST=/tmp/d.
import { chromium } from 'playwright-core';
import { serveDir } from '../../scripts/static-server.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const [area, id, n = '10', extra = ''] = process.argv.slice(2);
const server = await serveDir(process.env.DIST || join(here, '..', '..', 'dist'), 0);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`http://127.0.0.1:${server.address().port}/?area=${area}${extra}`);
await page.waitForSelector('#main');
await page.waitForTimeout(500);
const more = page.locator('details.more-knobs > summary, .controls details > summary');
for (const s of await more.all()) { try { await s.click(); } catch {} }
const cdp = await page.context().newCDPSession(page);
const events = [];
cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
if (process.env.CPU) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 50 }); await cdp.send('Profiler.start'); }
await cdp.send('Tracing.start', { categories: process.env.LIGHT ? 'devtools.timeline' : 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink,blink.user_timing', transferMode: 'ReportEvents' });
const times = await page.evaluate(async ([id, n]) => {
  const el = document.getElementById(id);
  const out = [];
  const tick = () => new Promise((ok) => { const c = new MessageChannel(); c.port1.onmessage = ok; c.port2.postMessage(0); });
  for (let k = 0; k < n; k++) {
    await new Promise((ok) => setTimeout(ok, 50));
    performance.mark('b0');
    const t0 = performance.now();
    if (el.type === 'checkbox') el.checked = !el.checked;
    else if (el.tagName === 'SELECT') el.selectedIndex = el.selectedIndex === 0 ? 1 : 0;
    else { const v = Number(el.value), st = Number(el.step) || 1; el.value = String(v + st <= Number(el.max) ? (k % 2 ? v - st : v + st) : v - st); }
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
    const t1 = performance.now();
    for (let i = 0; i < 5; i++) await tick();
    void document.body.offsetHeight;
    out.push([t1 - t0, performance.now() - t0]);
    performance.mark('b1');
  }
  return out;
}, [id, Number(n)]);
const cpu = process.env.CPU ? (await cdp.send('Profiler.stop')).profile : null;
await cdp.send('Tracing.end');
await done;
const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
const mine = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur != null).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
const self = new Map();
const stack = [];
for (const e of mine) {
  while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
  if (stack.length) { const p = stack[stack.length - 1]; p.child = (p.child || 0) + e.dur; }
  stack.push(e);
}
for (const e of mine) self.set(e.name, (self.get(e.name) || 0) + (e.dur - (e.child || 0)));
// Main-thread CPU time (the tasks' thread time, which other processes' load moves far less than wall time).
let cpuTime = 0;
let end = -1;
for (const e of mine) {
  if (e.ts >= end) { cpuTime += e.tdur ?? e.dur; end = e.ts + e.dur; }
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, 18);
console.log(`${area} ${id}: sync dispatch ms`, times.map((t) => t[0].toFixed(1)).join(' '), '| total', times.map((t) => t[1].toFixed(1)).join(' '));
console.log(`  main-thread CPU ${(cpuTime / 1000 / Number(n)).toFixed(2)} ms/change (thread time of its top-level tasks)`);
for (const [k, v] of rows) console.log(`  ${(v / 1000 / Number(n)).toFixed(2).padStart(7)} ms/change  ${k}`);
if (cpu) {
  // Self time per function from the sampling profile (samples x interval).
  const byId = new Map(cpu.nodes.map((n) => [n.id, n]));
  const selfT = new Map();
  const dts = cpu.timeDeltas;
  cpu.samples.forEach((id, i) => {
    const n = byId.get(id);
    const name = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}`;
    selfT.set(name, (selfT.get(name) || 0) + (dts[i + 1] ?? 0));
  });
  const group = (k) => {
    if (k.startsWith('(')) return k.split(' ')[0];
    if (k.includes('_bg.wasm')) {
      if (k.includes('idemlab_sim')) return 'wasm: the core (idemlab_sim)';
      if (k.includes('idemlab_web')) return 'wasm: the app (idemlab_web)';
      if (k.includes('yew')) return 'wasm: yew';
      if (/fmt|float_to_decimal/.test(k)) return 'wasm: formatting';
      if (/dlmalloc|alloc::|__rust_(de)?alloc|drop_in_place|memcpy|memcmp|memset/.test(k)) return 'wasm: allocation, copies, drops';
      if (/rand|libm|chacha/.test(k)) return 'wasm: rng, libm';
      return 'wasm: other';
    }
    if (k.endsWith('.js')) return 'js: wasm-bindgen glue';
    return 'browser APIs called from js (DOM and others)';
  };
  // Inclusive time of the app's and the core's own functions (every name on the sampled stack).
  const parent = new Map();
  for (const nd of cpu.nodes) for (const c of nd.children || []) parent.set(c, nd.id);
  const incl = new Map();
  cpu.samples.forEach((id, i) => {
    const seen = new Set();
    for (let cur = id; cur != null; cur = parent.get(cur)) {
      const f = byId.get(cur).callFrame.functionName;
      if (!/idemlab_(web|sim)/.test(f) || seen.has(f)) continue;
      seen.add(f);
      incl.set(f, (incl.get(f) || 0) + (dts[i + 1] ?? 0));
    }
  });
  if (process.env.INCL) {
    console.log('  inclusive, the app and the core:');
    for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.INCL))) console.log(`  ${(v / 1000 / Number(n)).toFixed(2).padStart(7)} ms/change  ${k.slice(0, 150)}`);
  }
  const groups = new Map();
  for (const [k, v] of selfT) groups.set(group(k), (groups.get(group(k)) || 0) + v);
  console.log('  by group:');
  for (const [k, v] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${(v / 1000 / Number(n)).toFixed(2).padStart(7)} ms/change  ${k}`);
  const total = [...selfT].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)')).reduce((a, [, v]) => a + v, 0);
  console.log(`  cpu profile: ${(total / 1000 / Number(n)).toFixed(2)} ms/change in JS and wasm (excluding idle/program)`);
  for (const [k, v] of [...selfT].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.CPU) || 30)) console.log(`  ${(v / 1000 / Number(n)).toFixed(2).padStart(7)} ms/change  ${k.slice(0, 140)}`);
}
await browser.close(); server.close();
