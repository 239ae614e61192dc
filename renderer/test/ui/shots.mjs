// Screenshots of the UI harness (the real App on a fake client) in light and dark, with a
// check that the page runs under its CSP without violations. Not part of `npm test`:
//   npx vite build --config renderer/test/ui/harness/vite.config.mjs
//   node renderer/test/ui/shots.mjs      (reads /tmp/ferry-ui-harness, writes /tmp/ui-shots)
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../scripts/chromium.mjs';

// Served through Playwright's router from the harness build, so this script needs no Node
// modules (renderer/ is browser code for the layering lint).
const dir = '/tmp/ferry-ui-harness';
const out = '/tmp/ui-shots';
const base = 'http://ferry.test/';

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const problems = [];
try {
  for (const scheme of ['light', 'dark']) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      colorScheme: scheme,
    });
    await context.route(`${base}**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      return route.fulfill({ path: `${dir}${path === '/' ? '/index.html' : path}` });
    });
    const page = await context.newPage();
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`[${scheme}] ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`[${scheme}] pageerror ${e.message}`));

    await page.goto(`${base}?fresh`);
    await page.getByTestId('first-run-name').fill('Ada Park');
    await page.screenshot({ path: `${out}/first-run-${scheme}.png` });

    await page.goto(base);
    await page.getByTestId('message').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${out}/conversation-${scheme}.png` });

    // Older pages: scroll to the top; the message that was first on screen must stay put.
    const list = page.getByTestId('message-list');
    const before = await list.evaluate(async (el) => {
      el.scrollTop = 0;
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      await frame();
      await frame();
      const rows = [...el.querySelectorAll('[data-testid=message]')];
      const top = el.getBoundingClientRect().top;
      const first = rows.find((r) => r.getBoundingClientRect().top >= top);
      return { id: first.dataset.messageId, y: first.getBoundingClientRect().top };
    });
    // The fake takes 250 ms per page; wait until the placeholder is idle again.
    await page.getByTestId('loading-older').getByText('Loading').waitFor({ state: 'detached' });
    await page.waitForTimeout(300);
    const after = await page
      .locator(`[data-message-id="${before.id}"]`)
      .evaluate((el) => el.getBoundingClientRect().top);
    if (Math.abs(after - before.y) > 2) {
      problems.push(`[${scheme}] older page moved the view: ${before.y} -> ${after}`);
    }
    await page.getByTestId('jump-to-latest').waitFor();
    await page.screenshot({ path: `${out}/scrolled-up-${scheme}.png` });
    await page.getByTestId('jump-to-latest').click();
    await page.getByTestId('jump-to-latest').waitFor({ state: 'detached' });

    // Alt+Down / Alt+Up move through the list.
    await page.keyboard.press('Alt+ArrowDown');
    await page.getByTestId('conversation-title').getByText('Release 0.2 planning').waitFor();
    await page.keyboard.press('Alt+ArrowUp');
    await page.getByTestId('conversation-title').getByText('Field team Norway').waitFor();
    await page.waitForTimeout(300);

    // Arrows in the message list move between messages; E edits an own one; Esc returns.
    await page.getByTestId('message-list').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => document.activeElement?.dataset.messageId);
    const last = await page.getByTestId('message').last().getAttribute('data-message-id');
    if (focused !== last) problems.push(`[${scheme}] arrow navigation: ${focused} != ${last}`);
    if (scheme === 'light') await page.screenshot({ path: `${out}/keyboard-focus-${scheme}.png` });
    await page.keyboard.press('e');
    await page.getByTestId('edit-input').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('edit-input').waitFor({ state: 'detached' });
    const inComposer = await page.evaluate(() => document.activeElement?.dataset.testid);
    if (inComposer !== 'composer') problems.push(`[${scheme}] Escape left focus on ${inComposer}`);

    // A failed write keeps the text in the composer and says why.
    await page.getByTestId('composer').fill('This one will not be saved #fail');
    await page.keyboard.press('Enter');
    await page.getByTestId('composer-error').waitFor();
    const kept = await page.getByTestId('composer').inputValue();
    if (kept !== 'This one will not be saved #fail')
      problems.push(`[${scheme}] lost text: ${kept}`);

    await page.getByTestId('composer').fill('Draft about the sensor swap');
    await page.keyboard.press('Control+k');
    await page.getByTestId('quick-switcher-input').fill('re');
    await page.screenshot({ path: `${out}/switcher-${scheme}.png` });
    await page.keyboard.press('Escape');

    await page.evaluate(() => window.__ferryFake.setConnection('offline'));
    await page.getByTestId('composer').fill('Written on the ferry, no signal here.');
    await page.keyboard.press('Enter');
    await page.getByTestId('composer').press('ArrowUp');
    await page.getByTestId('edit-input').waitFor();
    await page.screenshot({ path: `${out}/offline-editing-${scheme}.png` });
    await page.keyboard.press('Escape');

    await page.getByTestId('settings-button').click();
    await page.getByTestId('settings-dialog').getByText('Account').waitFor();
    if (scheme === 'light') await page.screenshot({ path: `${out}/settings-${scheme}.png` });
    await page.keyboard.press('Escape');

    await page.evaluate(() => {
      window.__ferryFake.setConnection('online');
      window.__ferryFake.setCatchUp(7, 12);
    });
    await page.getByTestId('new-conversation').click();
    await page.getByTestId('new-conversation-title').fill('Harbour logistics');
    await page.screenshot({ path: `${out}/new-conversation-${scheme}.png` });
    await page.getByTestId('new-conversation-create').click();
    await page.getByTestId('conversation-start').waitFor();
    await page.screenshot({ path: `${out}/empty-conversation-${scheme}.png` });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(`screenshots in ${out}`);
// A meta CSP cannot carry frame-ancestors (Chromium says so once per load): the relay and the
// app:// protocol handler send it as a header.
const real = problems.filter((p) => !p.includes("'frame-ancestors' is ignored"));
if (real.length) throw new Error(`console errors or CSP violations:\n${real.join('\n')}`);
console.log('no console errors, no CSP violations');
