// Personal state end to end (issue 12, D; docs/messaging.md "Personal state"): Ada on two
// devices (two browser contexts signed in as her) and Bo, a real relay, the real renderer.
// A save made offline survives a reload and reaches her other device after reconnecting; "Mark
// unread" brings the badge back (on both her devices) and the divider when she opens it again,
// which clears it; a reminder set through the custom time fires a notification a few seconds
// later and shows under Reminders on both devices, where Done on one finishes it on the other;
// a draft shows a pencil in the sidebar and under Drafts. Screenshots light and dark.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageAction,
  messageWithText,
  openConversation,
  send,
  syncState,
} from './fixtures/app';
import { notifications, recordNotifications } from './fixtures/notifications';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { person, app } = useWorld({ prepare: recordNotifications });

function item(page: Page, title: string) {
  return page.getByTestId('conversation-item').filter({ hasText: title });
}

async function act(page: Page, text: string, action: string): Promise<void> {
  await messageAction(messageWithText(page, text), `message-${action}`);
}

async function shots(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

const manifest = 'The manifest is in the shared folder, sections A to D';
const departure = 'Ferry leaves at 7:40 from pier 3';
const weather = 'Forecast says calm seas until Thursday';

test('a save made offline survives a reload and reaches my other device', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Harbour', ['bo']);
  await openConversation(bo.page, 'Harbour');
  await send(bo.page, departure);
  await expect(messageWithText(ada.page, departure)).toHaveCount(1);
  const phone = await person(browser, 'Ada');

  // Offline: the save is on this device at once, and still there after a reload.
  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  await act(ada.page, departure, 'save');
  await expect(messageWithText(ada.page, departure).getByTestId('saved-mark')).toHaveText(/Saved/);
  await ada.net.load(ada.page, app.url);
  await openConversation(ada.page, 'Harbour');
  await expect(messageWithText(ada.page, departure)).toHaveAttribute('data-saved', 'true');
  await ada.page.getByTestId('sidebar-saved').click();
  await expect(ada.page.getByTestId('saved-item')).toHaveCount(1);
  await expect(ada.page.getByTestId('saved-text')).toHaveText(departure);

  // Back online: her phone gets it.
  await ada.net.on();
  await phone.page.getByTestId('sidebar-saved').click();
  await expect(phone.page.getByTestId('saved-item')).toHaveCount(1);
  await expect(phone.page.getByTestId('saved-text')).toHaveText(departure);
  await shots(phone.page, 'personal-saved');
  // Opening it shows the message in its conversation.
  await phone.page.getByTestId('saved-item').getByTitle('Show in conversation').click();
  await expect(phone.page.getByTestId('conversation-title')).toHaveText('Harbour');
  await expect(messageWithText(phone.page, departure)).toHaveAttribute('data-saved', 'true');
});

test('mark unread brings the badge back on both devices; opening it again shows the divider and clears it', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Quay', ['bo']);
  await createConversation(ada.page, 'Bridge', ['bo']);
  await openConversation(bo.page, 'Quay');
  for (const t of [manifest, departure, weather]) await send(bo.page, t);
  const phone = await person(browser, 'Ada');
  await openConversation(phone.page, 'Bridge');
  await openConversation(ada.page, 'Quay');
  await expect(messageWithText(ada.page, weather)).toHaveCount(1);
  await expect(item(phone.page, 'Quay')).toHaveAttribute('data-unread', '0');
  // Mark unread from the departure: two messages from there on; the badge comes back on both.
  await expect(item(ada.page, 'Quay')).toHaveAttribute('data-unread', '0');
  await act(ada.page, departure, 'unread');
  await expect(item(ada.page, 'Quay')).toHaveAttribute('data-unread', '2');
  await expect(item(phone.page, 'Quay')).toHaveAttribute('data-unread', '2');
  // Reading it again (opening it) puts the divider above it and clears the mark everywhere.
  await openConversation(ada.page, 'Bridge');
  await openConversation(ada.page, 'Quay');
  const divider = ada.page.getByTestId('new-divider');
  await expect(divider).toBeVisible();
  // Between the manifest (read) and the departure (the first unread again).
  const y = async (l: ReturnType<Page['getByTestId']>) => (await l.boundingBox())?.y ?? NaN;
  const dividerY = await y(divider);
  expect(dividerY).toBeGreaterThan(await y(messageWithText(ada.page, manifest)));
  expect(dividerY).toBeLessThan(await y(messageWithText(ada.page, departure)));
  await expect(item(ada.page, 'Quay')).toHaveAttribute('data-unread', '0');
  await expect(item(phone.page, 'Quay')).toHaveAttribute('data-unread', '0');
});

