// Reactions end to end (issue 5): two people (accounts made with the relay's admin CLI) in two
// browser contexts, a real relay, the real renderer. Bo's relay connection is cut for real
// (NetworkSwitch: sockets closed, the browser offline) while he reacts; Ada reacts online.
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

/** The chips under a message as shown: `emoji count`, in order. */
async function chips(page: Page, text: string): Promise<string[]> {
  return messageWithText(page, text)
    .getByTestId('reaction')
    .evaluateAll((els) =>
      els.map((el) => `${el.getAttribute('data-emoji')} ${el.getAttribute('data-count')}`),
    );
}

function chip(page: Page, text: string, emoji: string) {
  return messageWithText(page, text).locator(`[data-testid="reaction"][data-emoji="${emoji}"]`);
}

/** Hover (or focus) the message, press its React button, search and pick with the keyboard. */
async function reactWithPicker(page: Page, text: string, search: string) {
  const row = messageWithText(page, text);
  await messageAction(row, 'message-react');
  const picker = page.getByTestId('emoji-picker');
  await expect(picker).toBeVisible();
  await expect(page.getByTestId('emoji-search')).toBeFocused();
  await page.keyboard.type(search);
  await page.keyboard.press('Enter');
  await expect(picker).toHaveCount(0);
}

test('A reacts online while B reacts offline; on reconnect both see the same chips and who', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Launch', ['bo']);
  await openConversation(bo.page, 'Launch');
  const text = 'Version 2 is out!';
  await send(ada.page, text);
  await expect(messageWithText(bo.page, text)).toHaveCount(1);

  // The picker: search box focused, Escape closes and gives the focus back.
  const row = messageWithText(bo.page, text);
  await row.hover();
  const reactButton = row.getByTestId('message-react');
  await reactButton.click();
  await expect(bo.page.getByTestId('emoji-search')).toBeFocused();
  await screenshot(bo.page, 'reactions-1-picker');
  await bo.page.keyboard.press('Escape');
  await expect(bo.page.getByTestId('emoji-picker')).toHaveCount(0);
  await expect(reactButton).toBeFocused();

  await bo.net.off();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'offline');
  await reactWithPicker(bo.page, text, 'thumbs up');
  // Arrow keys: search "party", move right from the first match and back, Enter picks 🎉.
  await messageAction(row, 'message-react');
  await bo.page.keyboard.type('party');
  await bo.page.keyboard.press('ArrowRight');
  await bo.page.keyboard.press('ArrowLeft');
  await bo.page.keyboard.press('Enter');
  await expect.poll(() => chips(bo.page, text)).toEqual(['👍 1', '🎉 1']);
  await expect(chip(bo.page, text, '👍')).toHaveAttribute('data-mine', 'true');

  // Ada, online, reacts 👍 too; she does not see Bo's offline reactions yet.
  await reactWithPicker(ada.page, text, 'thumbs up');
  await expect.poll(() => chips(ada.page, text)).toEqual(['👍 1']);
  await screenshot(bo.page, 'reactions-2-bo-offline');

  await bo.net.on();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'synced');
  for (const p of [ada.page, bo.page]) {
    await expect.poll(() => chips(p, text)).toEqual(['👍 2', '🎉 1']);
    await expect(chip(p, text, '👍')).toHaveAttribute('aria-label', 'Bo, Ada reacted with 👍');
    await expect(chip(p, text, '🎉')).toHaveAttribute('title', 'Bo reacted with 🎉');
  }
  await expect(chip(ada.page, text, '👍')).toHaveAttribute('data-mine', 'true');
  await expect(chip(ada.page, text, '🎉')).toHaveAttribute('data-mine', 'false');
  await expect(chip(ada.page, text, '👍')).toHaveAttribute('aria-pressed', 'true');
  await screenshot(ada.page, 'reactions-3-ada-merged');

  // Bo takes 🎉 back offline (a click on his chip); it disappears for Ada once he is back.
  await bo.net.off();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'offline');
  await chip(bo.page, text, '🎉').click();
  await expect.poll(() => chips(bo.page, text)).toEqual(['👍 2']);
  await expect.poll(() => chips(ada.page, text)).toEqual(['👍 2', '🎉 1']);
  await bo.net.on();
  await expect.poll(() => chips(ada.page, text)).toEqual(['👍 2']);
  await expect(chip(ada.page, text, '👍')).toHaveAttribute('aria-label', 'Bo, Ada reacted with 👍');

  // Recent emoji come first in Bo's picker (kept on his device).
  await messageAction(row, 'message-react');
  const firstTwo = await bo.page
    .getByTestId('emoji-option')
    .evaluateAll((els) => els.slice(0, 2).map((el) => el.getAttribute('data-emoji')));
  expect(firstTwo).toEqual(['🎉', '👍']);
  await bo.page.keyboard.press('Escape');
  await screenshot(ada.page, 'reactions-4-ada-after-removal');
  await ada.context.close();
  await bo.context.close();
});

