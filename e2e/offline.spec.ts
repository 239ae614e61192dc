// Offline-first, end to end (issue 3 §6): two people (accounts made with the relay's admin CLI)
// in two browser contexts, a real relay process, the real renderer. Offline is real: the relay is stopped, or one person's sockets are
// cut (NetworkSwitch) while their browser reports offline.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  edit,
  joinChannel,
  messageWithText,
  openConversation,
  remove,
  reopen,
  send,
  shownMessages,
  syncState,
} from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { relay, app, person } = useWorld();

/** An account (created once per relay with the admin CLI), signed in in a fresh browser. */

/** What both must agree on: who wrote what, in which order, and what is deleted. */
async function content(page: Page) {
  return (await shownMessages(page)).map(({ id, author, text, deleted }) => ({
    id,
    author,
    text,
    deleted,
  }));
}

test('both write while A is offline; on reconnect both show the same messages in the same order', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Field trip', ['bo']);
  await openConversation(bo.page, 'Field trip');
  await send(ada.page, 'Leaving at nine.');
  await send(ada.page, 'Bring boots.');
  await send(bo.page, 'I will bring the maps.');
  await expect(messageWithText(bo.page, 'Bring boots.')).toHaveCount(1);
  await expect(messageWithText(ada.page, 'I will bring the maps.')).toHaveCount(1);
  await screenshot(ada.page, 'offline-1-ada-online');

  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  await send(ada.page, 'Written on the train, no signal.');
  await edit(ada.page, 'Leaving at nine.', 'Leaving at ten.');
  await remove(ada.page, 'Bring boots.');
  await send(bo.page, 'Bo, still online.');
  await expect(messageWithText(ada.page, 'Written on the train, no signal.')).toHaveAttribute(
    'data-delivery',
    'pending',
  );
  await expect(
    messageWithText(ada.page, 'Written on the train, no signal.').getByTestId('offline-mark'),
  ).toBeVisible();
  // The edit was stored long ago as a message, but the relay does not have the edit yet.
  await expect(messageWithText(ada.page, 'Leaving at ten.')).toHaveAttribute(
    'data-delivery',
    'pending',
  );
  await screenshot(ada.page, 'offline-2-ada-offline');
  await expect(messageWithText(bo.page, 'Written on the train, no signal.')).toHaveCount(0);
  await expect(messageWithText(ada.page, 'Bo, still online.')).toHaveCount(0);

  await ada.net.on();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'synced');
  await expect(messageWithText(bo.page, 'Written on the train, no signal.')).toHaveCount(1);
  await expect(messageWithText(ada.page, 'Bo, still online.')).toHaveCount(1);
  await expect(messageWithText(bo.page, 'Leaving at ten.')).toHaveCount(1);
  await expect.poll(() => content(bo.page)).toEqual(await content(ada.page));
  const shown = await content(ada.page);
  expect(shown.map(({ author, text, deleted }) => ({ author, text, deleted }))).toEqual([
    { author: 'Ada', text: 'Leaving at ten.', deleted: false },
    { author: 'Ada', text: 'This message was deleted.', deleted: true },
    { author: 'Bo', text: 'I will bring the maps.', deleted: false },
    { author: 'Ada', text: 'Written on the train, no signal.', deleted: false },
    { author: 'Bo', text: 'Bo, still online.', deleted: false },
  ]);
  await expect(ada.page.locator('[data-testid="message"][data-delivery="pending"]')).toHaveCount(0);
  await screenshot(ada.page, 'offline-3-ada-reconnected');
  await screenshot(bo.page, 'offline-3-bo-reconnected');
  await ada.context.close();
  await bo.context.close();
});

