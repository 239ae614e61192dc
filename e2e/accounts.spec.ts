// Accounts and membership end to end (issue 4): the real renderer in Debian's Chromium against a
// real relay process with accounts on. People are created with the relay's admin CLI
// (`ferry-relay admin users create ... --password-stdin`); the first test sets up the first admin
// through the app on the still-empty relay. One relay and one app origin for the whole file.
import { expect, test } from '@playwright/test';
import { generate } from 'otplib';
import {
  createConversation,
  messageAction,
  messageWithText,
  openConversation,
  openDm,
  send,
  signIn,
  submitSignIn,
  syncState,
} from './fixtures/app';
import { TEST_PASSWORD } from './fixtures/relay';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { relay, app, person } = useWorld({ viewport: { width: 1200, height: 760 } });

test('a fresh relay: the app creates the first admin account, who is then signed in', async ({
  page,
}) => {
  await page.goto(app.url);
  await page.getByTestId('sign-in-server').fill(relay.httpUrl);
  // The relay has no users yet: the same screen offers the first admin account.
  await expect(page.getByTestId('sign-in')).toHaveAttribute('data-step', 'setup');
  // From the relay's own machine no setup code is needed, so none is asked for (issue 12).
  await expect(page.getByTestId('setup-code')).toHaveCount(0);
  await page.getByTestId('sign-in-username').fill('root');
  await page.getByTestId('setup-display-name').fill('Rita Root');
  await page.getByTestId('sign-in-password').fill('short');
  await page.getByTestId('sign-in-submit').click();
  // Checked before anything is sent: the password is too short and not repeated.
  await expect(page.getByText('Use at least 10 characters.')).toBeVisible();
  await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
  await page.getByTestId('setup-confirm').fill(TEST_PASSWORD);
  await screenshot(page, 'accounts-1-first-admin');
  await page.getByTestId('setup-confirm').press('Enter');
  await expect(page.getByTestId('workspace')).toBeVisible();
  await expect(page.getByTestId('me-name')).toHaveText('Rita Root');
  await page.getByTestId('settings-button').click();
  await expect(page.getByTestId('settings-dialog')).toContainText('admin');
  await screenshot(page, 'accounts-1-first-admin-signed-in');
});

test('sign-in: a wrong password is refused clearly, the right one signs in; signing out returns to sign-in', async ({
  page,
}) => {
  await relay.createUser('ada', { displayName: 'Ada' });
  await page.goto(app.url);
  // The relay now has users: the sign-in form, not the setup form.
  await submitSignIn(page, relay.httpUrl, 'ada', 'not the password');
  await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong username or password.');
  await expect(page.getByTestId('sign-in')).toHaveAttribute('data-step', 'password');
  // The password field is cleared and focused for the next try; the username stays.
  await expect(page.getByTestId('sign-in-password')).toBeFocused();
  await expect(page.getByTestId('sign-in-username')).toHaveValue('ada');
  await screenshot(page, 'accounts-2-wrong-password');
  await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
  await page.getByTestId('sign-in-password').press('Enter');
  await expect(page.getByTestId('workspace')).toBeVisible();
  await expect(page.getByTestId('me-name')).toHaveText('Ada');
  // The kept session opens again with no sign-in.
  await page.reload();
  await expect(page.getByTestId('workspace')).toBeVisible();

  // Signing out (Settings) ends the session: back to sign-in, the username kept.
  await page.getByTestId('settings-button').click();
  await page.getByTestId('sign-out').click();
  await page.getByTestId('sign-out-confirm').click();
  await expect(page.getByTestId('sign-in-notice')).toContainText('stay on this device');
  await expect(page.getByTestId('sign-in-username')).toHaveValue('ada');
  await page.reload();
  await expect(page.getByTestId('sign-in')).toBeVisible();
});

