// Company sign-in in the app (issue 15), the part that holds on a relay with no directory and
// no single sign-on configured (as this relay is; without mocks): the sign-in screen offers the
// password form only, with no company hint and no "Sign in with …"; an admin's Sign-in page
// (People → Sign-in) lists Ferry passwords, single sign-on and the directory (not configured)
// and the offline policy (no limit); every account is Local in People. The SSO, LDAP and
// offline-limit runs need the relay's identity routes with slapd and the OIDC test provider:
// docs/identity.md, "The app (built)", says what they should do.
import { expect, test } from '@playwright/test';
import { signIn } from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { relay, app } = useWorld();

test('without company sign-in configured: password form only, and the admin Sign-in page says so', async ({
  page,
}) => {
  await relay.createUser('boss', { displayName: 'Bea Boss', role: 'admin' });
  await page.goto(app.url);
  await page.getByTestId('sign-in-server').fill(relay.httpUrl);
  await expect(page.getByTestId('sign-in-username')).toBeVisible();
  await expect(page.getByTestId('sign-in-sso')).toHaveCount(0);
  await expect(page.getByText('Use your company account.')).toHaveCount(0);

  await signIn(page, app.url, relay.httpUrl, 'boss');
  await expect(async () => {
    await page.keyboard.press('Control+,');
    await expect(page.getByTestId('settings-dialog')).toBeVisible({ timeout: 1_000 });
  }).toPass();
  await page.getByTestId('settings-people').click();
  const people = page.getByTestId('people-admin-dialog');
  const boss = people.locator('[data-testid=people-user][data-username=boss]');
  await expect(boss).toHaveAttribute('data-source', 'local');
  await expect(boss.getByTestId('people-source')).toHaveText('Local');
  await expect(boss.getByTestId('people-reset-password')).toBeVisible();

  await people.getByTestId('people-identity').click();
  const dialog = page.getByTestId('identity-dialog');
  await expect(dialog.getByTestId('identity-source')).toHaveCount(3);
  await expect(dialog.locator('[data-source=oidc]')).toContainText('Not configured.');
  await expect(dialog.locator('[data-source=ldap]')).toContainText('Not configured.');
  await expect(dialog.locator('[data-source=local]')).toContainText('Everyone');
  await expect(dialog.getByTestId('identity-grace')).toHaveText(
    'Devices may work offline without a limit.',
  );
  await expect(dialog.getByTestId('identity-ldap')).toHaveCount(0);
  await screenshot(page, 'identity-0-not-configured');
});