test('reload with the relay down shows all history; after a restart (and a kill -9) nothing is lost', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Harbour log', ['bo']);
  await openConversation(bo.page, 'Harbour log');
  for (let i = 1; i <= 3; i++) {
    await send(ada.page, `Ada's note ${i}`);
    await send(bo.page, `Bo's note ${i}`);
  }
  await expect(messageWithText(ada.page, "Bo's note 3")).toHaveCount(1);
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'synced');
  const history = await content(ada.page);
  expect(history).toHaveLength(6);

  await relay.stop();
  await ada.page.reload();
  await reopen(ada.page, app.url, 'Harbour log');
  await expect(syncState(ada.page)).not.toHaveAttribute('data-state', 'synced');
  await expect.poll(() => content(ada.page)).toEqual(history);
  await send(ada.page, 'Written while the relay is down.');
  await ada.page.reload();
  await reopen(ada.page, app.url, 'Harbour log');
  await expect(messageWithText(ada.page, 'Written while the relay is down.')).toHaveAttribute(
    'data-delivery',
    'pending',
  );
  await screenshot(ada.page, 'relay-down-1-ada-reloaded');

  await relay.restart();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'synced', { timeout: 30_000 });
  await expect(messageWithText(bo.page, 'Written while the relay is down.')).toHaveCount(1, {
    timeout: 30_000,
  });
  await expect(messageWithText(ada.page, 'Written while the relay is down.')).toHaveAttribute(
    'data-delivery',
    'stored',
  );
  await expect.poll(() => content(bo.page)).toEqual(await content(ada.page));

  // Stored means stored: kill -9 right after the relay confirmed Bo's message, then a person
  // with no local state gets every message from the restarted relay.
  await send(bo.page, 'Confirmed just before the crash.');
  await expect(messageWithText(bo.page, 'Confirmed just before the crash.')).toHaveAttribute(
    'data-delivery',
    'stored',
  );
  await relay.kill();
  await relay.restart();
  const cy = await person(browser, 'Cy');
  await joinChannel(cy.page, 'Harbour log');
  await expect(messageWithText(cy.page, 'Confirmed just before the crash.')).toHaveCount(1);
  await expect.poll(() => content(cy.page)).toEqual(await content(bo.page));
  expect(await content(cy.page)).toHaveLength(8);
  await screenshot(cy.page, 'relay-down-2-fresh-client-after-kill');
  await Promise.all([ada.context.close(), bo.context.close(), cy.context.close()]);
});

test('a page closed right after sending keeps the message: it is there on reopen and reaches B', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Night shift', ['bo']);
  await openConversation(bo.page, 'Night shift');
  await send(ada.page, 'Starting the shift.');
  await expect(messageWithText(bo.page, 'Starting the shift.')).toHaveCount(1);

  // With Ada's network off, the message can reach Bo only through what her device kept.
  await ada.net.off();
  const composer = ada.page.getByTestId('composer');
  await composer.fill('Sent, then the window closed at once.');
  await composer.press('Enter');
  await ada.page.close();

  const page = await ada.context.newPage();
  await reopen(page, app.url, 'Night shift', ada.net);
  // Offline or still trying to connect (the page may boot before the browser reports offline).
  await expect(syncState(page)).not.toHaveAttribute('data-state', 'synced');
  await expect(messageWithText(page, 'Sent, then the window closed at once.')).toHaveAttribute(
    'data-delivery',
    'pending',
  );
  await screenshot(page, 'closed-1-ada-reopened-offline');
  await ada.net.on();
  await expect(messageWithText(bo.page, 'Sent, then the window closed at once.')).toHaveCount(1);
  await expect(messageWithText(page, 'Sent, then the window closed at once.')).toHaveAttribute(
    'data-delivery',
    'stored',
  );
  await expect.poll(() => content(bo.page)).toEqual(await content(page));
  await screenshot(bo.page, 'closed-2-bo-received');
  await Promise.all([ada.context.close(), bo.context.close()]);
});

test('both offline at once (relay stopped): their messages interleave by the time they were written', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Blackout', ['bo']);
  await openConversation(bo.page, 'Blackout');
  await send(bo.page, 'Lights are flickering.');
  await expect(messageWithText(ada.page, 'Lights are flickering.')).toHaveCount(1);

  await relay.stop();
  await send(ada.page, 'Ada 1, relay down');
  await send(bo.page, 'Bo 1, relay down');
  await send(ada.page, 'Ada 2, relay down');
  await send(bo.page, 'Bo 2, relay down');
  await expect(messageWithText(ada.page, 'Bo 1, relay down')).toHaveCount(0);

  await relay.restart();
  await expect(messageWithText(ada.page, 'Bo 2, relay down')).toHaveCount(1, { timeout: 30_000 });
  await expect(messageWithText(bo.page, 'Ada 2, relay down')).toHaveCount(1, { timeout: 30_000 });
  await expect.poll(() => content(bo.page)).toEqual(await content(ada.page));
  expect((await content(ada.page)).map((m) => m.text)).toEqual([
    'Lights are flickering.',
    'Ada 1, relay down',
    'Bo 1, relay down',
    'Ada 2, relay down',
    'Bo 2, relay down',
  ]);
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'synced');
  await expect(syncState(bo.page)).toHaveAttribute('data-state', 'synced');
  await screenshot(bo.page, 'blackout-bo-after-restart');
  await Promise.all([ada.context.close(), bo.context.close()]);
});