test('repeated wrong passwords: the relay asks to wait, the app says so and counts down', async ({
  page,
}) => {
  await relay.createUser('rex', { displayName: 'Rex' });
  await page.goto(app.url);
  await submitSignIn(page, relay.httpUrl, 'rex', 'wrong password 1');
  await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong username or password.');
  // After five failures in a row each attempt must wait (docs/accounts.md, backoff).
  const error = page.getByTestId('sign-in-error');
  for (let i = 2; i <= 8; i++) {
    await page.getByTestId('sign-in-password').fill(`wrong password ${i}`);
    await expect(page.getByTestId('sign-in-submit')).toBeEnabled({ timeout: 20_000 });
    await page.getByTestId('sign-in-password').press('Enter');
    await expect(page.getByTestId('sign-in-submit')).not.toHaveText('Signing in…');
    if (/Too many attempts/.test((await error.textContent()) ?? '')) break;
  }
  await expect(error).toContainText('Too many attempts');
  await expect(page.getByTestId('sign-in-submit')).toBeDisabled();
  // The wait as minutes and seconds, counting down (issue 12); the button comes back at zero.
  await expect(page.getByTestId('sign-in-submit')).toHaveText(/^Try again in \d+:\d\d$/);
  await screenshot(page, 'accounts-2a-rate-limited');
  // The wait passes; the right password then signs in.
  await page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
  await expect(page.getByTestId('sign-in-submit')).toBeEnabled({ timeout: 20_000 });
  await page.getByTestId('sign-in-password').press('Enter');
  await expect(page.getByTestId('workspace')).toBeVisible();
});

test('two-step sign-in: a wrong code is refused, a recovery code signs in', async ({
  page,
  request,
}) => {
  // Tia turns on two-step verification through the relay's API, as the account page would.
  await relay.createUser('tia', { displayName: 'Tia' });
  const api = `${relay.httpUrl}/api/v1`;
  const login = await request.post(`${api}/auth/login`, {
    data: { username: 'tia', password: TEST_PASSWORD },
  });
  expect(login.ok()).toBe(true);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const auth = { Authorization: `Bearer ${accessToken}` };
  const setup = await request.post(`${api}/me/totp/setup`, { headers: auth, data: {} });
  const { secret } = (await setup.json()) as { secret: string };
  const enable = await request.post(`${api}/me/totp/enable`, {
    headers: auth,
    data: { code: await generate({ secret }) },
  });
  expect(enable.ok()).toBe(true);
  const { recoveryCodes } = (await enable.json()) as { recoveryCodes: string[] };

  await page.goto(app.url);
  await submitSignIn(page, relay.httpUrl, 'tia');
  await expect(page.getByTestId('sign-in')).toHaveAttribute('data-step', 'totp');
  await expect(page.getByTestId('sign-in-totp')).toBeFocused();
  // A code that is not the current one (the one used to enable it may not be used again).
  const current = await generate({ secret });
  await page.getByTestId('sign-in-totp').fill(current === '000000' ? '111111' : '000000');
  await page.getByTestId('sign-in-totp').press('Enter');
  await expect(page.getByTestId('sign-in-error')).toContainText('code is not right');
  await screenshot(page, 'accounts-2b-totp-wrong');
  await page.getByTestId('sign-in-use-recovery').click();
  await page.getByTestId('sign-in-recovery').fill(recoveryCodes[0] ?? '');
  await page.getByTestId('sign-in-recovery').press('Enter');
  await expect(page.getByTestId('workspace')).toBeVisible();
  await expect(page.getByTestId('me-name')).toHaveText('Tia');
});

test('a direct message between two people', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await openDm(ada.page, 'bo', 'Bo');
  await send(ada.page, 'Hi Bo, just you and me here.');
  // Bo finds it under Direct messages, titled with Ada's name.
  const dm = bo.page.getByTestId('section-dms').getByTestId('conversation-item');
  await expect(dm.filter({ hasText: 'Ada' })).toHaveCount(1);
  await openConversation(bo.page, 'Ada');
  await expect(messageWithText(bo.page, 'Hi Bo, just you and me here.')).toHaveCount(1);
  await send(bo.page, 'Hi Ada.');
  await expect(messageWithText(ada.page, 'Hi Ada.')).toHaveCount(1);
  await expect(ada.page.getByTestId('conversation')).toHaveAttribute('data-kind', 'dm');
  await screenshot(bo.page, 'accounts-3-dm-bo');
  await Promise.all([ada.context.close(), bo.context.close()]);
});

