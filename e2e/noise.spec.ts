// Less noise (issue 12, defect 9), two people against a real relay: a DM's preview does not
// repeat the sender under a title that names them; the DM avatar in the sidebar is a real size
// with the presence dot on its corner; a 10,000-character message collapses with Show more /
// Show less (keyboard too); offline (the relay stopped for real) shows by the composer, and the
// "offline" chip lasts only until the message is stored, then "written offline" is in the time's
// tooltip. Screenshots light and dark.
import { expect, test, type Page } from '@playwright/test';
import { messageWithText, openConversation, openDm, send, syncState } from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { relay, person } = useWorld({ viewport: { width: 1280, height: 800 } });

async function both(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `${name}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const dmItem = (page: Page, title: string) =>
  page.getByTestId('conversation-item').filter({ hasText: title });

test('DM previews name no one twice; the DM avatar is a real size with the dot on its corner', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await openDm(ada.page, 'bo', 'Bo');
  await send(ada.page, 'Lunch at noon?');
  await expect(dmItem(bo.page, 'Ada').getByTestId('conversation-preview')).toHaveText(
    'Lunch at noon?',
  );
  await expect(dmItem(ada.page, 'Bo').getByTestId('conversation-preview')).toHaveText(
    'You: Lunch at noon?',
  );
  const item = dmItem(bo.page, 'Ada');
  const avatar = await item.locator('.avatar, img').first().boundingBox();
  const dot = await item.getByTestId('presence-dot').boundingBox();
  if (!avatar || !dot) throw new Error('avatar or presence dot not rendered');
  expect(avatar.width).toBeGreaterThanOrEqual(24);
  // The dot's centre lies outside the avatar's round face: it marks the corner, hiding nothing.
  const r = avatar.width / 2;
  const dx = dot.x + dot.width / 2 - (avatar.x + r);
  const dy = dot.y + dot.height / 2 - (avatar.y + r);
  expect(Math.hypot(dx, dy)).toBeGreaterThan(r);
  await both(bo.page, 'noise-1-dm-sidebar');
});

test('a 10,000-character message collapses with Show more / Show less, by keyboard too', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await openDm(ada.page, 'bo', 'Bo');
  const long =
    `Minutes of the review. ${'All the details were discussed at length. '.repeat(230)}`.slice(
      0,
      10_000,
    );
  await send(ada.page, long.trim());
  await openConversation(bo.page, 'Ada');
  const row = bo.page.getByTestId('message').last();
  const more = row.getByTestId('message-show-more');
  await expect(more).toHaveText('Show more');
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  const collapsed = await row.boundingBox();
  expect(collapsed?.height ?? Infinity).toBeLessThan(450);
  await both(bo.page, 'noise-2-long-collapsed');
  await more.focus();
  await bo.page.keyboard.press('Enter');
  await expect(more).toHaveText('Show less');
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  expect((await row.boundingBox())?.height ?? 0).toBeGreaterThan(1000);
  await bo.page.keyboard.press(' ');
  await expect(more).toHaveText('Show more');
  expect((await row.boundingBox())?.height ?? Infinity).toBeLessThan(450);
  // A short message has no button.
  await send(ada.page, 'Short and sweet.');
  await expect(
    messageWithText(bo.page, 'Short and sweet.').getByTestId('message-show-more'),
  ).toHaveCount(0);
});

test('offline shows by the composer; the offline chip lasts only until the message is stored', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await openDm(ada.page, 'bo', 'Bo');
  await send(ada.page, 'Before the tunnel.');
  await expect(ada.page.getByTestId('composer-offline')).toHaveCount(0);
  await relay.stop();
  await expect(syncState(ada.page)).not.toHaveAttribute('data-state', 'synced');
  await expect(ada.page.getByTestId('composer-offline')).toHaveText(
    'You’re offline — messages will be sent when you reconnect.',
  );
  const text = 'Written in the tunnel.';
  await send(ada.page, text);
  const row = messageWithText(ada.page, text);
  await expect(row).toHaveAttribute('data-delivery', 'pending');
  await expect(row.getByTestId('offline-mark')).toBeVisible();
  await both(ada.page, 'noise-3-offline-composer');

  await relay.restart();
  // The app redials with backoff (as offline.spec.ts waits after a restart).
  await expect(ada.page.getByTestId('composer-offline')).toHaveCount(0, { timeout: 30_000 });
  await expect(row).toHaveAttribute('data-delivery', 'stored', { timeout: 30_000 });
  await expect(row.getByTestId('offline-mark')).toHaveCount(0);
  await expect(row.locator('time[title$="written offline"]')).toHaveCount(1);
  // Bo sees it with no chip, the tooltip saying how it was written.
  await openConversation(bo.page, 'Ada');
  const his = messageWithText(bo.page, text);
  await expect(his).toHaveCount(1);
  await expect(his.getByTestId('offline-mark')).toHaveCount(0);
  await expect(his.locator('time[title$="written offline"]')).toHaveCount(1);
  await both(ada.page, 'noise-4-delivered');
});