test('keyboard only: reach React from the message list, or R on a message; chips toggle mine', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  await createConversation(ada.page, 'Keys', []);
  const text = 'Press the keys';
  await send(ada.page, text);
  // From the composer: Shift+Tab to the list, ↑ onto the message, Tab to its React button.
  const message = messageWithText(ada.page, text);
  await message.focus();
  await ada.page.keyboard.press('ArrowUp');
  await expect(message).toBeFocused();
  const react = message.getByTestId('message-react');
  for (let i = 0; i < 4; i++) {
    if (await react.evaluate((el) => el === document.activeElement)) break;
    await ada.page.keyboard.press('Tab');
  }
  await expect(react).toBeFocused();
  // Tab goes to the skin tone button (issue 12), Tab again leaves the open picker, back on
  // React; Enter opens it again.
  await ada.page.keyboard.press('Enter');
  await expect(ada.page.getByTestId('emoji-search')).toBeFocused();
  await ada.page.keyboard.press('Tab');
  await expect(ada.page.getByTestId('emoji-tone-button')).toBeFocused();
  await ada.page.keyboard.press('Tab');
  await expect(ada.page.getByTestId('emoji-picker')).toHaveCount(0);
  await expect(react).toBeFocused();
  await ada.page.keyboard.press('Enter');
  await expect(ada.page.getByTestId('emoji-search')).toBeFocused();
  await ada.page.keyboard.press('ArrowDown');
  await ada.page.keyboard.press('Enter');
  await expect.poll(async () => (await chips(ada.page, text)).length).toBe(1);
  const [only] = await chips(ada.page, text);
  const emoji = (only ?? '').split(' ')[0] ?? '';
  const mine = chip(ada.page, text, emoji);
  await expect(mine).toHaveAttribute('data-mine', 'true');
  await mine.click();
  await expect.poll(() => chips(ada.page, text)).toEqual([]);

  // R on the focused message opens its picker; Esc closes it onto the row's React button.
  await message.focus();
  await ada.page.keyboard.press('r');
  await expect(ada.page.getByTestId('emoji-search')).toBeFocused();
  await ada.page.keyboard.press('Escape');
  await expect(ada.page.getByTestId('emoji-picker')).toHaveCount(0);
  await expect(react).toBeFocused();
  await message.focus();
  await ada.page.keyboard.press('r');
  await ada.page.keyboard.type('thanks');
  await ada.page.keyboard.press('Enter');
  await expect.poll(() => chips(ada.page, text)).toEqual(['🙏 1']);
  // In the composer an r is just a letter.
  await ada.page.getByTestId('composer').press('r');
  await expect(ada.page.getByTestId('composer')).toHaveValue('r');
  await expect(ada.page.getByTestId('emoji-picker')).toHaveCount(0);
  await ada.context.close();
});

test('announcement members react; archived shows the chips without toggling', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Notices', ['bo'], { announcement: true });
  const text = 'Office closed on Friday.';
  await send(ada.page, text);
  await openConversation(bo.page, 'Notices');
  // Bo may not post here, but he may react.
  await expect(bo.page.getByTestId('read-only-note')).toContainText('announcement');
  await reactWithPicker(bo.page, text, 'thanks');
  await expect.poll(() => chips(ada.page, text)).toEqual(['🙏 1']);
  await chip(ada.page, text, '🙏').click(); // Ada adds hers through the chip
  await expect.poll(() => chips(bo.page, text)).toEqual(['🙏 2']);
  await expect(chip(bo.page, text, '🙏')).toHaveAttribute('title', 'Bo, Ada reacted with 🙏');

  await ada.page.getByTestId('details-button').click();
  await ada.page.getByTestId('details-archive').click();
  for (const p of [ada.page, bo.page]) {
    await expect(p.getByTestId('read-only-note')).toContainText('archived');
    const row = messageWithText(p, text);
    await row.hover();
    await expect(row.getByTestId('message-react')).toHaveCount(0);
    await expect(row.getByTestId('reaction-add')).toHaveCount(0);
    // Shown, with who, but not a button any more.
    await expect(chip(p, text, '🙏')).toHaveAttribute('role', 'img');
    await expect(chip(p, text, '🙏')).toHaveAttribute('aria-label', 'Bo, Ada reacted with 🙏');
    await chip(p, text, '🙏').click();
    await expect.poll(() => chips(p, text)).toEqual(['🙏 2']);
  }
  await screenshot(bo.page, 'reactions-5-archived-bo');
  await ada.context.close();
  await bo.context.close();
});
