// Registers the service worker (static/sw.js) and says when a new deploy is
// ready. scripts/postbuild.mjs appends this to the boot script, so it runs
// once the app's wasm has started, and adds no request of its own.
//
// It waits for the page's `load` event, so the worker's first install
// (which fetches the whole shell once more, into its cache) never competes
// with the first picture. Where the browser has no service worker, or
// refuses one (a sandboxed frame, storage blocked for an embed), the page
// works as before from the network: nothing to say, nothing logged.
function idemlabServiceWorker() {
  let container;
  try {
    container = navigator.serviceWorker;
  } catch {
    return; // a sandboxed frame without allow-same-origin throws here
  }
  if (!container) return;
  /** Shows the one line that offers the new version (once). */
  const offer = (waiting) => {
    if (!container.controller || document.getElementById('update-note')) return;
    const note = document.createElement('p');
    note.id = 'update-note';
    note.className = 'update-note';
    note.setAttribute('role', 'status');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'reload';
    button.addEventListener('click', () => {
      button.disabled = true;
      container.addEventListener('controllerchange', () => location.reload());
      waiting.postMessage('skip-waiting');
    });
    note.append('An update is ready \u2014 ', button);
    document.body.append(note);
  };
  container.register('./sw.js', { scope: './', updateViaCache: 'none' }).then((reg) => {
    /** Offers `next` once it has installed next to the worker in charge. */
    const watch = (next) => next?.addEventListener('statechange', () => {
      if (next.state === 'installed') offer(next);
    });
    if (reg.waiting) offer(reg.waiting);
    // The browser may already be installing a new version found on this navigation.
    watch(reg.installing);
    reg.addEventListener('updatefound', () => watch(reg.installing));
    // Asks the host for sw.js now: a deploy since the last visit shows on this one.
    return reg.update();
  }).catch(() => {
    // Refused (storage blocked, an opaque origin) or offline: the page runs from the network.
  });
}
if (document.readyState === 'complete') idemlabServiceWorker();
else addEventListener('load', idemlabServiceWorker, { once: true });
