// How every Playwright run in this repository launches Debian's Chromium (TOOLCHAIN.md):
// `npx playwright install` cannot download browsers here, and without the background-networking
// flags Chromium keeps dialling hosts this machine's closed network refuses.

/** The browser binary; FERRY_CHROMIUM points elsewhere on machines that keep it elsewhere. */
export const CHROMIUM_PATH = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
