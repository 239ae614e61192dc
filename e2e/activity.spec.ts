// Activity, Threads and "Also send to channel" end to end (issue 12, package G): two people in
// two browser contexts, a real relay, the real renderer. Bo mentions Ada, replies in her thread
// and reacts to her message while she looks at another channel: her sidebar counts three, her
// Activity lists them newest first and each opens its message in context; Threads lists her
// thread with its unread reply and opens the thread panel. Bo's reply "also sent to the
// channel" shows once in the channel's timeline for both, naming its thread, and opens it.
import { expect, test, type Locator, type Page } from '@playwright/test';
import {
  createConversation,
  messageAction,
  messageWithText,
  openConversation,
  send,
} from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

/** A row of the main message list (not the thread panel) with this text. */
function row(page: Page, text: string): Locator {
  return page.getByTestId('message-list').locator(messageWithText(page, text));
}

async function both(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

test('B mentions A, replies in her thread and reacts: A’s Activity and Threads show them and open them in context; a reply also sent to the channel shows once for both', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Launch', ['bo']);
  const root = 'Plan for the launch week';
  const status = 'Status update is ready';
  await send(ada.page, root);
  await send(ada.page, status);
  const rootId = await row(ada.page, root).getAttribute('data-message-id');
  // Ada looks at another channel meanwhile.
  await createConversation(ada.page, 'Random', ['bo']);

  await openConversation(bo.page, 'Launch');
  await expect(row(bo.page, status)).toHaveCount(1);
  const mention = 'Please check the figures @ada today';
  await send(bo.page, mention);
  await messageAction(row(bo.page, root), 'message-thread');
  const boPanel = bo.page.getByTestId('thread-panel');
  await boPanel.getByTestId('composer').fill('Looks good to me');
  await boPanel.getByTestId('composer').press('Enter');
  await expect(boPanel.getByTestId('thread-reply')).toHaveCount(1);
  await messageAction(row(bo.page, status), 'message-react');
  await bo.page.keyboard.type('party');
  await bo.page.keyboard.press('Enter');
  await expect(row(bo.page, status).locator('[data-testid="reaction"]')).toHaveCount(1);

  // Ada: three unread on the sidebar entry, listed newest first.
  await expect(ada.page.getByTestId('activity-count')).toHaveText('3');
  await expect(ada.page.getByTestId('threads-count')).toHaveText('1');
  await ada.page.getByTestId('sidebar-activity').click();
  const items = ada.page.getByTestId('activity-item');
  await expect(items).toHaveCount(3);
  expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual([
    'reaction',
    'reply',
    'mention',
  ]);
  await expect(items.filter({ has: ada.page.getByTestId('activity-unread') })).toHaveCount(3);
  await expect(items.nth(0)).toContainText('Bo reacted 🎉 to your message');
  await expect(items.nth(0)).toContainText(status);
  await both(ada.page, 'activity-1-ada');

  // Threads: her thread, one unread reply.
  await ada.page.getByTestId('sidebar-threads').click();
  const followed = ada.page.getByTestId('followed-thread');
  await expect(followed).toHaveCount(1);
  await expect(followed).toHaveAttribute('data-root-id', rootId ?? '');
  await expect(followed).toHaveAttribute('data-unread', '1');
  await expect(followed).toContainText(root);
  await expect(followed).toContainText('Looks good to me');
  await both(ada.page, 'activity-2-ada-threads');

  // Opening the mention goes to it in the channel (scrolled to, flashed) and reads it.
  await ada.page.getByTestId('sidebar-activity').click();
  await items.filter({ hasText: 'mentioned you' }).click();
  await expect(ada.page.getByTestId('conversation-title')).toHaveText('Launch');
  await expect(row(ada.page, mention)).toHaveClass(/search-found/);
  await expect(row(ada.page, mention)).toBeInViewport();
  // Reading the channel read the mention and the reply (the reaction stays new).
  await expect(ada.page.getByTestId('activity-count')).toHaveText('1');
  await ada.page.getByTestId('sidebar-activity').click();
  await expect(items.filter({ hasText: 'mentioned you' })).toHaveAttribute('data-unread', 'false');

  // Opening the thread from Threads opens the thread panel on it.
  await ada.page.getByTestId('sidebar-threads').click();
  await followed.click();
  const adaPanel = ada.page.getByTestId('thread-panel');
  await expect(adaPanel).toHaveAttribute('data-root-id', rootId ?? '');
  await expect(adaPanel.getByTestId('thread-follow')).toHaveText('Unfollow');
  await expect(ada.page.getByTestId('threads-count')).toHaveCount(0);

  // Bo replies and also sends it to the channel: one message, in the thread and the timeline.
  const loud = 'Shipping Friday, all set';
  await boPanel.getByTestId('also-send').check();
  await boPanel.getByTestId('composer').fill(loud);
  await boPanel.getByTestId('composer').press('Enter');
  await expect(boPanel.getByTestId('thread-reply')).toHaveCount(2);
  await expect(boPanel.getByTestId('also-send')).not.toBeChecked();
  for (const p of [ada.page, bo.page]) {
    const r = row(p, loud);
    await expect(r).toHaveCount(1);
    await expect(r.getByTestId('broadcast-note')).toContainText(
      `replied to a thread: Ada: ${root}`,
    );
    await expect(p.getByTestId('thread-panel').getByTestId('broadcast-mark')).toHaveText(
      'Also sent to the channel',
    );
  }
  await expect(row(ada.page, root).getByTestId('thread-summary')).toHaveAttribute(
    'data-count',
    '2',
  );
  await adaPanel.getByTestId('thread-close').click();
  await expect(adaPanel).toHaveCount(0);
  await both(ada.page, 'activity-3-ada-also-sent');
  await row(ada.page, loud).getByTestId('broadcast-note').click();
  await expect(adaPanel).toHaveAttribute('data-root-id', rootId ?? '');
  await both(ada.page, 'activity-4-ada-also-sent-thread');

  // Unfollow takes the thread out of Threads.
  await adaPanel.getByTestId('thread-follow').click();
  await expect(adaPanel.getByTestId('thread-follow')).toHaveText('Follow');
  await ada.page.getByTestId('sidebar-threads').click();
  await expect(ada.page.getByTestId('threads-empty')).toBeVisible();
});
