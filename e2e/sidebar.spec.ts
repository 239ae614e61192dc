// The sidebar holds still under the pointer (renderer/src/ui/lib/still-order.ts): two people,
// a real relay, the real renderer. Bo points at a channel low in his list while Ada writes in
// the one below it; without the hold that one would jump to the top and Bo's channel move down
// under his pointer. It stays where it is (the written one shows its new preview in place);
// once his pointer leaves the list it re-sorts by activity; a click while held opens what is
// under the pointer. Then keyboard focus in the list (Tab) holds it the same way; Alt+↓ walks
// the order as shown.
import { expect, test, type Page } from '@playwright/test';
import { createConversation, messageWithText, openConversation, send } from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

/** The channel titles as Bo's list shows them, top to bottom. */
const shownTitles = (page: Page) =>
  page
    .getByTestId('section-channels')
    .getByTestId('conversation-item')
    .locator('.title')
    .evaluateAll((els) => els.map((el) => el.firstChild?.textContent?.trim() ?? ''));

test('the list keeps its order under the pointer and re-sorts when the pointer leaves', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  for (const title of ['Alpha', 'Beta', 'Gamma', 'Delta']) {
    await createConversation(ada.page, title, ['bo']);
    await send(ada.page, `Hello from ${title}`);
  }
  const items = bo.page.getByTestId('section-channels').getByTestId('conversation-item');
  await expect(items).toHaveCount(4);
  for (const title of ['Alpha', 'Beta', 'Gamma', 'Delta']) {
    await expect(items.filter({ hasText: `Ada: Hello from ${title}` })).toHaveCount(1);
  }

  // Bo points at the third channel; Ada writes in the fourth, which would go to the top.
  await items.nth(2).hover();
  const order = await shownTitles(bo.page);
  const [hovered, written] = [order[2] ?? '', order[3] ?? ''];
  const item = (title: string) => items.filter({ hasText: title });
  await openConversation(ada.page, written);
  await send(ada.page, `${written} moves up`);
  await expect(item(written)).toContainText(`Ada: ${written} moves up`);
  expect(await shownTitles(bo.page)).toEqual(order);
  await screenshot(bo.page, 'sidebar-1-held-under-pointer');

  // The pointer leaves the list: the pending re-sort applies.
  await bo.page.getByTestId('conversation-title').hover();
  await expect.poll(async () => (await shownTitles(bo.page))[0]).toBe(written);
  await screenshot(bo.page, 'sidebar-2-resorted-after-leave');

  // Back over the list, a click opens what is under the pointer while Ada keeps writing.
  await item(hovered).hover();
  await send(ada.page, `${written} again`);
  await expect(item(written)).toContainText(`Ada: ${written} again`);
  await item(hovered).click();
  await expect(bo.page.getByTestId('conversation-title')).toHaveText(hovered);
  await expect(messageWithText(bo.page, `Hello from ${hovered}`)).toHaveCount(1);
});

test('keyboard focus in the list holds it too; Alt+↓ opens the next as shown and re-sorts', async ({
  browser,
}) => {
  const cy = await person(browser, 'Cy');
  const dee = await person(browser, 'Dee');
  for (const title of ['One', 'Two', 'Three']) {
    await createConversation(cy.page, title, ['dee']);
    await send(cy.page, `Hello from ${title}`);
  }
  const items = dee.page.getByTestId('section-channels').getByTestId('conversation-item');
  await expect(items).toHaveCount(3);
  for (const title of ['One', 'Two', 'Three']) {
    await expect(items.filter({ hasText: `Cy: Hello from ${title}` })).toHaveCount(1);
  }

  // The pointer is away; Tab from "Jump to…" goes into the list.
  await dee.page.getByTestId('conversation-title').hover();
  await dee.page.getByTestId('open-switcher').focus();
  await dee.page.keyboard.press('Tab');
  await expect(dee.page.getByTestId('conversation-list').locator(':focus-visible')).toHaveCount(1);
  const order = await shownTitles(dee.page);
  const written = order[2] ?? '';
  await openConversation(cy.page, written);
  await send(cy.page, `${written} moves up`);
  await expect(items.filter({ hasText: `Cy: ${written} moves up` })).toHaveCount(1);
  expect(await shownTitles(dee.page)).toEqual(order);

  // Alt+↓ walks the order as shown, then the list takes its fresh order (at once, and the
  // focus goes to the composer anyway): the written channel is no longer last.
  const open = (await dee.page.getByTestId('conversation-title').textContent())?.trim() ?? '';
  const next = order[(order.indexOf(open) + 1) % order.length] ?? '';
  await dee.page.keyboard.press('Alt+ArrowDown');
  await expect(dee.page.getByTestId('conversation-title')).toHaveText(next);
  await expect.poll(async () => (await shownTitles(dee.page)).indexOf(written)).toBeLessThan(2);
});