test('both start the same DM offline: one conversation with both messages after reconnecting', async ({
  browser,
}) => {
  const eva = await person(browser, 'Eva');
  const finn = await person(browser, 'Finn');
  // They know each other from a channel, so each finds the other with no network.
  await createConversation(eva.page, 'Dock team', ['finn']);
  await expect(
    finn.page.getByTestId('conversation-item').filter({ hasText: 'Dock team' }),
  ).toHaveCount(1);
  await eva.net.off();
  await finn.net.off();
  await openDm(eva.page, 'finn', 'Finn');
  await send(eva.page, 'Eva, offline: are you on the dock?');
  await openDm(finn.page, 'eva', 'Eva');
  await send(finn.page, 'Finn, offline: yes, by the crane.');
  await eva.net.on();
  await finn.net.on();
  // The DM's id comes from the pair: both wrote into the same conversation.
  await expect(messageWithText(eva.page, 'Finn, offline: yes, by the crane.')).toHaveCount(1, {
    timeout: 30_000,
  });
  await expect(messageWithText(finn.page, 'Eva, offline: are you on the dock?')).toHaveCount(1, {
    timeout: 30_000,
  });
  await expect(eva.page.getByTestId('section-dms').getByTestId('conversation-item')).toHaveCount(1);
  await screenshot(finn.page, 'accounts-3b-dm-offline-both');
  await Promise.all([eva.context.close(), finn.context.close()]);
});

test('a group channel with two people; controls follow their roles', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Deck crew', ['bo'], { private: true });
  await send(ada.page, 'Welcome aboard, Bo.');
  const item = bo.page.getByTestId('section-channels').getByTestId('conversation-item');
  await expect(item.filter({ hasText: 'Deck crew' })).toHaveAttribute('data-visibility', 'private');
  await openConversation(bo.page, 'Deck crew');
  await expect(messageWithText(bo.page, 'Welcome aboard, Bo.')).toHaveCount(1);
  await send(bo.page, 'Thanks, glad to be here.');
  await expect(messageWithText(ada.page, 'Thanks, glad to be here.')).toHaveCount(1);

  // Ada owns it: she may remove Bo and change his role; Bo, a plain member, may do neither.
  await ada.page.getByTestId('details-button').click();
  const boRow = ada.page.locator('[data-testid="member"][data-role="member"]');
  await expect(boRow.getByTestId('member-remove')).toBeVisible();
  await expect(boRow.getByTestId('member-role')).toBeVisible();
  await bo.page.getByTestId('details-button').click();
  await expect(bo.page.getByTestId('member')).toHaveCount(2);
  await expect(bo.page.getByTestId('member-remove')).toHaveCount(0);
  await expect(bo.page.getByTestId('details-rename')).toHaveCount(0);
  await screenshot(ada.page, 'accounts-4-channel-ada-owner');
  await screenshot(bo.page, 'accounts-4-channel-bo-member');
  await Promise.all([ada.context.close(), bo.context.close()]);
});

