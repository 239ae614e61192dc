// Single sign-on in the real renderer (issue 15), in Debian's Chromium against a real relay
// with OpenID Connect configured and the OpenID provider the relay's tests use
// (sync-server/test/engines/oidc.ts: a real `oidc-provider` process). The app is the web build
// the relay serves at `/`, so the relay's return (`/#/auth?code=…`) lands in it. Nothing is
// mocked: the issuer's own login page is filled in, in the same tab.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort } from '../sync-server/test/engines/common';
import { startIssuer, type IssuerEngine } from '../sync-server/test/engines/oidc';
import { createConversation, send } from './fixtures/app';
import { RelayProcess } from './fixtures/relay';
import { screenshot } from './fixtures/screens';

let issuer: IssuerEngine | null = null;
let relay: RelayProcess | null = null;

test.beforeAll(async () => {
  // The issuer must know the relay's exact redirect URI, so the relay's port comes first.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const redirectUri = `${base}/api/v1/auth/oidc/callback`;
  issuer = await startIssuer({
    users: [
      {
        username: 'olivia',
        password: 'olivia-pw-1',
        name: 'Olivia Owner',
        groups: ['ferry-admins'],
      },
      { username: 'otto', password: 'otto-pw-3', name: 'Otto Outside', groups: [] },
    ],
    redirectUri,
  });
  const dir = test.info().outputPath('identity');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const secretFile = path.join(dir, 'oidc.secret');
  writeFileSync(secretFile, issuer.clientSecret + '\n');
  const configFile = path.join(dir, 'ferry.json');
  const oidc = {
    issuer: issuer.issuer,
    allowHttp: true,
    clientId: issuer.clientId,
    clientSecretFile: secretFile,
    label: 'Ferry Test',
    redirectUri,
    claims: { username: 'preferred_username', groups: 'groups' },
    roles: { 'ferry-admins': 'admin' },
    createAccounts: true,
  };
  writeFileSync(configFile, JSON.stringify({ identity: { offlineGraceDays: 14, oidc } }));
  relay = await RelayProcess.start({ args: ['--port', String(port), '--config', configFile] });
  // A relay with no account at all asks for its first admin instead: make a break-glass one.
  await relay.createUser('root', { displayName: 'Local Admin', role: 'admin' });
});

test.afterAll(async () => {
  await relay?.dispose();
  await issuer?.dispose();
});

test('"Sign in with Ferry Test" goes to the issuer and back into the workspace; People shows SSO', async ({
  page,
}) => {
  const r = relay as RelayProcess;
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.goto(r.httpUrl);
  const sso = page.getByTestId('sign-in-sso');
  await expect(sso).toHaveText('Sign in with Ferry Test');
  await expect(page.getByTestId('sign-in-username')).toBeVisible(); // the password form stays
  await screenshot(page, 'identity-sso-0-sign-in');
  await sso.click();
  // The issuer's own login page, in this tab (the desktop app opens the system browser).
  await expect(page).toHaveURL(new RegExp(`^${(issuer as IssuerEngine).issuer}`));
  await page.locator('#username').fill('olivia');
  await page.locator('#password').fill('olivia-pw-1');
  await page.locator('#sign-in').click();
  await expect(page.getByTestId('workspace')).toBeVisible();
  // The one-time code left the address bar and history.
  expect(new URL(page.url()).hash).toBe('');
  // A person signed in through the issuer chats like anyone.
  await createConversation(page, 'sso-hello');
  await send(page, 'Hello from single sign-on');
  await expect(async () => {
    await page.keyboard.press('Control+,');
    await expect(page.getByTestId('settings-dialog')).toBeVisible({ timeout: 1_000 });
  }).toPass();
  await page.getByTestId('settings-people').click();
  const me = page.locator('[data-testid=people-user][data-username=olivia]');
  await expect(me).toHaveAttribute('data-source', 'oidc');
  await expect(me.getByTestId('people-source')).toHaveText('SSO');
  await expect(me.getByTestId('people-managed')).toHaveText('Managed by your company directory');
  await expect(me.getByTestId('people-reset-password')).toHaveCount(0);
  await screenshot(page, 'identity-sso-1-people');
  await page.getByTestId('people-identity').click();
  const dialog = page.getByTestId('identity-dialog');
  await expect(dialog.locator('[data-source=oidc]')).toContainText('Ferry Test');
  await expect(dialog.getByTestId('identity-grace')).toContainText('after 14 days');
  await screenshot(page, 'identity-sso-2-admin-page');
});

test('a return the app did not start, or an issuer error, is said in words and leaves no code behind', async ({
  page,
}) => {
  const r = relay as RelayProcess;
  // A code this tab never asked for (another program's link, a reload): refused before any request.
  await page.goto(`${r.httpUrl}/#/auth?code=${'x'.repeat(24)}`);
  await expect(page.getByTestId('sign-in-error')).toContainText('not started on this device');
  expect(new URL(page.url()).hash).toBe('');
  await expect(page.getByTestId('sign-in-sso')).toBeVisible();
  // The relay's error words, shown as text (a fresh load, as the relay's redirect makes one).
  await page.goto('about:blank');
  await page.goto(
    `${r.httpUrl}/#/auth?error=unavailable&message=Ferry+Test+is+unavailable+right+now%3B+try+again`,
  );
  await expect(page.getByTestId('sign-in-error')).toHaveText(
    'Ferry Test is unavailable right now; try again',
  );
  expect(new URL(page.url()).hash).toBe('');
  await screenshot(page, 'identity-sso-3-error');
});
