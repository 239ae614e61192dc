// Sign-in through the company directory in the real renderer (issue 15), in Debian's Chromium
// against a real relay whose config names a real slapd (the relay tests' engine,
// sync-server/test/engines/slapd.ts: StartTLS with the test CA). The username/password form
// goes to the directory; the admin's Sign-in page tests the connection, tests a sign-in (the
// mapped role and groups; the password field emptied), and syncs now.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  TEST_ROLES,
  startSlapd,
  testLdapConfig,
  type SlapdEngine,
} from '../sync-server/test/engines/slapd';
import { createConversation, messageWithText, send, submitSignIn } from './fixtures/app';
import { RelayProcess, TEST_PASSWORD } from './fixtures/relay';
import { screenshot } from './fixtures/screens';

let slapd: SlapdEngine | null = null;
let relay: RelayProcess | null = null;

test.beforeAll(async () => {
  slapd = await startSlapd();
  const dir = test.info().outputPath('identity-ldap');
  mkdirSync(dir, { recursive: true });
  const ldap = testLdapConfig(slapd, {
    startTls: true,
    caFile: slapd.caFile,
    label: 'Ferry Test directory',
    roles: TEST_ROLES,
    defaultRole: null,
    syncEverySeconds: 3600,
  });
  const configFile = path.join(dir, 'ferry.json');
  writeFileSync(configFile, JSON.stringify({ identity: { offlineGraceDays: 14, ldap } }));
  relay = await RelayProcess.start({ args: ['--config', configFile] });
  // A relay with no account at all asks for its first admin instead: make a break-glass one.
  await relay.createUser('root', { displayName: 'Local Admin', role: 'admin' });
});

test.afterAll(async () => {
  await relay?.dispose();
  await slapd?.dispose?.();
});

test('a directory password signs in; the admin tests the directory, a sign-in and syncs now', async ({
  page,
}) => {
  const r = relay as RelayProcess;
  await page.setViewportSize({ width: 1200, height: 860 });
  await page.goto(r.httpUrl);
  await expect(page.getByText('Use your company account.')).toBeVisible();
  await expect(page.getByTestId('sign-in-sso')).toHaveCount(0);
  // A wrong directory password answers like any wrong password.
  await submitSignIn(page, r.httpUrl, 'alice', 'not-her-password');
  await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong username or password.');
  await screenshot(page, 'identity-ldap-0-sign-in');
  await submitSignIn(page, r.httpUrl, 'alice', 'alice-pw-1');
  await expect(page.getByTestId('workspace')).toBeVisible();

  await expect(async () => {
    await page.keyboard.press('Control+,');
    await expect(page.getByTestId('settings-dialog')).toBeVisible({ timeout: 1_000 });
  }).toPass();
  await page.getByTestId('settings-people').click();
  const alice = page.locator('[data-testid=people-user][data-username=alice]');
  await expect(alice).toHaveAttribute('data-source', 'ldap');
  await expect(alice).toHaveAttribute('data-role', 'admin');
  await expect(alice.getByTestId('people-source')).toHaveText('Directory');
  await expect(alice).toContainText('alice@ferry.test');

  await page.getByTestId('people-identity').click();
  const dialog = page.getByTestId('identity-dialog');
  await expect(dialog.locator('[data-source=ldap]')).toContainText('Ferry Test directory');
  await dialog.getByTestId('identity-test').click();
  await expect(dialog.getByTestId('identity-result')).toContainText(
    'the service account signed in',
  );

  await dialog.getByTestId('identity-test-signin-open').click();
  await dialog.getByTestId('identity-test-username').fill('bob');
  await dialog.getByTestId('identity-test-password').fill('bob-pw-2');
  await dialog.getByTestId('identity-test-signin-run').click();
  await expect(dialog.getByTestId('identity-found-role')).toHaveText('member');
  await expect(dialog.getByTestId('identity-found-groups')).toContainText('staff');
  await expect(dialog.getByTestId('identity-test-password')).toHaveValue('');

  await dialog.getByTestId('identity-sync').click();
  await expect(dialog.getByTestId('identity-result')).toContainText('Sync:');
  await expect(dialog.getByTestId('identity-sync-row').first()).toHaveAttribute('data-ok', 'true');
  await screenshot(page, 'identity-ldap-1-admin-page');

  // The directory down: the buttons say why, in words.
  await (slapd as SlapdEngine).stop();
  await dialog.getByTestId('identity-test').click();
  await expect(dialog.getByTestId('identity-result')).toContainText('Cannot reach ldap://');
  await screenshot(page, 'identity-ldap-2-directory-down');
  await (slapd as SlapdEngine).start();
});

test('a person disabled in the directory loses the workspace at the next sync and is told why', async ({
  browser,
}) => {
  const r = relay as RelayProcess;
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  await page.goto(r.httpUrl);
  await submitSignIn(page, r.httpUrl, 'bob', 'bob-pw-2');
  await expect(page.getByTestId('workspace')).toBeVisible();
  await createConversation(page, 'directory-team');
  await send(page, 'Hello from the directory');
  // IT disables bob in the directory; the next sync (here: an admin's "Sync now") ends his
  // sessions, and his open app says so.
  await (slapd as SlapdEngine).setDisabled('bob', true);
  const root = await fetch(`${r.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'root', password: TEST_PASSWORD }),
  }).then((res) => res.json() as Promise<{ accessToken: string }>);
  const sync = await fetch(`${r.httpUrl}/api/v1/admin/identity/ldap/sync`, {
    method: 'POST',
    headers: { authorization: `Bearer ${root.accessToken}` },
  }).then((res) => res.json() as Promise<{ sync: { disabled: number } }>);
  expect(sync.sync.disabled).toBe(1);
  await expect(page.getByTestId('session-ended')).toContainText('Your account was disabled');
  // What he wrote stays on his device.
  await expect(messageWithText(page, 'Hello from the directory')).toHaveCount(1);
  await screenshot(page, 'identity-ldap-3-disabled');
  await (slapd as SlapdEngine).setDisabled('bob', false);
  await context.close();
});