test('a reminder fires at the custom time, shows on both devices, and Done on one finishes it on the other', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(bo.page, 'Galley', ['ada']);
  await send(bo.page, manifest);
  await send(bo.page, weather);
  await openConversation(ada.page, 'Galley');
  const phone = await person(browser, 'Ada');

  // A custom time six seconds ahead, to the second (the dialog's date-and-time field).
  await act(ada.page, manifest, 'remind');
  await expect(ada.page.getByTestId('remind-dialog')).toBeVisible();
  await shots(ada.page, 'personal-remind-dialog');
  const at = await ada.page.evaluate(() => {
    const d = new Date(Date.now() + 6000);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  });
  await ada.page.getByTestId('remind-custom').fill(at);
  await ada.page.getByTestId('remind-set').click();
  await expect(ada.page.getByTestId('remind-dialog')).toBeHidden();
  await expect(messageWithText(ada.page, manifest).getByTestId('saved-mark')).toHaveText(
    /Reminder/,
  );
  await act(ada.page, manifest, 'save');
  await expect(messageWithText(ada.page, manifest).getByTestId('saved-mark')).toHaveText(
    /Saved\s*·\s*Reminder/,
  );
  await messageWithText(ada.page, manifest).hover();
  await shots(ada.page, 'personal-message-marks');

  // It fires (a real notification with the message's words) and counts as due in the sidebar.
  await expect
    .poll(
      async () => (await notifications(ada.page)).filter((n) => n.title.startsWith('Reminder')),
      {
        timeout: 20_000,
      },
    )
    .toEqual([{ title: 'Reminder · Galley', body: manifest }]);
  await expect(ada.page.getByTestId('sidebar-saved-due')).toHaveText('1');

  // Her phone lists it under Reminders too.
  await phone.page.getByTestId('sidebar-saved').click();
  await phone.page.getByTestId('saved-tab-reminders').click();
  await expect(phone.page.getByTestId('reminder-item')).toHaveCount(1);
  await expect(phone.page.getByTestId('reminder-item').getByTestId('saved-text')).toHaveText(
    manifest,
  );

  await ada.page.getByTestId('sidebar-saved').click();
  await ada.page.getByTestId('saved-tab-reminders').click();
  await expect(ada.page.getByTestId('reminder-item')).toHaveCount(1);
  await shots(ada.page, 'personal-reminders');

  // Done on the phone: the laptop's list shows it done, and nothing is due any more.
  await phone.page.getByTestId('saved-tab-reminders').click();
  await phone.page.getByTestId('reminder-done').click();
  await expect(ada.page.getByTestId('reminder-item')).toHaveCount(0);
  await expect(ada.page.getByTestId('reminder-item-done')).toHaveCount(1);
  await expect(ada.page.getByTestId('sidebar-saved-due')).toHaveCount(0);
});

test('a draft shows a pencil in the sidebar and under Drafts, on the device that wrote it only', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  await createConversation(ada.page, 'Pantry');
  const phone = await person(browser, 'Ada');
  await phone.page.getByTestId('sidebar-saved').click();
  // A draft in Galley on the laptop: a pencil once she is elsewhere, and under Drafts.
  await ada.page.getByTestId('composer').fill('Half a thought about the pantry list');
  await ada.page.getByTestId('sidebar-saved').click();
  await expect(item(ada.page, 'Pantry').getByTestId('draft-mark')).toBeVisible();
  await shots(ada.page, 'personal-sidebar-pencil');
  await ada.page.getByTestId('saved-tab-drafts').click();
  await expect(ada.page.getByTestId('draft-item')).toHaveText(
    /Half a thought about the pantry list/,
  );
  await shots(ada.page, 'personal-drafts');
  // Drafts stay on the device that wrote them.
  await phone.page.getByTestId('saved-tab-drafts').click();
  await expect(phone.page.getByTestId('saved-view')).toContainText('No drafts.');
  await expect(phone.page.getByTestId('draft-item')).toHaveCount(0);
});
