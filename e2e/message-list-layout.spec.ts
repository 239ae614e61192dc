// The message list's layout with two people (issue 12, defects 5 and 7), measured in real
// Chromium: the first message under the "New messages" divider starts a group of its own (name
// and avatar); nothing floating covers text: the hover toolbar of the next row vs "Seen by",
// the "Jump to latest" pill vs the last message, "Seen by" inside the pane, its right edge not
// past the composer's.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { createConversation, messageWithText, openConversation, send } from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

type Box = { x: number; y: number; width: number; height: number };

async function box(l: Locator): Promise<Box> {
  const b = await l.boundingBox();
  if (!b) throw new Error('not rendered');
  return b;
}

function intersection(a: Box, b: Box): Box | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

/** The composer's visible box (the bordered field around the textarea). */
function composerBox(page: Page): Locator {
  return page.locator('.composer', { has: page.getByTestId('composer') });
}

test('the divider starts a group; toolbar, pill and "Seen by" cover no text', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Layout', ['bo']);
  await send(ada.page, 'Before Bo left');
  await openConversation(bo.page, 'Layout');
  await expect(messageWithText(bo.page, 'Before Bo left')).toHaveCount(1);

  // Defect 5: Bo is elsewhere while Ada goes on in the same run (same author, a minute).
  await createConversation(bo.page, 'Elsewhere', []);
  await send(ada.page, 'First unread for Bo');
  await send(ada.page, 'Second unread for Bo');
  const item = bo.page.getByTestId('conversation-item').filter({ hasText: 'Layout' });
  await expect(item).toHaveAttribute('data-unread', '2');
  await openConversation(bo.page, 'Layout');
  const firstUnread = messageWithText(bo.page, 'First unread for Bo');
  await expect(bo.page.getByTestId('new-divider')).toBeVisible();
  await expect(firstUnread.getByTestId('message-author')).toHaveText('Ada');
  await expect(firstUnread.getByTestId('message-avatar')).toBeVisible();
  await expect(
    messageWithText(bo.page, 'Second unread for Bo').getByTestId('message-author'),
  ).toHaveCount(0);
  const divider = await box(bo.page.getByTestId('new-divider'));
  expect((await box(firstUnread)).y).toBeGreaterThanOrEqual(divider.y + divider.height - 1);
  await screenshot(bo.page, 'layout-1-bo-divider-group');

  // Defect 7: Bo has it open at the bottom, so Ada's newest message says "Seen by Bo"; Bo
  // answers, so a row follows it whose hover toolbar rises towards it.
  const seen = ada.page.getByTestId('seen-by');
  await expect(seen).toHaveText('Seen by Bo');
  await send(bo.page, 'Bo answers below the seen line');
  const below = messageWithText(ada.page, 'Bo answers below the seen line');
  await expect(below).toHaveCount(1);
  await expect(seen).toHaveText('Seen by Bo');
  await below.hover();
  const toolbar = below.getByRole('toolbar', { name: 'Message actions' });
  await expect(toolbar).toBeVisible();
  await expect
    .poll(async () => Number(await toolbar.evaluate((e) => getComputedStyle(e).opacity)))
    .toBe(1);
  expect(intersection(await box(toolbar), await box(seen)), 'toolbar covers "Seen by"').toBeNull();
  // "Seen by" inside the list, and its right edge not past the composer's.
  const seenBox = await box(seen);
  const listBox = await box(ada.page.getByTestId('message-list'));
  const composer = await box(composerBox(ada.page));
  expect(seenBox.x).toBeGreaterThanOrEqual(listBox.x);
  expect(seenBox.x + seenBox.width).toBeLessThanOrEqual(listBox.x + listBox.width);
  expect(seenBox.x + seenBox.width).toBeLessThanOrEqual(composer.x + composer.width + 0.5);
  await screenshot(ada.page, 'layout-2-ada-toolbar-and-seen-by');

  // The pill: enough to scroll, then Ada a little above the bottom (the last message still in
  // sight): the pill shows and covers none of what is visible of it.
  const lines = Array.from({ length: 8 }, (_, i) => `line ${i + 1}`).join('\n');
  for (let i = 1; i <= 5; i++) {
    const composerField = ada.page.getByTestId('composer');
    await composerField.fill(`Long note ${i}\n${lines}`);
    await composerField.press('Enter');
    await expect(composerField).toHaveValue('');
  }
  const last = ada.page.getByTestId('message').filter({ hasText: 'Long note 5' });
  await expect(last).toHaveCount(1);
  const list = ada.page.getByTestId('message-list');
  await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight - el.clientHeight - 80 }));
  const pill = ada.page.getByTestId('jump-to-latest');
  await expect(pill).toBeVisible();
  const visible = intersection(await box(last), await box(list));
  expect(visible, 'the last message is in sight').not.toBeNull();
  expect(intersection(await box(pill), visible as Box), 'pill covers the last message').toBeNull();
  await screenshot(ada.page, 'layout-3-ada-jump-pill');
  await pill.click();
  await expect(pill).toHaveCount(0);
  await Promise.all([ada.context.close(), bo.context.close()]);
});
