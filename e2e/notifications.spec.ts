// Notification targets end to end (docs/messaging.md, "Notification targets"): two people in
// two browser contexts, a real relay, the real renderer. Bo has the notification permission
// (granted to his context); an init script wraps window.Notification (the real one still
// shows) so the test sees each notification the page raised and can click it. A click opens
// the conversation at the notified message, focused and highlighted, from wherever Bo was.
// Then Ada writes while her network is cut: Bo is notified once she is back.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import {
  createConversation,
  messageWithText,
  openConversation,
  openDm,
  send,
  signedInPerson,
  syncState,
  type Person,
} from './fixtures/app';
import { useAppServer } from './fixtures/app-server';
import { useRelay } from './fixtures/relay';
import { screenshot } from './fixtures/screens';

const relay = useRelay();
const app = useAppServer();

/** Keeps every Notification the page creates (on `window.__ferryNotifications`). */
async function captureNotifications(context: BrowserContext): Promise<void> {
  await context.grantPermissions(['notifications']);
  await context.addInitScript(() => {
    const Real = window.Notification;
    const shown: Notification[] = [];
    class Captured extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push(this);
      }
    }
    Object.assign(window, { Notification: Captured, __ferryNotifications: shown });
  });
}

const person = (browser: Browser, name: string, notified = false): Promise<Person> =>
  signedInPerson(browser, relay, app.url, name, notified ? { prepare: captureNotifications } : {});

type Shown = { title: string; body: string; tag: string };

function notifications(page: Page): Promise<Shown[]> {
  return page.evaluate(() =>
    (window as unknown as { __ferryNotifications: Notification[] }).__ferryNotifications.map(
      (n) => ({ title: n.title, body: n.body, tag: n.tag }),
    ),
  );
}

/** What the OS does when the user clicks notification `index`. */
async function clickNotification(page: Page, index: number): Promise<void> {
  await page.evaluate((i) => {
    const n = (window as unknown as { __ferryNotifications: Notification[] }).__ferryNotifications[
      i
    ];
    if (!n) throw new Error(`no notification ${i}`);
    n.dispatchEvent(new Event('click'));
  }, index);
}

test('a notification click opens the conversation at that message, highlighted; a message written offline notifies when its author is back', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo', true);
  await openDm(ada.page, 'bo', 'Bo');
  await send(ada.page, 'Hi Bo!');
  await openConversation(bo.page, 'Ada');
  await expect(messageWithText(bo.page, 'Hi Bo!')).toHaveCount(1);
  await createConversation(ada.page, 'Planning', ['bo']);
  await send(ada.page, 'Agenda in the doc.');
  await openConversation(bo.page, 'Planning');
  await openDm(ada.page, 'bo', 'Bo');
  expect(await bo.page.evaluate(() => Notification.permission)).toBe('granted');

  // Bo looks at Planning; Ada's DM message raises a notification with its text.
  const QUESTION = 'Are you coming to the 3 pm review?';
  await send(ada.page, QUESTION);
  await expect
    .poll(() => notifications(bo.page))
    .toContainEqual(expect.objectContaining({ title: 'Ada', body: `Ada: ${QUESTION}` }));
  const first = (await notifications(bo.page)).findIndex((n) => n.body.endsWith(QUESTION));

  // He moves on to another conversation, then clicks the notification.
  await createConversation(bo.page, 'Scratch');
  await clickNotification(bo.page, first);
  await expect(bo.page.getByTestId('conversation-title')).toHaveText('Ada');
  const asked = messageWithText(bo.page, QUESTION);
  await expect(asked).toBeInViewport();
  await expect(asked).toBeFocused();
  await expect(asked).toHaveClass(/search-found/);
  await screenshot(bo.page, 'notifications-1-bo-opened-from-notification');

  // Offline: Ada writes with her network cut; nothing reaches Bo until she is back.
  await openConversation(bo.page, 'Planning');
  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  const LATE = 'Written on the train: running ten minutes late.';
  await send(ada.page, LATE);
  const before = (await notifications(bo.page)).length;
  expect((await notifications(bo.page)).some((n) => n.body.includes(LATE))).toBe(false);
  await ada.net.on();
  await expect
    .poll(() => notifications(bo.page), { timeout: 30_000 })
    .toContainEqual(expect.objectContaining({ title: 'Ada', body: `Ada: ${LATE}` }));
  const shown = await notifications(bo.page);
  expect(shown.length).toBe(before + 1);
  await clickNotification(bo.page, shown.length - 1);
  await expect(bo.page.getByTestId('conversation-title')).toHaveText('Ada');
  const late = messageWithText(bo.page, LATE);
  await expect(late).toBeFocused();
  await expect(late).toHaveClass(/search-found/);
  await screenshot(bo.page, 'notifications-2-bo-opened-offline-message');

  await ada.context.close();
  await bo.context.close();
});
