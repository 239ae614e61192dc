// Pins end to end (issue 5, docs/messaging.md "Pins"): two people in two browser contexts, a
// real relay, the real renderer. Bo's relay connection is cut for real (NetworkSwitch) while he
// pins; Ada pins online and, as the channel's owner, unpins Bo's pin; after reconnecting both
// see the same pinned list. Then the keyboard path: P on a focused message, the Pinned list by
// keyboard, opening a pinned message reveals and focuses it.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageAction,
  messageWithText,
  openConversation,
  send,
  syncState,
} from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

/** The pinned list as shown: the first line of each pinned message, most recently pinned first. */
async function pinnedTexts(page: Page): Promise<string[]> {
  const button = page.getByTestId('pinned-button');
  if ((await button.count()) === 0) return [];
  if ((await page.getByTestId('pinned-list').count()) === 0) await button.click();
  await expect(page.getByTestId('pinned-list')).toBeVisible();
  await expect(page.getByTestId('pinned-status')).toHaveCount(0); // nothing still loading
  const texts = await page
    .getByTestId('pinned-text')
    .evaluateAll((els) => els.map((el) => (el.textContent ?? '').trim()));
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('pinned-list')).toHaveCount(0);
  return texts;
}

async function pinByToolbar(page: Page, text: string): Promise<void> {
  const row = messageWithText(page, text);
  await messageAction(row, 'message-pin');
  await expect(row.getByTestId('pin-mark')).toBeVisible();
}

test('Bo pins offline while Ada pins and unpins online; on reconnect both see the same list', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Pinboard', ['bo']);
  const agenda = 'Agenda for Monday: release, hiring, offsite';
  const checklist = 'Release checklist is in the wiki';
  const lunch = 'Lunch is at noon';
  for (const t of [agenda, checklist, lunch]) await send(ada.page, t);
  await openConversation(bo.page, 'Pinboard');
  await expect(messageWithText(bo.page, lunch)).toHaveCount(1);
  // Nothing pinned yet: no Pinned button in the header.
  await expect(bo.page.getByTestId('pinned-button')).toHaveCount(0);

  await bo.net.off();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'offline');
  await pinByToolbar(bo.page, agenda);
  await pinByToolbar(bo.page, lunch);
  // His own pin says "you".
  await expect(messageWithText(bo.page, agenda).getByTestId('pin-mark')).toHaveText(
    /Pinned by you/,
  );
  await expect(bo.page.getByTestId('pinned-count')).toHaveText('2');
  expect(await pinnedTexts(bo.page)).toEqual([lunch, agenda]);

  // Ada, online, pins the checklist; she does not see Bo's offline pins yet.
  await pinByToolbar(ada.page, checklist);
  await expect(ada.page.getByTestId('pinned-count')).toHaveText('1');
  await screenshot(bo.page, 'pins-1-bo-offline');

  await bo.net.on();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'synced');
  for (const p of [ada.page, bo.page]) {
    await expect(p.getByTestId('pinned-count')).toHaveText('3');
    const [bos, adas] = p === bo.page ? ['you', 'Ada'] : ['Bo', 'you'];
    await expect(messageWithText(p, agenda).getByTestId('pin-mark')).toHaveText(`Pinned by ${bos}`);
    await expect(messageWithText(p, checklist).getByTestId('pin-mark')).toHaveText(
      `Pinned by ${adas}`,
    );
  }
  const adaList = await pinnedTexts(ada.page);
  expect(adaList.sort()).toEqual([agenda, checklist, lunch].sort());
  expect(await pinnedTexts(bo.page)).toEqual(await pinnedTexts(ada.page));

  // Ada owns the channel: she unpins Bo's lunch pin from the list (for everyone).
  await ada.page.getByTestId('pinned-button').click();
  await screenshot(ada.page, 'pins-2-ada-list');
  const lunchItem = ada.page.getByTestId('pinned-item').filter({ hasText: lunch });
  await lunchItem.getByTestId('pinned-unpin').click();
  await expect(ada.page.getByTestId('pinned-item')).toHaveCount(2);
  await ada.page.keyboard.press('Escape');
  // Bo, a plain member, sees no unpin on Ada's pin but may unpin his own.
  await expect(bo.page.getByTestId('pinned-count')).toHaveText('2');
  await expect(messageWithText(bo.page, lunch).getByTestId('pin-mark')).toHaveCount(0);
  await bo.page.getByTestId('pinned-button').click();
  await expect(
    bo.page.getByTestId('pinned-item').filter({ hasText: checklist }).getByTestId('pinned-unpin'),
  ).toHaveCount(0);
  await bo.page
    .getByTestId('pinned-item')
    .filter({ hasText: agenda })
    .getByTestId('pinned-unpin')
    .click();
  await expect(bo.page.getByTestId('pinned-item')).toHaveCount(1);
  await bo.page.keyboard.press('Escape');
  for (const p of [ada.page, bo.page]) {
    await expect(p.getByTestId('pinned-count')).toHaveText('1');
    expect(await pinnedTexts(p)).toEqual([checklist]);
  }
  await screenshot(bo.page, 'pins-3-bo-merged');

  // A deleted pinned message shows as deleted in the list; Ada (owner) can still unpin it.
  await messageAction(messageWithText(ada.page, checklist), 'message-delete');
  await ada.page.getByTestId('delete-confirm').click();
  await bo.page.getByTestId('pinned-button').click();
  await expect(bo.page.getByTestId('pinned-status')).toHaveText('Message deleted');
  await screenshot(bo.page, 'pins-4-deleted');
  // Opening it shows where it was: the tombstone row, focused.
  await bo.page.getByTestId('pinned-open').click();
  await expect(bo.page.getByTestId('pinned-list')).toHaveCount(0);
  await expect(bo.page.locator('[data-testid=message][data-deleted=true]')).toBeFocused();
  await expect(bo.page.getByRole('alert')).toHaveCount(0);
  await ada.page.getByTestId('pinned-button').click();
  await ada.page.getByTestId('pinned-unpin').click();
  for (const p of [ada.page, bo.page]) await expect(p.getByTestId('pinned-button')).toHaveCount(0);
  await ada.context.close();
  await bo.context.close();
});

