// Pins survive leaving a conversation and coming back (issue 12, defect 1): two people, a real
// relay. Both switch to another conversation and back, several times: the "Pinned N" button and
// the pinned tint are there each time. Then the relay is stopped for real and Ada reloads: the
// pins are there at once from this device's copy.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageAction,
  messageWithText,
  openConversation,
  reopen,
  send,
} from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person, relay, app } = useWorld();

async function expectPinned(page: Page, text: string, count: number): Promise<void> {
  await expect(page.getByTestId('pinned-count')).toHaveText(String(count));
  await expect(messageWithText(page, text)).toHaveAttribute('data-pinned', 'true');
  await expect(messageWithText(page, text).getByTestId('pin-mark')).toBeVisible();
}

test('pins stay after switching conversations back and forth, and after an offline reload', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Pin harbour', ['bo']);
  await send(ada.page, 'Tide tables are in the shed');
  await send(ada.page, 'Boat keys hang by the door');
  await createConversation(ada.page, 'Elsewhere', ['bo']);
  await send(ada.page, 'Nothing pinned here');
  await openConversation(ada.page, 'Pin harbour');
  const row = messageWithText(ada.page, 'Tide tables are in the shed');
  await messageAction(row, 'message-pin');
  await openConversation(bo.page, 'Pin harbour');
  for (const p of [ada.page, bo.page]) await expectPinned(p, 'Tide tables are in the shed', 1);

  for (let round = 0; round < 3; round++) {
    for (const p of [ada.page, bo.page]) {
      await openConversation(p, 'Elsewhere');
      await expect(messageWithText(p, 'Nothing pinned here')).toHaveCount(1);
      await expect(p.getByTestId('pinned-button')).toHaveCount(0);
      await openConversation(p, 'Pin harbour');
      await expect(messageWithText(p, 'Boat keys hang by the door')).toHaveCount(1);
      await expectPinned(p, 'Tide tables are in the shed', 1);
    }
  }
  await screenshot(bo.page, 'pins-switch-1-bo-back');

  // Offline for real: the relay stops; Ada reloads from this device's copy.
  await relay.stop();
  await ada.page.reload();
  await reopen(ada.page, app.url, 'Pin harbour');
  await expect(messageWithText(ada.page, 'Boat keys hang by the door')).toHaveCount(1);
  await expectPinned(ada.page, 'Tide tables are in the shed', 1);
  await openConversation(ada.page, 'Elsewhere');
  await openConversation(ada.page, 'Pin harbour');
  await expectPinned(ada.page, 'Tide tables are in the shed', 1);
  await screenshot(ada.page, 'pins-switch-2-ada-offline-reload');
  await ada.context.close();
  await bo.context.close();
});