test('an announcement channel: members read; a moderator posts and deletes; archived is read-only', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Harbour notices', ['bo'], { announcement: true });
  await send(ada.page, 'The ferry leaves at 07:00.');
  await openConversation(bo.page, 'Harbour notices');
  await expect(messageWithText(bo.page, 'The ferry leaves at 07:00.')).toHaveCount(1);
  // Bo is a plain member: the composer is replaced by a calm note, no delete on Ada's message.
  await expect(bo.page.getByTestId('read-only-note')).toContainText('announcement');
  await expect(bo.page.getByTestId('composer')).toHaveCount(0);
  await expect(bo.page.getByTestId('message-delete')).toHaveCount(0);
  await screenshot(bo.page, 'accounts-5a-announcement-member');

  // Ada makes Bo a moderator: he may post and delete others' messages (a tombstone).
  await ada.page.getByTestId('details-button').click();
  const boRow = ada.page.locator('[data-testid="member"][data-role="member"]');
  await boRow.getByTestId('member-role').selectOption('moderator');
  await expect(ada.page.locator('[data-testid="member"][data-role="moderator"]')).toHaveCount(1);
  await expect(bo.page.getByTestId('composer')).toBeVisible();
  await send(bo.page, 'Noted, I will post the changes here.');
  const notice = messageWithText(bo.page, 'The ferry leaves at 07:00.');
  const noticeId = await notice.getAttribute('data-message-id');
  await messageAction(notice, 'message-delete');
  await expect(bo.page.getByTestId('delete-dialog')).toContainText('moderator');
  await bo.page.getByTestId('delete-confirm').click();
  const onAda = ada.page.locator(`[data-testid="message"][data-message-id="${noticeId}"]`);
  await expect(onAda).toHaveAttribute('data-deleted', 'true');
  // The deletion is Bo's write: nothing of Ada's waits for the relay.
  await expect(onAda).toHaveAttribute('data-delivery', 'stored');
  await expect(messageWithText(ada.page, 'Noted, I will post the changes here.')).toHaveCount(1);

  // Ada archives it: read-only for everyone.
  await ada.page.getByTestId('details-archive').click();
  await expect(bo.page.getByTestId('read-only-note')).toContainText('archived');
  await expect(bo.page.getByTestId('composer')).toHaveCount(0);
  await expect(ada.page.getByTestId('read-only-note')).toContainText('archived');
  await expect(ada.page.getByTestId('details-archive')).toHaveText(/Unarchive/);
  await screenshot(ada.page, 'accounts-5b-archived-owner');
  await Promise.all([ada.context.close(), bo.context.close()]);
});

test('removed while offline: B sees "You were removed", the undelivered message is kept and exportable, A never sees it', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Night watch', ['bo'], { private: true });
  await send(ada.page, 'Bo, you have the first watch.');
  await openConversation(bo.page, 'Night watch');
  await expect(messageWithText(bo.page, 'Bo, you have the first watch.')).toHaveCount(1);
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'synced');

  await bo.net.off();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'offline');
  await send(bo.page, 'Written offline: the starboard light is out.');

  await ada.page.getByTestId('details-button').click();
  const boRow = ada.page.locator('[data-testid="member"][data-role="member"]');
  await boRow.getByTestId('member-remove').click();
  await boRow.getByTestId('member-remove-confirm').click();
  await expect(ada.page.getByTestId('member')).toHaveCount(1);

  await bo.net.on();
  await expect(bo.page.getByTestId('removed-banner')).toBeVisible({ timeout: 30_000 });
  await expect(bo.page.getByTestId('removed-banner')).toContainText(
    'You were removed from this conversation.',
  );
  await expect(bo.page.getByTestId('undelivered-count')).toHaveAttribute('data-count', '1');
  const kept = messageWithText(bo.page, 'Written offline: the starboard light is out.');
  await expect(kept.getByTestId('undelivered-mark')).toBeVisible();
  await expect(bo.page.getByTestId('composer')).toHaveCount(0);
  // What can never be sent is not "waiting to sync".
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'synced');
  const listed = bo.page.getByTestId('conversation-item').filter({ hasText: 'Night watch' });
  await expect(listed).toHaveAttribute('data-removed', 'true');

  await bo.page.getByTestId('export').click();
  const download = bo.page.waitForEvent('download');
  await bo.page.getByTestId('export-json').click();
  const file = await download;
  const json = await new Promise<string>((resolve, reject) => {
    void file.createReadStream().then((stream) => {
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (text += c));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    }, reject);
  });
  expect(json).toContain('Written offline: the starboard light is out.');
  await screenshot(bo.page, 'accounts-5-removed-bo');

  // The relay refused nothing from an honest client: the message simply never reached it.
  await send(ada.page, 'Ada still here.');
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'synced');
  await expect(
    messageWithText(ada.page, 'Written offline: the starboard light is out.'),
  ).toHaveCount(0);
  await screenshot(ada.page, 'accounts-5-removed-ada');

  // Removing the local copy asks first, then it is gone from Bo's list.
  await bo.page.getByTestId('forget').click();
  await bo.page.getByTestId('forget-confirm').click();
  await expect(listed).toHaveCount(0);
  await Promise.all([ada.context.close(), bo.context.close()]);
});

