// The service worker: keeps the app shell (the page, its boot script, the
// page's and the worker's wasm and glue, the CSS, the icon) in a cache of
// its own, so a second visit draws the lab without the network and a reload
// with the network gone still works.
//
// scripts/postbuild.mjs writes dist/sw.js as two constants followed by this
// file: FILES maps each shell file (relative to the scope) to the SHA-256 of
// its content, and VERSION is a hash of that map. A new deploy changes at
// least one file, so VERSION and the bytes of sw.js change, the browser
// installs the new worker next to the old one, and the page says an update
// is ready (static/sw-register.js); the old worker keeps serving its own,
// consistent set of files until the learner reloads.
//
// Registered with scope "./", so it works wherever dist/ is hosted: every
// path below is taken relative to the registration's scope.
/* global FILES, VERSION */

const SCOPE = new URL(self.registration.scope);
// One cache per deployment and per scope: two copies of dist/ on one origin keep their own.
const PREFIX = `idemlab:${SCOPE.pathname}:`;
const CACHE = PREFIX + VERSION;

/** The hex SHA-256 of a response body. */
async function sha256(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Fetches every shell file past the HTTP cache and checks it against the
// manifest: a host caught half-way through a deploy fails the install
// (the browser tries again on a later visit) instead of caching a mix.
self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await Promise.all(Object.entries(FILES).map(async ([name, hash]) => {
      const url = new URL(name, SCOPE).href;
      const response = await fetch(url, { cache: 'reload' });
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
      const body = await response.clone().arrayBuffer();
      if ((await sha256(body)) !== hash) throw new Error(`${name}: not the deployed content`);
      await cache.put(url, response);
    }));
  })());
});

// The page asks for this when the learner chooses to reload into the new version.
self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

// Once in charge, drops the caches of this scope's earlier deployments.
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
  })());
});

/** The shell file a request asks for (a navigation to the scope is index.html), or null. */
function shellFile(request) {
  if (request.method !== 'GET') return null;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return null;
  let name = url.pathname.slice(SCOPE.pathname.length);
  if (request.mode === 'navigate' && name === '') name = 'index.html';
  // A page's query (the lab's link) does not change the file; an asset's would be unusual: leave it to the network.
  if (name !== 'index.html' && url.search !== '') return null;
  return Object.hasOwn(FILES, name) ? name : null;
}

// Shell files come from this deployment's cache; anything else (the
// embedding example, a file added later) goes to the network as usual.
self.addEventListener('fetch', (event) => {
  const name = shellFile(event.request);
  if (name === null) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(new URL(name, SCOPE).href);
    return hit || fetch(event.request);
  })());
});
