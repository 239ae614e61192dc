// Offline search end to end (issue 5, "Search, offline"): two people in two browser contexts,
// a real relay process, the real renderer (the index in its Web Worker). B's connection is cut
// for real (NetworkSwitch: sockets closed and refused, the browser offline); B searches, finds
// A's earlier message, opens it in context; the index survives a reload while offline.
import { expect, test, type Page } from '@playwright/test';
import {
  submitSignIn,
  createConversation,
  messageWithText,
  openConversation,
  reopen,
  send,
  syncState,
} from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { relay, app, person } = useWorld();

const TARGET = 'The ferry to the island leaves from pier 4 at 07:15.';

async function search(page: Page, query: string) {
  const input = page.getByTestId('search-input');
  if (!(await input.isVisible())) await page.keyboard.press('Control+Shift+F');
  await input.fill(query);
}

test('B, offline, searches, finds A’s earlier message and opens it in context; the index survives an offline reload', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Field trip', ['bo']);
  await send(ada.page, TARGET);
  // Enough later messages that the found one is far above the bottom of the list.
  for (let i = 1; i <= 24; i++)
    await send(ada.page, `Checklist item ${i}: pack it the night before.`);
  await createConversation(ada.page, 'Lunch', ['bo']);
  await send(ada.page, 'Soup at noon? Pier café.');

  // Bo was online while it arrived (never opening Field trip), then loses the network.
  await openConversation(bo.page, 'Lunch');
  await expect(messageWithText(bo.page, 'Soup at noon? Pier café.')).toHaveCount(1);
  await expect(
    bo.page.getByTestId('conversation-item').filter({ hasText: 'Field trip' }),
  ).toContainText('Checklist item 24');
  await bo.net.off();
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'offline');

  // Ctrl+Shift+F, a query: both conversations' matches, grouped, the word marked.
  await search(bo.page, 'pier');
  const hits = bo.page.getByTestId('search-hit');
  await expect(hits).toHaveCount(2);
  await expect(bo.page.getByTestId('search-group')).toHaveCount(2);
  const hit = hits.filter({ hasText: 'pier 4' });
  await expect(hit).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText(['pier']);
  await expect(hit).toContainText('Ada');
  await screenshot(bo.page, 'search-1-bo-offline-results');
  // The index runs in its module worker (the built chunk), not on the page.
  expect(bo.page.workers().map((w) => new URL(w.url()).pathname)).toContainEqual(
    expect.stringMatching(/\/assets\/worker-[\w-]+\.js$/),
  );

  // Filters: from: and in: by name.
  await search(bo.page, 'pier from:ada in:"field trip"');
  await expect(hits).toHaveCount(1);
  await search(bo.page, 'pier from:bo');
  await expect(hits).toHaveCount(0);
  await expect(bo.page.getByTestId('search-status')).toContainText('No messages found');
  await search(bo.page, 'pier from:nobody');
  await expect(bo.page.getByTestId('search-note')).toHaveText('No one called nobody.');

  // Keyboard: the first result of "ferry island" is the one; Enter opens it in context.
  await search(bo.page, 'ferry island');
  await expect(hits).toHaveCount(1);
  await bo.page.getByTestId('search-input').press('Enter');
  await expect(bo.page.getByTestId('search-panel')).toBeHidden();
  await expect(bo.page.getByTestId('conversation-title')).toHaveText('Field trip');
  const found = messageWithText(bo.page, TARGET);
  await expect(found).toBeInViewport();
  await expect(found).toBeFocused();
  await expect(found).toHaveClass(/search-found/);
  await screenshot(bo.page, 'search-2-bo-opened-in-context');
  // In context: the messages around it are there too, and the list is not at its bottom.
  await expect(
    messageWithText(bo.page, 'Checklist item 1: pack it the night before.'),
  ).toBeVisible();
  await expect(
    messageWithText(bo.page, 'Checklist item 24: pack it the night before.'),
  ).not.toBeInViewport();

  // Shown once: back in the conversation later, it opens at the newest message again.
  await openConversation(bo.page, 'Lunch');
  await openConversation(bo.page, 'Field trip');
  await expect(
    messageWithText(bo.page, 'Checklist item 24: pack it the night before.'),
  ).toBeInViewport();
  await expect(messageWithText(bo.page, TARGET)).not.toBeInViewport();

  // Reload while offline: the index comes back from IndexedDB, nothing needs the relay.
  await openConversation(bo.page, 'Lunch');
  await bo.net.load(bo.page, app.url);
  await reopen(bo.page, app.url, 'Lunch', bo.net);
  // Offline or retrying (the page may boot before the browser reports offline): never synced.
  await expect(syncState(bo.page)).toHaveAttribute('data-state', /offline|unreachable/);
  await search(bo.page, 'island');
  await expect(hits).toHaveCount(1);
  await expect(hits.first()).toContainText('pier 4');
  await screenshot(bo.page, 'search-3-bo-after-offline-reload');

  await ada.context.close();
  await bo.context.close();
});

test('the web client the relay serves keeps the search worker offline: search works after a reload with the relay down', async ({
  browser,
}) => {
  await relay.createUser('cyd', { displayName: 'Cyd' });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(relay.httpUrl);
  await submitSignIn(page, relay.httpUrl, 'cyd');
  await createConversation(page, 'Notes to self');
  await send(page, 'The spare key is under the blue flowerpot.');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  // The service worker keeps the worker chunk the entry script names, beside index.html's files.
  await expect
    .poll(() =>
      page.evaluate(async () => {
        const cache = await caches.open('ferry-shell-v1');
        return (await cache.keys()).map((r) => new URL(r.url).pathname);
      }),
    )
    .toContainEqual(expect.stringMatching(/\/assets\/worker-[\w-]+\.js$/));

  await relay.stop();
  try {
    await page.reload();
    await expect(page.getByTestId('workspace')).toBeVisible();
    await expect(syncState(page)).toHaveAttribute('data-state', 'unreachable');
    await page.getByTestId('open-search').click();
    await page.getByTestId('search-input').fill('flowerpot');
    await expect(page.getByTestId('search-hit')).toHaveCount(1);
    expect(page.workers().map((w) => new URL(w.url()).pathname)).toContainEqual(
      expect.stringMatching(/\/assets\/worker-[\w-]+\.js$/),
    );
    await screenshot(page, 'search-4-web-client-relay-down');
  } finally {
    await context.close();
    await relay.restart();
  }
});
