// The course page's side of the embedding protocol. The lab posts
// { source: "idemlab", type, area, detail } messages: "height" (resize the
// frame), "step", "outcome" and "prediction". The page may send
// { source: "idemlab-host", type: "set", params: {...} } back; the lab
// accepts it only because each frame's URL lists this page's origin in
// `origins=`.
const here = new URL('./', location.href);
const frames = [...document.querySelectorAll('iframe.lab-frame')];
for (const f of frames) {
  f.src = `${here}index.html?${f.dataset.query}&embed=1&origins=${encodeURIComponent(location.origin)}`;
}
const log = document.getElementById('event-log');
window.addEventListener('message', (e) => {
  if (e.origin !== location.origin || !e.data || e.data.source !== 'idemlab') return;
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
  races.contentWindow.postMessage({ source: 'idemlab-host', type: 'set', params: { step } }, location.origin);
}
document.getElementById('host-step-0').addEventListener('click', () => setStep(0));
document.getElementById('host-step-3').addEventListener('click', () => setStep(3));