test('a guest sees only what they were added to, and no create or browse controls', async ({
  browser,
}) => {
  await relay.createUser('gus', { displayName: 'Gus', role: 'guest' });
  const ada = await person(browser, 'Ada');
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const gus = await context.newPage();
  await signIn(gus, app.url, relay.httpUrl, 'gus');
  await expect(gus.getByTestId('new-channel')).toHaveCount(0);
  await expect(gus.getByTestId('browse-channels')).toHaveCount(0);
  await createConversation(ada.page, 'Visitors', ['gus'], { private: true });
  await send(ada.page, 'Welcome, Gus.');
  await openConversation(gus, 'Visitors');
  await expect(messageWithText(gus, 'Welcome, Gus.')).toHaveCount(1);
  await send(gus, 'Thank you.');
  await expect(messageWithText(ada.page, 'Thank you.')).toHaveCount(1);
  await screenshot(gus, 'accounts-6a-guest');
  await Promise.all([ada.context.close(), context.close()]);
});

test('a channel created offline is usable at once and marked until the relay has it', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  // The people picker says it only knows people from shared conversations.
  await ada.page.getByTestId('new-channel').click();
  await expect(ada.page.getByTestId('picker-offline')).toBeVisible();
  await ada.page.getByTestId('new-channel-title').fill('Written at sea');
  await ada.page.getByTestId('new-channel-create').click();
  await expect(ada.page.getByTestId('conversation-title')).toHaveText('Written at sea');
  await send(ada.page, 'First entry, no signal.');
  const item = ada.page.getByTestId('conversation-item').filter({ hasText: 'Written at sea' });
  await expect(item).toHaveAttribute('data-registered', 'false');
  await expect(item.getByTestId('not-registered')).toBeVisible();
  await expect(ada.page.getByTestId('conversation-not-registered')).toBeVisible();
  // Browsing channels needs the server: a note instead of a list.
  await ada.page.getByTestId('browse-channels').click();
  await expect(ada.page.getByTestId('browse-offline')).toBeVisible();
  await screenshot(ada.page, 'accounts-7-created-offline');
  await ada.page.keyboard.press('Escape');

  await ada.net.on();
  await expect(item).toHaveAttribute('data-registered', 'true', { timeout: 30_000 });
  await expect(ada.page.getByTestId('conversation-not-registered')).toHaveCount(0);
  await expect(messageWithText(ada.page, 'First entry, no signal.')).toHaveAttribute(
    'data-delivery',
    'stored',
  );
  await ada.context.close();
});

test('a revoked session: a calm banner, local data stays, signing in again resumes', async ({
  browser,
}) => {
  const cy = await person(browser, 'Cy');
  await createConversation(cy.page, 'Cy notes');
  await send(cy.page, 'Before the revocation.');
  await expect(syncState(cy.page)).toHaveAttribute('data-state', 'synced');
  await relay.revokeSessions('cy');
  await expect(cy.page.getByTestId('session-ended')).toBeVisible({ timeout: 15_000 });
  await expect(messageWithText(cy.page, 'Before the revocation.')).toHaveCount(1);
  await screenshot(cy.page, 'accounts-6-session-ended');
  await cy.page.getByTestId('session-ended-sign-in').click();
  await expect(cy.page.getByTestId('sign-in-username')).toHaveValue('cy');
  await expect(cy.page.getByTestId('sign-in-password')).toBeFocused();
  await cy.page.getByTestId('sign-in-password').fill(TEST_PASSWORD);
  await cy.page.getByTestId('sign-in-password').press('Enter');
  await expect(cy.page.getByTestId('workspace')).toBeVisible();
  await openConversation(cy.page, 'Cy notes');
  await expect(messageWithText(cy.page, 'Before the revocation.')).toHaveCount(1);
  await expect(cy.page.getByTestId('session-ended')).toHaveCount(0);
  await cy.context.close();
});
