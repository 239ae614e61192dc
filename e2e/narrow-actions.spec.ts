// In a narrow column (the thread panel) a message's toolbar is a "⋯" button beside its name and
// time, not over them; it opens the same actions as a menu, by keyboard too. A real relay, the
// real renderer.
import { expect, test } from '@playwright/test';
import { createConversation, send } from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

test('thread panel: the "⋯" menu leaves the time visible and works by keyboard', async ({
  browser,
}) => {
  const eve = await person(browser, 'Eve');
  const page = eve.page;
  await createConversation(page, 'Ops');
  await send(page, 'Deploy at noon?');
  await page.getByTestId('message-list').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('t');
  const panel = page.getByTestId('thread-panel');
  await expect(panel.getByTestId('composer')).toBeFocused();
  await page.keyboard.type('Noon works.');
  await page.keyboard.press('Enter');
  const reply = panel.getByTestId('message').filter({ hasText: 'Noon works.' });
  await expect(reply).toHaveCount(1);

  // Under the pointer: only "⋯" shows, and it does not cover the time.
  await reply.hover();
  const more = reply.getByTestId('message-more');
  await expect(more).toBeVisible();
  await expect(reply.getByTestId('message-edit')).toBeHidden();
  const moreBox = await more.boundingBox();
  const timeBox = await reply.locator('.meta time').boundingBox();
  expect(moreBox && timeBox && moreBox.x >= timeBox.x + timeBox.width).toBe(true);

  // Keyboard: ↓ to the root, ↓ to the reply, Tab past the name to "⋯", Enter opens it on its first action.
  await panel.getByTestId('thread-messages').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(reply).toBeFocused();
  await page.keyboard.press('Tab'); // the author's name (their profile card)
  await expect(reply.getByTestId('message-author')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(more).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  await expect(reply.getByTestId('message-quote')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(reply.getByTestId('message-react')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp'); // wraps to the last: Delete
  await expect(reply.getByTestId('message-delete')).toBeFocused();
  // Escape closes the menu only: the focus is back on "⋯", the panel stays.
  await page.keyboard.press('Escape');
  await expect(more).toBeFocused();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(panel).toBeVisible();
  // Enter, ↓ ↓ ↓ to Edit, Enter: the reply's editor; the menu is gone.
  await page.keyboard.press('Enter');
  await expect(reply.getByTestId('message-quote')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(reply.getByTestId('message-edit')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel.getByTestId('edit-input')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(panel.getByTestId('edit-input')).toHaveCount(0);
  await expect(reply.getByTestId('message-edit')).toBeHidden();

  // A follow-on reply has no name line: "⋯" sits in its row's corner, which its text leaves
  // free, so it never covers the end of the first line.
  await panel.getByTestId('composer').focus();
  await page.keyboard.type(
    'And the rollback plan is the usual one: tag, revert, watch the graphs for ten minutes.',
  );
  await page.keyboard.press('Enter');
  const next = panel.getByTestId('message').filter({ hasText: 'rollback plan' });
  await expect(next).toHaveCount(1);
  await expect(next.getByTestId('message-author')).toHaveCount(0);
  await next.hover();
  const nextMore = next.getByTestId('message-more');
  await expect(nextMore).toBeVisible();
  const nextMoreBox = await nextMore.boundingBox();
  const textBox = await next.getByTestId('message-text').boundingBox();
  expect(nextMoreBox && textBox && textBox.x + textBox.width <= nextMoreBox.x + 0.5).toBe(true);
  await screenshot(page, 'narrow-actions-follow-on');
  await eve.context.close();
});
