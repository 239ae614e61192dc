// Mentions and notifications end to end (issue 5): two people (accounts made with the relay's
// admin CLI) in two browser contexts, a real relay, the real renderer. Ada mentions Bo with the
// composer's autocomplete while Bo's relay connection is cut for real (NetworkSwitch); when he
// reconnects, his list shows the @ badge, a notification is raised (the browser Notification
// API, stubbed to record what the app shows) and the mention is highlighted as his. Muting the
// conversation stops the next one.
import { expect, test, type Page } from '@playwright/test';
import { createConversation, messageWithText, openConversation } from './fixtures/app';
import { notifications, recordNotifications } from './fixtures/notifications';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld({ prepare: recordNotifications });

const item = (page: Page, title: string) =>
  page.getByTestId('conversation-item').filter({ hasText: title });

test('A mentions offline B with the autocomplete; B reconnects: @ badge, notification, highlight; muting stops it', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Launch', ['bo']);
  await createConversation(ada.page, 'Lobby', ['bo']);
  await createConversation(ada.page, 'Ops', ['bo']);
  await openConversation(bo.page, 'Lobby');
  await expect(item(bo.page, 'Launch')).toHaveCount(1);
  await expect(item(bo.page, 'Ops')).toHaveCount(1);

  await bo.net.off();

  // Ada types "@b": the list offers Bo (and not herself); Enter inserts "@bo ".
  await openConversation(ada.page, 'Launch');
  const composer = ada.page.getByTestId('composer');
  await composer.click();
  await composer.pressSequentially('Ready? @B');
  const options = ada.page.getByTestId('mention-option');
  await expect(options.first()).toContainText('@bo');
  await expect(options.filter({ hasText: '@ada' })).toHaveCount(0);
  await screenshot(ada.page, 'mentions-1-autocomplete');
  await composer.press('Enter');
  await expect(composer).toHaveValue('Ready? @bo ');
  await expect(ada.page.getByTestId('mention-list')).toHaveCount(0);
  // Escape dismisses the list: Enter then sends.
  await composer.pressSequentially('ship it, cc @');
  await expect(ada.page.getByTestId('mention-list')).toBeVisible();
  await composer.press('Escape');
  await expect(ada.page.getByTestId('mention-list')).toHaveCount(0);
  await composer.press('Backspace');
  await composer.press('Enter');
  const text = 'Ready? @bo ship it, cc';
  await expect(messageWithText(ada.page, text)).toHaveCount(1);
  await expect(messageWithText(ada.page, text).locator('.mention')).toHaveText('@bo');

  // Bo comes back: the mention arrives with its badge and one notification.
  await bo.net.on();
  await expect(item(bo.page, 'Launch').getByTestId('mention-badge')).toBeVisible();
  await expect(item(bo.page, 'Launch')).toHaveAttribute('data-mentions', '1');
  await expect
    .poll(() => notifications(bo.page))
    .toEqual([{ title: 'Launch: you were mentioned', body: `Ada: ${text}` }]);
  await screenshot(bo.page, 'mentions-2-badge');

  await openConversation(bo.page, 'Launch');
  const mine = messageWithText(bo.page, text).locator('.mention.mention-me');
  await expect(mine).toHaveText('@bo');
  await expect(item(bo.page, 'Launch').getByTestId('mention-badge')).toHaveCount(0);
  await screenshot(bo.page, 'mentions-3-highlight');

  // Bo mutes Launch; a new mention there raises nothing, the row is dimmed without a count.
  await bo.page.getByTestId('details-button').click();
  await bo.page.getByTestId('details-notify').selectOption('mute');
  await openConversation(bo.page, 'Lobby');
  await expect(item(bo.page, 'Launch')).toHaveAttribute('data-muted', 'true');
  await ada.page.getByTestId('composer').fill('@bo one more');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(messageWithText(ada.page, '@bo one more')).toHaveCount(1);
  await expect(item(bo.page, 'Launch')).toHaveAttribute('data-unread', '1');
  await expect(item(bo.page, 'Launch').getByTestId('unread-badge')).toHaveCount(0);
  // A mention in another channel after it is notified: the muted one was not merely late.
  await openConversation(ada.page, 'Ops');
  await ada.page.getByTestId('composer').fill('@bo ops needs you');
  await ada.page.getByTestId('composer').press('Enter');
  await expect.poll(async () => (await notifications(bo.page)).length).toBe(2);
  expect((await notifications(bo.page))[1]).toEqual({
    title: 'Ops: you were mentioned',
    body: 'Ada: @bo ops needs you',
  });
  await screenshot(bo.page, 'mentions-4-muted');

  // Do not disturb (Settings): a mention in Ops raises nothing; after turning it off the next
  // one does, so the count goes from 2 to 3 (the paused one was never shown).
  await bo.page.getByTestId('settings-button').click();
  await bo.page.getByTestId('setting-dnd').check();
  await screenshot(bo.page, 'mentions-5-dnd');
  await bo.page.keyboard.press('Escape');
  await expect(bo.page.getByTestId('settings-dialog')).toBeHidden();
  await ada.page.getByTestId('composer').fill('@bo while you rest');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(item(bo.page, 'Ops')).toHaveAttribute('data-mentions', '2');
  await bo.page.getByTestId('settings-button').click();
  await bo.page.getByTestId('setting-dnd').uncheck();
  await bo.page.keyboard.press('Escape');
  await expect(bo.page.getByTestId('settings-dialog')).toBeHidden();
  await ada.page.getByTestId('composer').fill('@bo back again');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(item(bo.page, 'Ops')).toHaveAttribute('data-mentions', '3');
  await expect.poll(async () => (await notifications(bo.page)).length).toBe(3);
  expect((await notifications(bo.page))[2]?.body).toBe('Ada: @bo back again');

  await ada.context.close();
  await bo.context.close();
});