test('keyboard only: P pins the focused message, the Pinned list opens it', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  await createConversation(ada.page, 'Keys', []);
  const first = 'The first thing to remember';
  await send(ada.page, first);
  for (let i = 1; i <= 6; i++) await send(ada.page, `Filler ${i}`);
  const message = messageWithText(ada.page, first);
  // From the composer into the list: ↑ onto the newest, Home to the first, P pins it.
  await messageWithText(ada.page, 'Filler 6').focus();
  await ada.page.keyboard.press('Home');
  await expect(message).toBeFocused();
  await ada.page.keyboard.press('p');
  await expect(message.getByTestId('pin-mark')).toHaveText('Pinned by you');
  await expect(message.getByTestId('message-pin')).toHaveAttribute('aria-pressed', 'true');
  // Back to the composer: a p there is just a letter.
  await ada.page.keyboard.press('Escape');
  await expect(ada.page.getByTestId('composer')).toBeFocused();
  await ada.page.getByTestId('composer').press('p');
  await expect(ada.page.getByTestId('composer')).toHaveValue('p');
  await ada.page.getByTestId('composer').fill('');

  // The Pinned button by keyboard: Enter opens the list with the focus on the first item,
  // Enter on it reveals the message in the conversation, focused.
  await ada.page.getByTestId('pinned-button').focus();
  await ada.page.keyboard.press('Enter');
  await expect(ada.page.getByTestId('pinned-open').first()).toBeFocused();
  await screenshot(ada.page, 'pins-5-keyboard-list');
  await ada.page.keyboard.press('Escape');
  await expect(ada.page.getByTestId('pinned-button')).toBeFocused();
  await ada.page.keyboard.press('Enter');
  await ada.page.keyboard.press('Enter');
  await expect(ada.page.getByTestId('pinned-list')).toHaveCount(0);
  await expect(message).toBeFocused();
  // P again unpins it.
  await ada.page.keyboard.press('p');
  await expect(message.getByTestId('pin-mark')).toHaveCount(0);
  await expect(ada.page.getByTestId('pinned-button')).toHaveCount(0);
  await ada.context.close();
});

