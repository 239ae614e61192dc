// Service worker of the web client that the relay serves. It keeps the app's shell (index.html
// and the hashed files it names) so the app opens with the relay unreachable, as the desktop app
// opens from its own files. Conversations are not here: they live in IndexedDB.
//
// Navigations go to the network first, so a new release shows at once, and fall back to the
// kept copy. Hashed assets never change, so they are served from the cache first. Nothing else
// (the relay's health, metrics and update feed, other origins) is touched.

const CACHE = 'ferry-shell-v1';
const SHELL = './';

/** The hashed files an index.html names (scripts, module preloads, styles, icons). */
function assetsOf(html) {
  const found = new Set();
  for (const match of html.matchAll(/(?:src|href)="(\.?\/?assets\/[^"]+)"/g)) found.add(match[1]);
  return [...found];
}

/**
 * Files a script loads by `new URL('name.js', import.meta.url)`: the search worker's chunk
 * (renderer/src/search), which index.html does not name. Absolute URLs, beside the script.
 */
function workersOf(script, scriptUrl) {
  const found = new Set();
  for (const match of script.matchAll(
    /new URL\(\s*[`'"]([\w.-]+\.js)[`'"]\s*,\s*import\.meta\.url\s*\)/g,
  )) {
    found.add(new URL(match[1], scriptUrl).href);
  }
  return [...found];
}

/**
 * Chunks a script imports on demand (`import('./name.js')`): the emoji data (issue 12), loaded
 * when the picker or the completion is first used, must be there offline too.
 */
function lazyChunksOf(script, scriptUrl) {
  const found = new Set();
  for (const match of script.matchAll(/import\(\s*[`'"]\.\/([\w.-]+\.js)[`'"]\s*\)/g)) {
    found.add(new URL(match[1], scriptUrl).href);
  }
  return [...found];
}

/** Keeps this index.html and its assets; drops assets of older releases. */
async function keep(indexResponse) {
  const cache = await caches.open(CACHE);
  const html = await indexResponse.clone().text();
  const named = assetsOf(html).map((a) => new URL(a, self.registration.scope).href);
  const add = async (url) => {
    if (!(await cache.match(url))) await cache.add(url);
  };
  await Promise.all(named.map(add));
  // Then the worker chunks the kept scripts name (the search index runs in one) and the chunks
  // they import on demand.
  const workers = [];
  for (const url of named.filter((u) => u.endsWith('.js'))) {
    const script = await cache.match(url);
    if (!script) continue;
    const text = await script.text();
    workers.push(...workersOf(text, url), ...lazyChunksOf(text, url));
  }
  await Promise.all(workers.map(add));
  const assets = [...named, ...workers];
  await cache.put(SHELL, indexResponse);
  const wanted = new Set(assets);
  for (const request of await cache.keys()) {
    if (new URL(request.url).pathname.includes('/assets/') && !wanted.has(request.url)) {
      await cache.delete(request);
    }
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    fetch(SHELL, { cache: 'no-cache' })
      .then((response) => (response.ok ? keep(response) : undefined))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) event.waitUntil(keep(response.clone()).catch(() => undefined));
          return response;
        })
        .catch(async () => (await caches.match(SHELL)) ?? Response.error()),
    );
  } else if (url.pathname.includes('/assets/')) {
    event.respondWith(
      caches.match(request).then(
        (hit) =>
          hit ??
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
            }
            return response;
          }),
      ),
    );
  }
});
