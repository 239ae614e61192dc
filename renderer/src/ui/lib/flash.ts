// A message shown on purpose (a search hit, a pin, a quote, a notification): its row is flashed
// with the global `search-found` highlight (styles/app.css) for 2.4 s, in the list and the
// thread panel alike.

export const FLASH_MS = 2400;

/** Flashes `el`; returns a function that ends the flash early (e.g. when the pane goes away). */
export function flashFound(el: HTMLElement): () => void {
  el.classList.remove('search-found');
  el.classList.add('search-found');
  const timer = setTimeout(() => el.classList.remove('search-found'), FLASH_MS);
  return () => {
    clearTimeout(timer);
    el.classList.remove('search-found');
  };
}
