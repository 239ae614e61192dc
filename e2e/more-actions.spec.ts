// The wide message toolbar keeps the everyday actions as icons and puts the less used ones
// (Save, Mark unread, Remind me, Copy link, Forward) behind "⋯ More actions" (issue 12): the
// menu opens by pointer and keyboard, ↑/↓ and Tab move in it, Escape hands the focus back to
// "⋯", and it closes on a choice, on Tab past it and when the pointer leaves. A real relay, the
// real renderer; screenshots light and dark.
import { expect, test, type Page } from '@playwright/test';
import { createConversation, messageWithText, send } from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { person } = useWorld();

async function themes(page: Page, name: string) {
  await screenshot(page, name);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() =>
    Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
  );
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.evaluate(() =>
    Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
  );
}

test('"⋯ More actions" holds the less used actions, by pointer and by keyboard', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const page = ada.page;
  await createConversation(page, 'Harbour');
  await send(page, 'The ferry leaves at seven from pier 4.');
  await send(page, 'Bring the manifest.');
  const row = messageWithText(page, 'The ferry leaves at seven from pier 4.');
  const more = row.getByTestId('message-more-wide');

  // Under the pointer: six icons and "⋯"; the five others wait in the menu.
  await row.hover();
  for (const id of ['quote', 'react', 'pin', 'edit', 'delete']) {
    await expect(row.getByTestId(`message-${id}`)).toBeVisible();
  }
  await expect(more).toBeVisible();
  for (const id of ['save', 'unread', 'remind', 'link', 'forward']) {
    await expect(row.getByTestId(`message-${id}`)).toBeHidden();
  }
  await themes(page, 'more-actions-1-toolbar');

  await more.click();
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  await expect(row.getByTestId('message-save')).toBeFocused();
  await expect(row.getByTestId('message-forward')).toBeVisible();
  // The menu stays inside the list.
  const menu = await row.getByTestId('message-forward').boundingBox();
  const list = await page.getByTestId('message-list').boundingBox();
  expect(menu && list && menu.y + menu.height <= list.y + list.height).toBe(true);
  await themes(page, 'more-actions-2-menu');

  // ↓ moves, ↑ wraps to the last; Escape closes it, the focus back on "⋯".
  await page.keyboard.press('ArrowDown');
  await expect(row.getByTestId('message-unread')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await expect(row.getByTestId('message-forward')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(more).toBeFocused();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(row.getByTestId('message-save')).toBeHidden();

  // A choice runs and closes it, the focus back on "⋯".
  await row.hover();
  await more.click();
  await row.getByTestId('message-save').click();
  await expect(row.getByTestId('saved-mark')).toHaveText(/Saved/);
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(more).toBeFocused();

  // The pointer leaving it closes it.
  await more.click();
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  await page.getByTestId('composer').hover();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(row.getByTestId('message-save')).toBeHidden();

  // By the keyboard from the row: Tab reaches "⋯" after the icons.
  await page.getByTestId('message-list').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await expect(row).toBeFocused();
  for (let i = 0; i < 8 && !(await more.evaluate((b) => b === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(more).toBeFocused();
  // Enter opens it on its first action; Tab goes through it and on to Delete, closing it.
  await page.keyboard.press('Enter');
  await expect(row.getByTestId('message-save')).toBeFocused();
  await expect(row.getByTestId('message-save')).toHaveAccessibleName('Remove from Saved');
  for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
  await expect(row.getByTestId('message-delete')).toBeFocused();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(row.getByTestId('message-save')).toBeHidden();
  await ada.context.close();
});
