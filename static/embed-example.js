// The course page's side of the embedding protocol (schema version 1). The
// lab posts { source: "idemlab", version: 1, type, area, detail } messages:
// "height" ({ height }, resize the frame), "step" ({ step }, a number),
// "outcome" ({ preset, counters }, sent in an embed once the learner reaches
// the decisive step or reveals it, or at once with reveal=1) and
// "prediction". The page may send { source: "idemlab-host", version: 1,
// type: "set", params: {...} } back; the lab accepts it only because each
// frame's URL lists this page's origin in `origins=`.
const here = new URL('./', location.href);
const frames = [...document.querySelectorAll('iframe.lab-frame')];
for (const f of frames) {
  f.src = `${here}index.html?${f.dataset.query}&embed=1&origins=${encodeURIComponent(location.origin)}`;
}
const log = document.getElementById('event-log');
window.addEventListener('message', (e) => {
  if (e.origin !== location.origin || !e.data || e.data.source !== 'idemlab' || e.data.version !== 1) return;
  const frame = frames.find((f) => f.contentWindow === e.source);
  if (e.data.type === 'height' && frame) {
    frame.style.height = `${Math.min(4000, Math.max(200, e.data.detail.height + 4))}px`;
  }
  const li = document.createElement('li');
  li.textContent = `${frame ? frame.id : '?'}: ${e.data.type} ${JSON.stringify(e.data.detail)}`;
  li.dataset.type = e.data.type;
  log.append(li);
});
function setStep(step) {
  const races = document.getElementById('lab-races');
  races.contentWindow.postMessage({ source: 'idemlab-host', version: 1, type: 'set', params: { step } }, location.origin);
}
document.getElementById('host-step-0').addEventListener('click', () => setStep(0));
document.getElementById('host-step-3').addEventListener('click', () => setStep(3));
