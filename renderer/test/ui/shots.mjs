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
/** A 64×64 PNG (the fake's seeded avatar), to upload as a profile picture. */
const SUNSET =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAABf0lEQVR42u3V0SpEYRTF8fUQ3+MopUjUhESdmKahCU1oQl9oQhOa0IQmNKGJ0vIinsmVU+fGFVlnl3Z99bvaN/u/rzZGMrqG0SW6hrEqXcN4ja5hsk7XML1K11Bp0DXMrtE1zG/QNSw26RqyTbqG5W26hlqLrmFlh66hsUfXsB7pGpr7dA1bh7T1+THzM9t1aLVp5df076yWYveIJv5UXzDZi3jC8oT6QvnVOOiwJLm+UHI72qcso2R9oUwAjs8pM6kvyA3odCkzPEBuwNkFNYb1BS0D3StqzA/QMnDZo8b8AC0DvWtqzA/QMnBzS435AVoG+n1qzA/QMnB/R435AVoGBg/UmB+gZeBpQI35AVoGho/UmB+gZeD1mRrzA7QMvA0pM6yXG/D+QpnhAXIDQjWGegwTMUzFUIlhLoaFGLLoZQ7X9fkcruvzOVzX53O4rs/ncF2fz+G6Pp/DdX0+T38g/YH0B9IfSH8g/YH0B9IfSH8g/YH0B9IfSH/gv+ZfGVuK1WZHhfkAAAAASUVORK5CYII=';

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

    // Sign-in: a wrong password, then the second step, then in.
    await page.goto(`${base}?fresh`);
    await page.getByTestId('sign-in-username').fill('totp');
    await page.getByTestId('sign-in-password').fill('wrong password');
    await page.keyboard.press('Enter');
    await page.getByTestId('sign-in-error').getByText('Wrong username or password').waitFor();
    const afterWrong = await page.evaluate(() => document.activeElement?.dataset.testid);
    if (afterWrong !== 'sign-in-password')
      problems.push(`[${scheme}] focus after wrong password: ${afterWrong}`);
    await page.screenshot({ path: `${out}/sign-in-wrong-${scheme}.png` });
    await page.getByTestId('sign-in-password').fill('correct horse battery');
    await page.keyboard.press('Enter');
    await page.getByTestId('sign-in-totp').waitFor();
    await page.getByTestId('sign-in-totp').fill('654321');
    await page.keyboard.press('Enter');
    await page.getByTestId('sign-in-error').getByText('not right').waitFor();
    await page.screenshot({ path: `${out}/sign-in-totp-${scheme}.png` });
    await page.getByTestId('sign-in-use-recovery').click();
    await page.getByTestId('sign-in-recovery').fill('ABCD-EFGH');
    await page.keyboard.press('Enter');
    await page.getByTestId('workspace').waitFor();

    await page.goto(`${base}?fresh`);
    await page.getByTestId('sign-in-username').fill('ada');
    await page.getByTestId('sign-in-password').fill('slow');
    await page.keyboard.press('Enter');
    await page.getByTestId('sign-in-error').getByText('Too many attempts').waitFor();
    if (!(await page.getByTestId('sign-in-submit').isDisabled()))
      problems.push(`[${scheme}] rate-limited: submit not disabled`);
    await page.screenshot({ path: `${out}/sign-in-rate-limited-${scheme}.png` });

    // Locked and unreachable say so, with the wait and the host.
    await page.getByTestId('sign-in-password').fill('locked');
    // The rate-limited wait above (4 s) passes first: the button comes back.
    await page.waitForFunction(
      () => !document.querySelector('[data-testid=sign-in-submit]')?.disabled,
      null,
      { timeout: 10_000 },
    );
    await page.keyboard.press('Enter');
    // The wait counts down on the button as minutes and seconds (issue 12).
    await page.getByTestId('sign-in-error').getByText('ask an admin to unlock it').waitFor();
    await page
      .getByTestId('sign-in-submit')
      .getByText(/1[45]:\d\d/)
      .waitFor();
    await page.screenshot({ path: `${out}/sign-in-locked-${scheme}.png` });
    await page.goto(`${base}?fresh`);
    await page.getByTestId('sign-in-server').fill('https://down.example');
    await page.getByTestId('sign-in-username').fill('ada');
    await page.getByTestId('sign-in-password').fill('correct horse battery');
    await page.keyboard.press('Enter');
    await page
      .getByTestId('sign-in-error')
      .getByText("Can't reach the server at down.example")
      .waitFor();
    if (scheme === 'light')
      await page.screenshot({ path: `${out}/sign-in-unreachable-${scheme}.png` });

    await page.goto(`${base}?fresh&setup`);
    await page.getByTestId('sign-in').and(page.locator('[data-step="setup"]')).waitFor();
    await page.getByTestId('sign-in-username').fill('ada');
    await page.getByTestId('setup-display-name').fill('Ada Park');
    await page.getByTestId('sign-in-password').fill('short');
    await page.getByTestId('sign-in-submit').click();
    await page.screenshot({ path: `${out}/setup-admin-${scheme}.png`, fullPage: true });

    // A guest: no new channel, no channel browser (docs/accounts.md).
    await page.goto(`${base}?guest`);
    await page.getByTestId('message').first().waitFor();
    for (const id of ['new-channel', 'browse-channels', 'section-new-channel']) {
      if ((await page.getByTestId(id).count()) > 0) problems.push(`[${scheme}] a guest sees ${id}`);
    }

    await page.goto(base);
    await page.getByTestId('message').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${out}/conversation-${scheme}.png` });

    // Pins: the mark on pinned messages, a row's Pin action, the header's Pinned list (focus
    // in it, Escape back to the button).
    await page.getByTestId('pin-mark').first().waitFor();
    await page.locator('[data-testid=message][data-pinned=true]').last().hover();
    await page.screenshot({ path: `${out}/pinned-message-${scheme}.png` });
    await page.getByTestId('pinned-button').click();
    await page.getByTestId('pinned-item').nth(1).waitFor();
    const inPins = await page.evaluate(() => document.activeElement?.dataset.testid);
    if (inPins !== 'pinned-open') problems.push(`[${scheme}] pinned list focus: ${inPins}`);
    await page.screenshot({ path: `${out}/pinned-list-${scheme}.png` });
    await page.keyboard.press('Escape');
    await page.getByTestId('pinned-list').waitFor({ state: 'detached' });
    const back = await page.evaluate(() => document.activeElement?.dataset.testid);
    if (back !== 'pinned-button')
      problems.push(`[${scheme}] Escape from pins left focus on ${back}`);
    // An older server: the Pin action shows dimmed with the reason; pressing it says why.
    await page.evaluate(() =>
      window.__ferryFake.client.setPinsUnavailable(
        'Pins need a newer server: ask your administrator to update Ferry on the server.',
      ),
    );
    const unpinned = page.locator('[data-testid=message]:not([data-pinned])').last();
    await unpinned.hover();
    await unpinned.getByTestId('message-pin').click();
    await page.getByRole('alert').getByText('newer server').waitFor();
    if (scheme === 'light')
      await page.screenshot({ path: `${out}/pins-unavailable-${scheme}.png` });
    await page.getByRole('alert').getByRole('button', { name: 'Dismiss' }).click();
    await page.evaluate(() => window.__ferryFake.client.setPinsUnavailable(null));

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
    await page.getByTestId('composer').fill('');

    // Threads: the root's summary opens the thread panel; a reply from its composer; Escape
    // closes it and the focus goes back to the root. The newest message quotes the root.
    await page.getByTestId('quote-block').first().waitFor();
    await page.getByTestId('thread-summary').first().click();
    const panel = page.getByTestId('thread-panel');
    await panel.getByTestId('thread-reply').nth(2).waitFor();
    await panel.getByTestId('composer').fill('Bringing it on the first boat, 08:00.');
    await page.keyboard.press('Enter');
    await panel.getByTestId('thread-reply').nth(3).waitFor();
    await page.screenshot({ path: `${out}/thread-panel-${scheme}.png` });
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    const backOn = await page.evaluate(() => document.activeElement?.dataset.messageId);
    const rootId = await page
      .getByTestId('thread-summary')
      .first()
      .evaluate((el) => el.closest('[data-message-id]')?.getAttribute('data-message-id'));
    if (backOn !== rootId) problems.push(`[${scheme}] thread Escape: focus on ${backOn}`);
    // Quote: q on the focused message puts the chip above the composer; Escape removes it.
    await page.keyboard.press('q');
    await page.getByTestId('quote-chip').waitFor();
    await page.getByTestId('composer').fill('Agreed, swapping sensor 4.');
    await page.screenshot({ path: `${out}/quote-chip-${scheme}.png` });
    await page.keyboard.press('Escape');
    await page.getByTestId('quote-chip').waitFor({ state: 'detached' });
    await page.getByTestId('composer').fill('');

    await page.getByTestId('composer').fill('Draft about the sensor swap');
    await page.keyboard.press('Control+k');
    await page.getByTestId('quick-switcher-input').fill('re');
    await page.screenshot({ path: `${out}/switcher-${scheme}.png` });
    await page.keyboard.press('Escape');
    // Shortcuts open a dialog only when none is open: wait for the switcher to close.
    await page.getByTestId('quick-switcher').waitFor({ state: 'hidden' });

    // Search (Ctrl+Shift+F): grouped results with the matched words marked; Enter opens the
    // second one in its conversation, focused and flashed.
    // The switcher's state clears on its dialog's close event, a task after it is hidden: a
    // shortcut pressed in between is ignored (no dialog over a dialog), so press until it opens.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Control+Shift+F');
      const opened = await page
        .getByTestId('search-input')
        .waitFor({ timeout: 500 })
        .then(() => true)
        .catch(() => false);
      if (opened) break;
    }
    await page.getByTestId('search-input').fill('gps offsets');
    await page.getByTestId('search-hit').nth(1).waitFor();
    await page.screenshot({ path: `${out}/search-${scheme}.png` });
    await page.keyboard.press('ArrowDown');
    const wanted = await page.getByTestId('search-hit').nth(1).getAttribute('data-message-id');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (id) => document.activeElement?.getAttribute('data-message-id') === id,
      wanted,
    );
    await page.screenshot({ path: `${out}/search-opened-${scheme}.png` });
    await page.getByTestId('composer').focus();

    await page.evaluate(() => window.__ferryFake.setConnection('offline'));
    await page.getByTestId('composer').fill('Written on the ferry, no signal here.');
    await page.keyboard.press('Enter');
    await page.getByTestId('composer').press('ArrowUp');
    await page.getByTestId('edit-input').waitFor();
    await page.screenshot({ path: `${out}/offline-editing-${scheme}.png` });
    await page.keyboard.press('Escape');

    // Offline: the channel browser and the people picker say so.
    await page.getByTestId('browse-channels').click();
    await page.getByTestId('browse-offline').waitFor();
    if (scheme === 'light') await page.screenshot({ path: `${out}/browse-offline-${scheme}.png` });
    await page.keyboard.press('Escape');

    await page.getByTestId('settings-button').click();
    await page.getByTestId('settings-dialog').getByText('Account').waitFor();
    await page.getByTestId('sign-out').click();
    if (scheme === 'light') await page.screenshot({ path: `${out}/settings-${scheme}.png` });
    await page.keyboard.press('Escape');

    await page.evaluate(() => {
      window.__ferryFake.setConnection('online');
      window.__ferryFake.setCatchUp(7, 12);
    });
    await page.getByTestId('new-channel').click();
    await page.getByTestId('new-channel-title').fill('Harbour logistics');
    await page.getByTestId('new-channel-private').check();
    await page.getByTestId('person-search').fill('le');
    await page.getByTestId('person-option').filter({ hasText: 'Lena' }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByTestId('picked-person').waitFor();
    await page.screenshot({ path: `${out}/new-channel-${scheme}.png` });
    await page.getByTestId('new-channel-create').click();
    await page.getByTestId('conversation-start').waitFor();
    await page.screenshot({ path: `${out}/empty-conversation-${scheme}.png` });

    await page.getByTestId('new-dm').click();
    await page.getByTestId('person-search').fill('om');
    await page.getByTestId('person-option').first().waitFor();
    await page.screenshot({ path: `${out}/new-dm-${scheme}.png` });
    await page.keyboard.press('Escape');

    await page.getByTestId('browse-channels').click();
    await page.getByTestId('channel-listing').first().waitFor();
    await page.screenshot({ path: `${out}/browse-${scheme}.png` });
    await page.keyboard.press('Escape');

    // Details: members with roles, controls as the permission matrix allows (owner here).
    await page.getByTestId('conversation-item').filter({ hasText: 'Release 0.2' }).click();
    await page.keyboard.press('Control+i');
    await page.getByTestId('details-panel').waitFor();
    await page.getByTestId('member').first().waitFor();
    await page.screenshot({ path: `${out}/details-owner-${scheme}.png` });
    if (scheme === 'light') {
      await page.setViewportSize({ width: 820, height: 700 });
      await page.screenshot({ path: `${out}/details-narrow-${scheme}.png` });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    // Owner: rename, add people, change a role; all through the fake's "server".
    await page.getByTestId('details-rename').click();
    await page.getByTestId('details-rename-input').fill('Release 0.2 planning (final)');
    await page.keyboard.press('Enter');
    await page.getByTestId('details-title').getByText('(final)').waitFor();
    await page.getByTestId('details-invite').click();
    await page.getByTestId('person-search').fill('omar');
    await page.locator('[data-testid=person-option][data-username=omar]').click();
    await page.getByTestId('details-invite-add').click();
    await page.locator('[data-testid=member][data-user-id=u-omar]').waitFor();
    await page
      .locator('[data-testid=member][data-user-id=u-omar]')
      .getByTestId('member-role')
      .selectOption('moderator');
    await page.locator('[data-testid=member][data-user-id=u-omar][data-role=moderator]').waitFor();
    // Offline: the controls stay visible, disabled, and the panel says why.
    await page.evaluate(() => window.__ferryFake.setConnection('offline'));
    await page.getByTestId('details-offline').waitFor();
    if (!(await page.getByTestId('details-rename').isDisabled()))
      problems.push(`[${scheme}] rename enabled offline`);
    if (scheme === 'light') await page.screenshot({ path: `${out}/details-offline-${scheme}.png` });
    await page.evaluate(() => window.__ferryFake.setConnection('online'));
    // A plain member of an announcement channel: no controls but leave, the composer replaced.
    await page.getByTestId('conversation-item').filter({ hasText: 'Bridge crew' }).click();
    await page.getByTestId('read-only-note').waitFor();
    if ((await page.getByTestId('member-remove').count()) > 0)
      problems.push(`[${scheme}] a plain member sees remove controls`);
    await page.screenshot({ path: `${out}/announcement-member-${scheme}.png` });
    await page.keyboard.press('Control+i');
    await page.getByTestId('details-panel').waitFor({ state: 'detached' });

    // Moderator: delete on others' messages.
    await page.getByTestId('conversation-item').filter({ hasText: 'Field team' }).click();
    const others = page.locator(
      '[data-testid=message]:not([data-author-id="u-me"]):not([data-deleted])',
    );
    await others.last().hover();
    await others.last().getByTestId('message-delete').click();
    await page.getByTestId('delete-dialog').getByText('moderator').waitFor();
    await page.screenshot({ path: `${out}/moderator-delete-${scheme}.png` });
    await page.getByTestId('delete-confirm').click();

    // Removed while offline: the banner, undelivered messages, export, remove from device.
    await page.getByTestId('conversation-item').filter({ hasText: 'Survey 2025' }).click();
    await page.getByTestId('removed-banner').waitFor();
    await page.getByTestId('export').click();
    await page.getByTestId('export-json').waitFor();
    await page.screenshot({ path: `${out}/removed-${scheme}.png` });
    const saved = await page.getByTestId('export-json').getAttribute('download');
    if (!saved?.endsWith('.json')) problems.push(`[${scheme}] export link: ${saved}`);
    await page.getByTestId('forget').click();
    await page.getByTestId('forget-confirm').click();
    await page
      .getByTestId('conversation-item')
      .filter({ hasText: 'Survey 2025' })
      .waitFor({ state: 'detached' });

    // The session ends: a calm banner; signing in again is prefilled.
    await page.evaluate(() => window.__ferryFake.endSession('revoked'));
    await page.getByTestId('session-ended').waitFor();
    await page.screenshot({ path: `${out}/session-ended-${scheme}.png` });
    await page.getByTestId('session-ended-sign-in').click();
    await page.getByTestId('sign-in-notice').waitFor();
    const prefilled = await page.getByTestId('sign-in-username').inputValue();
    if (prefilled !== 'ada') problems.push(`[${scheme}] sign-in again not prefilled: ${prefilled}`);
    await page.screenshot({ path: `${out}/sign-in-again-${scheme}.png` });

    // An admin: Settings (Ctrl+,) leads to Your account and People.
    await page.goto(`${base}?admin`);
    await page.getByTestId('workspace').waitFor();
    await page.keyboard.press('Control+,');
    await page.getByTestId('settings-people').waitFor();
    await page.screenshot({ path: `${out}/settings-admin-${scheme}.png` });
    await page.getByTestId('settings-account').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('account-dialog').waitFor();
    await page.getByTestId('account-session').first().waitFor();
    await page.screenshot({ path: `${out}/account-${scheme}.png` });
    await page.getByTestId('account-totp-setup').click();
    await page.getByTestId('account-totp-secret').waitFor();
    await page.getByTestId('account-totp-code').fill('654321');
    await page.keyboard.press('Enter');
    await page.getByTestId('account-totp-message').getByText('not right').waitFor();
    await page.getByTestId('account-totp-code').fill('123456');
    await page.screenshot({ path: `${out}/account-totp-enrol-${scheme}.png` });
    await page.keyboard.press('Enter');
    await page.getByTestId('account-recovery-codes').waitFor();
    const onCodes = await page.evaluate(() => document.activeElement?.dataset.testid);
    if (onCodes !== 'account-recovery-copy')
      problems.push(`[${scheme}] focus on codes: ${onCodes}`);
    const codeCount = await page.getByTestId('account-recovery-codes').locator('li').count();
    if (codeCount !== 10) problems.push(`[${scheme}] recovery codes shown: ${codeCount}`);
    const file = await page.getByTestId('account-recovery-download').getAttribute('download');
    if (!file?.endsWith('.txt')) problems.push(`[${scheme}] recovery download: ${file}`);
    await page.screenshot({ path: `${out}/account-recovery-${scheme}.png` });
    await page.getByTestId('account-recovery-done').click();
    await page.locator('[data-testid=account-totp-state][data-enabled=true]').waitFor();
    await page.getByTestId('account-current-password').fill('wrong password');
    await page.getByTestId('account-new-password').fill('a new long password');
    await page.getByTestId('account-confirm-password').fill('a new long passwort');
    await page.getByTestId('account-change-password').click();
    await page.getByTestId('account-password-message').getByText('differ').waitFor();
    await page.evaluate(() => window.__ferryFake.setConnection('offline'));
    await page.getByTestId('account-offline').waitFor();
    if (!(await page.getByTestId('account-display-name').isDisabled()))
      problems.push(`[${scheme}] account name editable offline`);
    if (scheme === 'light') await page.screenshot({ path: `${out}/account-offline-${scheme}.png` });
    await page.evaluate(() => window.__ferryFake.setConnection('online'));
    await page.keyboard.press('Escape');
    await page.getByTestId('account-dialog').waitFor({ state: 'hidden' });

    // Escape hides a dialog at once but it reports closing a task later, and Ctrl+, opens
    // Settings only with no dialog open: press until it shows.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Control+,');
      const shown = await page
        .getByTestId('settings-dialog')
        .waitFor({ timeout: 500 })
        .then(() => true)
        .catch(() => false);
      if (shown) break;
    }
    await page.getByTestId('settings-people').click();
    await page.getByTestId('people-user').first().waitFor();
    await page.screenshot({ path: `${out}/people-${scheme}.png` });
    await page.getByTestId('people-new').click();
    await page.getByTestId('people-new-username').fill('ingrid');
    await page.getByTestId('people-new-display-name').fill('Ingrid Again');
    await page.getByTestId('people-create').click();
    await page.getByTestId('people-create-error').getByText('is taken').waitFor();
    await page.getByTestId('people-new-username').fill('noor');
    await page.getByTestId('people-new-display-name').fill('Noor Haddad');
    await page.getByTestId('people-new-role').selectOption('guest');
    await page.getByTestId('people-create').click();
    await page.getByTestId('people-password').waitFor();
    await page.waitForFunction(
      () => document.activeElement?.dataset.testid === 'people-password-copy',
    );
    await page.locator('[data-testid=people-user][data-username=noor][data-role=guest]').waitFor();
    await page.screenshot({ path: `${out}/people-created-${scheme}.png` });
    await page.getByTestId('people-password-done').click();
    await page.getByTestId('people-filter').fill('marc');
    const marcus = page.locator('[data-testid=people-user][data-username=marcus]');
    await marcus.getByTestId('people-disable').click();
    await page.getByTestId('people-confirm-box').getByText('signed out everywhere').waitFor();
    await page.screenshot({ path: `${out}/people-disable-confirm-${scheme}.png` });
    await page.getByTestId('people-confirm').click();
    await page
      .locator('[data-testid=people-user][data-username=marcus][data-disabled=true]')
      .waitFor();
    await page.getByTestId('people-filter').fill('');
    await page
      .locator('[data-testid=people-user][data-username=sam]')
      .getByTestId('people-enable')
      .waitFor();
    await page.evaluate(() => window.__ferryFake.setConnection('offline'));
    await page.getByTestId('people-offline').waitFor();
    if (scheme === 'light') await page.screenshot({ path: `${out}/people-offline-${scheme}.png` });
    await page.evaluate(() => window.__ferryFake.setConnection('online'));
    await page.keyboard.press('Escape');
    // A member sees no People button.
    await page.goto(base);
    await page.getByTestId('workspace').waitFor();
    await page.keyboard.press('Control+,');
    await page.getByTestId('settings-account').waitFor();
    if ((await page.getByTestId('settings-people').count()) > 0)
      problems.push(`[${scheme}] a member sees People`);
    await page.keyboard.press('Escape');

    // Profiles: a member's card (picture, status); Edit profile: a status, a file that is not
    // a picture (refused, said why), a picture (scaled on this device); the footer shows it.
    await page.getByTestId('conversation-item').filter({ hasText: 'Release 0.2' }).click();
    await page.keyboard.press('Control+i');
    await page
      .locator('[data-testid=member][data-user-id=u-priya]')
      .getByTestId('member-profile')
      .click();
    await page.getByTestId('profile-card-status').waitFor();
    await page.screenshot({ path: `${out}/profile-card-${scheme}.png` });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+i');
    await page.getByTestId('edit-profile-button').click();
    await page.getByTestId('edit-profile-status').fill('Writing the field guide ✍️');
    await page.keyboard.press('Enter');
    await page.getByTestId('edit-profile-status-message').waitFor();
    await page.getByTestId('edit-profile-file').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a picture'),
    });
    await page.getByTestId('edit-profile-picture-message').getByText('not a picture').waitFor();
    if (scheme === 'light')
      await page.screenshot({ path: `${out}/edit-profile-refused-${scheme}.png` });
    await page.getByTestId('edit-profile-file').setInputFiles({
      name: 'sunset.png',
      mimeType: 'image/png',
      buffer: Buffer.from(SUNSET.split(',')[1], 'base64'),
    });
    await page.getByTestId('edit-profile-remove-picture').waitFor();
    await page.screenshot({ path: `${out}/edit-profile-${scheme}.png` });
    await page.keyboard.press('Escape');
    await page.getByTestId('me-status').waitFor();
    await page.screenshot({ path: `${out}/profile-footer-${scheme}.png` });

    // Unusual content: a very long author name, an emoji-only message, right-to-left text
    // (Hebrew, Arabic with a Latin aside); then the thread panel at 800 px, and my own card
    // with a status at its 100-character limit.
    await page.getByTestId('conversation-item').filter({ hasText: 'Field team' }).click();
    await page.evaluate(() => {
      const f = window.__ferryFake;
      f.remote('c-field', 'Maximiliane Fitzgerald-Østergaard de la Cruz y Santander', 'Long name?');
      f.remote('c-field', 'Priya Raman', '🎉🚢');
      f.remote('c-field', 'Ingrid Solberg', 'שלום! הכבל הוחלף, נבדוק שוב מחר ב־08:00.');
      f.remote('c-field', 'Marcus Chen', 'مرحبا، تم استبدال الكابل (sensor 4) وسنتحقق غدا.');
    });
    await page.getByTestId('message').filter({ hasText: 'مرحبا' }).waitFor();
    await page.getByTestId('message-list').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.screenshot({ path: `${out}/long-content-${scheme}.png` });

    // Right-to-left previews in the sidebar are cut at their end (their left), after the
    // author: Arabic in Field team, Hebrew in Release 0.2.
    await page.evaluate(() =>
      window.__ferryFake.remote(
        'c-release',
        'Ingrid Solberg',
        'שלום! הגרסה החדשה מוכנה לבדיקה, אנא בדקו את רשימת השינויים לפני יום חמישי.',
      ),
    );
    await page
      .getByTestId('conversation-item')
      .filter({ hasText: 'שלום' })
      .locator('[dir=auto]')
      .waitFor();
    const previewDirections = await page.getByTestId('conversation-preview').evaluateAll((els) =>
      els
        .map((el) => el.querySelector('[dir=auto]'))
        .filter((said) => said && /[\u0590-\u06ff]/.test(said.textContent ?? ''))
        .map((said) => getComputedStyle(said).direction),
    );
    if (previewDirections.length !== 2 || previewDirections.some((d) => d !== 'rtl'))
      problems.push(`[${scheme}] right-to-left previews: ${previewDirections.join(', ')}`);
    await page
      .getByTestId('conversation-list')
      .screenshot({ path: `${out}/sidebar-rtl-${scheme}.png` });

    await page.setViewportSize({ width: 800, height: 640 });
    await page.getByTestId('message-list').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.mouse.move(400, 630);
    await page.screenshot({ path: `${out}/long-content-narrow-${scheme}.png` });
    await page.getByTestId('thread-summary').first().click();
    await page.getByTestId('thread-panel').getByTestId('thread-reply').nth(2).waitFor();
    // The reply under the pointer shows its "⋯" toolbar beside, not over, its name and time.
    const reply = page.getByTestId('thread-panel').getByTestId('message').nth(1);
    await reply.hover();
    const overlap = await reply.evaluate((row) => {
      const a = row.querySelector('.actions')?.getBoundingClientRect();
      const t = row.querySelector('.meta time')?.getBoundingClientRect();
      return a && t && a.left < t.right && t.left < a.right && a.top < t.bottom && t.top < a.bottom;
    });
    if (overlap !== false) problems.push(`[${scheme}] thread reply toolbar covers its time`);
    await page.screenshot({ path: `${out}/thread-narrow-${scheme}.png` });
    await reply.getByTestId('message-more').click();
    await reply.getByTestId('message-quote').waitFor();
    await page.screenshot({ path: `${out}/thread-narrow-menu-${scheme}.png` });
    await page.keyboard.press('Escape');
    await reply.getByTestId('message-quote').waitFor({ state: 'hidden' });
    await page.keyboard.press('Escape');
    await page.getByTestId('thread-panel').waitFor({ state: 'detached' });
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByTestId('edit-profile-button').click();
    await page
      .getByTestId('edit-profile-status')
      .fill(
        `Out on the boats until Friday, back online at the station; ping Marcus for keys ${'·'.repeat(19)}`,
      );
    await page.keyboard.press('Enter');
    await page.getByTestId('edit-profile-status-message').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('message-author').filter({ hasText: 'Ada Park' }).last().click();
    await page.getByTestId('profile-card-status').waitFor();
    await page.screenshot({ path: `${out}/profile-card-long-${scheme}.png` });
    await page.keyboard.press('Escape');

    // For the README: a thread from a fresh start (no error line under the composer, the
    // pointer out of the way so no message shows its toolbar).
    await page.goto(base);
    await page.getByTestId('workspace').waitFor();
    await page.getByTestId('conversation-item').filter({ hasText: 'Field team' }).click();
    await page.getByTestId('thread-summary').first().click();
    await page.getByTestId('thread-panel').getByTestId('thread-reply').nth(2).waitFor();
    await page.mouse.move(700, 795);
    await page.screenshot({ path: `${out}/readme-thread-${scheme}.png` });
    await page.keyboard.press('Escape');
    await page.getByTestId('thread-panel').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+Shift+F');
    await page.getByTestId('search-input').fill('gps offsets');
    await page.getByTestId('search-hit').nth(1).waitFor();
    await page.screenshot({ path: `${out}/readme-search-${scheme}.png` });

    // Files (issue 13, `?files`): images in a grid, a PDF card, a voice message, a risky name,
    // one still uploading; two attached in the composer; the viewer.
    await page.goto(`${base}?files`);
    await page.getByTestId('message-files').first().waitFor();
    await page.getByText('Jump to latest').click();
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid=message-image][data-loaded=true]').length >= 3,
    );
    await page.screenshot({ path: `${out}/files-message-${scheme}.png` });
    await page.getByTestId('attach-input').setInputFiles([
      { name: 'site-plan.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') },
      {
        name: 'Budget 2027.xlsx',
        mimeType: 'application/vnd.ms-excel',
        buffer: Buffer.alloc(1200),
      },
    ]);
    await page.getByTestId('composer-file').nth(1).waitFor();
    await page.screenshot({ path: `${out}/files-composer-${scheme}.png` });
    await page.getByTestId('message-image').first().locator('button').click();
    await page.getByTestId('viewer-image').waitFor();
    await page.screenshot({ path: `${out}/files-viewer-${scheme}.png` });
    await page.keyboard.press('Escape');
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