test('pins in threads: Bo pins a reply (P) and the root (button) in the thread panel offline; Ada opens the pinned reply into its thread and unpins it with P', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Harbour', ['bo']);
  const root = 'Which berth for the ferry on Sunday?';
  const reply = 'Berth 4, the crane is free';
  await send(ada.page, root);
  await openConversation(bo.page, 'Harbour');
  const inList = (p: Page, text: string) =>
    p.getByTestId('message-list').getByTestId('message').filter({ hasText: text });
  const inThread = (p: Page, text: string) =>
    p.getByTestId('thread-panel').getByTestId('message').filter({ hasText: text });
  await messageAction(inList(bo.page, root), 'message-thread');
  const boPanel = bo.page.getByTestId('thread-panel');
  await boPanel.getByTestId('composer').fill(reply);
  await boPanel.getByTestId('composer').press('Enter');
  await expect(inThread(bo.page, reply)).toHaveCount(1);

  // Offline (network cut for real): P on the reply reached with the arrows, the root's button.
  await bo.net.off();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'offline');
  await boPanel.getByTestId('thread-messages').focus();
  await bo.page.keyboard.press('ArrowDown'); // the root
  await bo.page.keyboard.press('ArrowDown'); // the reply
  await expect(inThread(bo.page, reply)).toBeFocused();
  await bo.page.keyboard.press('p');
  await expect(inThread(bo.page, reply).getByTestId('pin-mark')).toHaveText('Pinned by you');
  const panelRoot = boPanel.getByTestId('thread-root').getByTestId('message');
  await messageAction(panelRoot, 'message-more'); // the narrow panel's actions menu
  await panelRoot.getByTestId('message-pin').click();
  await expect(panelRoot.getByTestId('pin-mark')).toHaveText('Pinned by you');
  await expect(inList(bo.page, root).getByTestId('pin-mark')).toHaveText('Pinned by you');
  await expect(bo.page.getByTestId('pinned-count')).toHaveText('2');
  await screenshot(bo.page, 'pins-6-bo-thread-offline');
  await bo.net.on();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'synced');

  // Ada opens the pinned reply from the list: its thread opens with the reply focused.
  await expect(ada.page.getByTestId('pinned-count')).toHaveText('2');
  // By keyboard, so the first item shows its focus ring; hovered too: one box for both.
  await ada.page.getByTestId('pinned-button').focus();
  await ada.page.keyboard.press('Enter');
  await expect(ada.page.getByTestId('pinned-open').first()).toBeFocused();
  await ada.page.getByTestId('pinned-item').first().hover();
  await screenshot(ada.page, 'pins-7-ada-list-hover-focus');
  await ada.page
    .getByTestId('pinned-item')
    .filter({ hasText: reply })
    .getByTestId('pinned-open')
    .click();
  await expect(ada.page.getByTestId('pinned-list')).toHaveCount(0);
  await expect(inThread(ada.page, reply)).toBeFocused();
  await expect(inThread(ada.page, reply).getByTestId('pin-mark')).toHaveText('Pinned by Bo');
  await expect(ada.page.getByRole('alert')).toHaveCount(0);
  await screenshot(ada.page, 'pins-8-ada-pinned-reply');
  // She owns the channel: P there unpins Bo's pin for everyone; the root stays pinned.
  await ada.page.keyboard.press('p');
  await expect(inThread(ada.page, reply).getByTestId('pin-mark')).toHaveCount(0);
  await expect(inThread(bo.page, reply).getByTestId('pin-mark')).toHaveCount(0);
  for (const p of [ada.page, bo.page]) await expect(p.getByTestId('pinned-count')).toHaveText('1');
  await ada.context.close();
  await bo.context.close();
});
