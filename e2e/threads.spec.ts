// Threads and quote replies end to end (issue 5, docs/messaging.md "Threads", "Quote replies"):
// two people in two browser contexts, a real relay, the real renderer. Ada's relay connection
// is cut for real (NetworkSwitch) while she replies in a thread and quotes a message with the
// keyboard; Bo replies online. After she reconnects both see the same thread, counts and
// quote; the quote follows an edit and a deletion of the quoted message.
import { expect, test, type Locator, type Page } from '@playwright/test';
import {
  createConversation,
  edit,
  messageAction,
  openConversation,
  remove,
  send,
  syncState,
} from './fixtures/app';
import { notifications, recordNotifications } from './fixtures/notifications';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

const pattern = (text: string) =>
  new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`);

/** A row of the main message list (not the thread panel) whose text starts with `text`. */
function row(page: Page, text: string): Locator {
  return page
    .getByTestId('message-list')
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-text').filter({ hasText: pattern(text) }) });
}

/** The replies shown in the open thread panel, in order (text only, marks left out). */
async function replies(page: Page): Promise<string[]> {
  return page
    .getByTestId('thread-panel')
    .getByTestId('thread-reply')
    .evaluateAll((els) =>
      els.map((el) => {
        const t = el.querySelector('[data-testid="message-markdown"]');
        return t?.textContent?.trim() ?? '<deleted>';
      }),
    );
}

test('A offline replies in a thread and quotes; B replies; both see the same thread, counts and quote', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Night ops', ['bo']);
  await openConversation(bo.page, 'Night ops');
  const root = 'Who takes the night shift on Friday?';
  const quoted = 'Generator check at 22:00';
  await send(bo.page, root);
  await send(bo.page, quoted);
  await expect(row(ada.page, quoted)).toHaveCount(1);

  // Ada goes offline and works with the keyboard only.
  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  await ada.page.getByTestId('message-list').focus();
  await ada.page.keyboard.press('ArrowUp'); // the newest message
  await ada.page.keyboard.press('ArrowUp'); // the root
  await expect(row(ada.page, root)).toBeFocused();
  await ada.page.keyboard.press('t');
  const adaPanel = ada.page.getByTestId('thread-panel');
  await expect(adaPanel).toBeVisible();
  await expect(adaPanel.getByTestId('composer')).toBeFocused();
  await ada.page.keyboard.type('I can take it, back by 06:00');
  await ada.page.keyboard.press('Enter');
  await expect.poll(() => replies(ada.page)).toEqual(['I can take it, back by 06:00']);
  await expect(row(ada.page, root).getByTestId('thread-summary')).toHaveAttribute(
    'data-count',
    '1',
  );
  await screenshot(ada.page, 'threads-1-ada-offline-thread');
  await ada.page.keyboard.press('Escape');
  await expect(adaPanel).toHaveCount(0);
  await expect(row(ada.page, root)).toBeFocused();
  // Replies stay out of the main list.
  await expect(row(ada.page, 'I can take it')).toHaveCount(0);

  // Quote: down to the generator message, q, type, Enter.
  await ada.page.keyboard.press('ArrowDown');
  await expect(row(ada.page, quoted)).toBeFocused();
  await ada.page.keyboard.press('q');
  const chip = ada.page.getByTestId('quote-chip');
  await expect(chip).toBeVisible();
  await expect(chip.getByTestId('quote-text')).toHaveText(quoted);
  await expect(ada.page.getByTestId('composer')).toBeFocused();
  await ada.page.keyboard.type('Checked the fuel already');
  await screenshot(ada.page, 'threads-2-ada-quote-chip');
  await ada.page.keyboard.press('Enter');
  await expect(chip).toHaveCount(0);
  const quoting = row(ada.page, 'Checked the fuel already');
  await expect(quoting.getByTestId('quote-block')).toHaveAttribute('data-state', 'found');
  await expect(quoting.getByTestId('quote-author')).toHaveText('Bo');

  // Meanwhile Bo, online, replies in the thread with the toolbar button.
  await messageAction(row(bo.page, root), 'message-thread');
  const boPanel = bo.page.getByTestId('thread-panel');
  await expect(boPanel).toBeVisible();
  await boPanel.getByTestId('composer').fill('Saturday is mine then');
  await boPanel.getByTestId('composer').press('Enter');
  await expect.poll(() => replies(bo.page)).toEqual(['Saturday is mine then']);

  // Ada reconnects: both see two replies, the same order, the same summary and the quote.
  await ada.net.on();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'synced');
  for (const p of [ada.page, bo.page]) {
    const summary = row(p, root).getByTestId('thread-summary');
    await expect(summary).toHaveAttribute('data-count', '2');
    await expect(summary).toContainText('2 replies');
    await expect(summary.locator('.avatar')).toHaveCount(2);
  }
  await expect
    .poll(() => replies(bo.page))
    .toEqual(['I can take it, back by 06:00', 'Saturday is mine then']);
  await row(ada.page, root).getByTestId('thread-summary').click();
  await expect
    .poll(() => replies(ada.page))
    .toEqual(['I can take it, back by 06:00', 'Saturday is mine then']);
  // Keyboard in the thread: ↓ from the root to Ada's reply, E edits it, Enter saves; Bo sees it.
  await adaPanel.getByTestId('thread-messages').focus();
  await ada.page.keyboard.press('ArrowDown'); // the root
  await ada.page.keyboard.press('ArrowDown'); // her reply
  await expect(
    adaPanel.getByTestId('message').filter({ hasText: 'I can take it, back by 06:00' }),
  ).toBeFocused();
  await ada.page.keyboard.press('e');
  await adaPanel.getByTestId('edit-input').fill('I can take it, back by 07:00');
  await ada.page.keyboard.press('Enter');
  await expect
    .poll(() => replies(bo.page))
    .toEqual(['I can take it, back by 07:00', 'Saturday is mine then']);
  const boQuote = row(bo.page, 'Checked the fuel already').getByTestId('quote-block');
  await expect(boQuote).toHaveAttribute('data-state', 'found');
  await expect(boQuote.getByTestId('quote-text')).toHaveText(quoted);
  await screenshot(bo.page, 'threads-3-bo-merged');
  await screenshot(ada.page, 'threads-4-ada-merged');

  // The root is edited in place in the thread panel too (Bo wrote it); Ada sees the edit.
  const boPanelRoot = boPanel.getByTestId('thread-root').getByTestId('message');
  await boPanelRoot.hover();
  // The panel is narrow: the row's actions are behind its "⋯" button.
  await boPanelRoot.getByTestId('message-more').click();
  await boPanelRoot.getByTestId('message-edit').click();
  await boPanel.getByTestId('edit-input').fill(`${root} (22 to 06)`);
  await boPanel.getByTestId('edit-input').press('Enter');
  await expect(boPanel.getByTestId('edit-input')).toHaveCount(0);
  await expect(row(ada.page, `${root} (22 to 06)`)).toHaveCount(1);

  // The quote shows the quoted message as it is now: edited, then deleted.
  await bo.page.getByTestId('thread-close').click();
  await edit(bo.page, quoted, 'Generator check at 23:00');
  const adaQuote = row(ada.page, 'Checked the fuel already').getByTestId('quote-block');
  await expect(adaQuote.getByTestId('quote-text')).toHaveText('Generator check at 23:00');
  await remove(bo.page, 'Generator check at 23:00');
  await expect(adaQuote).toHaveAttribute('data-state', 'deleted');
  await expect(adaQuote.getByTestId('quote-text')).toHaveText('Original message deleted');
  await screenshot(ada.page, 'threads-5-ada-quote-deleted');

  // Clicking a live quote shows the quoted message: Bo quotes the root and follows it.
  await messageAction(row(bo.page, root), 'message-quote');
  await bo.page.getByTestId('composer').fill('Friday confirmed');
  await bo.page.getByTestId('composer').press('Enter');
  await row(bo.page, 'Friday confirmed').getByTestId('quote-block').click();
  await expect(row(bo.page, root)).toBeFocused();

  // A search hit on a reply opens its thread with the reply focused.
  await ada.page.getByTestId('thread-close').click();
  await ada.page.keyboard.press('Control+Shift+F');
  await ada.page.getByTestId('search-input').fill('Saturday');
  await expect(ada.page.getByTestId('search-hit')).toHaveCount(1);
  await ada.page.getByTestId('search-input').press('Enter');
  const found = ada.page
    .getByTestId('thread-panel')
    .getByTestId('message')
    .filter({ hasText: 'Saturday is mine then' });
  await expect(found).toBeFocused();
});

/** Bo replies in the thread of his row `root` through the toolbar and the panel's composer. */
async function replyIn(page: Page, root: string, text: string): Promise<void> {
  await messageAction(row(page, root), 'message-thread');
  const panel = page.getByTestId('thread-panel');
  await panel.getByTestId('composer').fill(text);
  await panel.getByTestId('composer').press('Enter');
  await expect(panel.getByTestId('thread-reply').filter({ hasText: text })).toHaveCount(1);
  await panel.getByTestId('thread-close').click();
}

test("a reply notifies the root's author in a channel (mentions-only default); a reply in someone else's thread does not", async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada', {
    prepare: recordNotifications,
  });
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Other', ['bo']);
  await createConversation(ada.page, 'Crew', ['bo']);
  await send(ada.page, 'Can someone check the bilge pump?');
  await openConversation(bo.page, 'Crew');
  await send(bo.page, 'Fuel order is in');
  await expect(row(ada.page, 'Fuel order is in')).toHaveCount(1);
  // Ada looks at another conversation.
  await openConversation(ada.page, 'Other');
  const crew = ada.page.getByTestId('conversation-item').filter({ hasText: 'Crew' });

  await replyIn(bo.page, 'Fuel order is in', 'Arrives Monday');
  await expect(crew.getByTestId('unread-badge')).toHaveText('1');
  expect(await notifications(ada.page)).toEqual([]);

  await replyIn(bo.page, 'Can someone check the bilge pump?', 'On it after lunch');
  await expect(crew.getByTestId('unread-badge')).toHaveText('2');
  await expect
    .poll(() => notifications(ada.page))
    .toEqual([{ title: 'Crew: a reply in your thread', body: 'Bo: On it after lunch' }]);
});
