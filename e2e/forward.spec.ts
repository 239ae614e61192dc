// Forwarding end to end (issue 12, docs/messaging.md "Forwarded messages"): Ada forwards a
// message from a channel to her DM with Bo, offline, with a comment; when she is back Bo sees it
// from Ada, "Forwarded from Plans · Cy" with the original text rendered like any message (no
// HTML from it), and "View original" opens it in Plans. A forward out of a channel Bo is not in
// offers no way there. A real relay, the real renderer.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageAction,
  messageWithText,
  openConversation,
  send,
  syncState,
} from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { person } = useWorld();

async function themes(page: Page, name: string) {
  await screenshot(page, name);
  await page.emulateMedia({ colorScheme: 'dark' });
  // Colours change with a short transition: the picture is of where they end.
  await page.evaluate(() =>
    Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
  );
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

async function startForward(page: Page, text: string) {
  await messageAction(messageWithText(page, text), 'message-forward');
  await expect(page.getByTestId('forward-dialog')).toBeVisible();
}

test('Ada forwards offline with a comment; Bo sees it from Ada with the origin, and opens it', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  const cy = await person(browser, 'Cy');
  await createConversation(cy.page, 'Plans', ['ada', 'bo']);
  const original = 'The **offsite** is in Lisbon <img src=x onerror="window.pwned=1"> on May 4';
  // Markdown renders, so the shown text is not the typed one: send by hand.
  await cy.page.getByTestId('composer').fill(original);
  await cy.page.getByTestId('composer').press('Enter');
  await expect(cy.page.getByTestId('message').filter({ hasText: 'is in Lisbon' })).toHaveCount(1);
  await openConversation(ada.page, 'Plans');
  const row = ada.page.getByTestId('message').filter({ hasText: 'is in Lisbon' });
  await expect(row).toHaveCount(1);

  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  await messageAction(row, 'message-forward');
  const dialog = ada.page.getByTestId('forward-dialog');
  await expect(dialog.getByTestId('forward-preview')).toContainText('Cy');
  await dialog.getByTestId('forward-search').fill('bo');
  await themes(ada.page, 'forward-1-dialog');
  await dialog.getByTestId('forward-search').press('Enter');
  await expect(dialog.getByTestId('forward-chosen')).toContainText('Bo');
  await dialog.getByTestId('forward-comment').fill('Book your flights!');
  await dialog.getByTestId('forward-send').click();
  await expect(dialog).toBeHidden();
  await expect(ada.page.getByTestId('toast-text')).toHaveText('Forwarded to Bo.');
  await ada.page.getByTestId('toast-action').click();
  await expect(ada.page.getByTestId('conversation-title')).toHaveText('Bo');
  await expect(messageWithText(ada.page, 'Book your flights!')).toHaveCount(1);
  await ada.net.on();

  await openConversation(bo.page, 'Ada');
  const fwd = messageWithText(bo.page, 'Book your flights!');
  await expect(fwd).toHaveAttribute('data-author-id', /.+/);
  await expect(fwd.getByTestId('message-author')).toHaveText('Ada');
  await expect(fwd.getByTestId('forward-from')).toContainText('Forwarded from Plans · Cy');
  const text = fwd.getByTestId('forward-text');
  await expect(text.locator('strong')).toHaveText('offsite');
  await expect(text.locator('img')).toHaveCount(0);
  expect(await bo.page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
  await themes(bo.page, 'forward-2-forwarded-message');
  await fwd.getByTestId('forward-open').click();
  await expect(bo.page.getByTestId('conversation-title')).toHaveText('Plans');
  await expect(bo.page.getByTestId('message').filter({ hasText: 'is in Lisbon' })).toHaveClass(
    /search-found/,
  );

  // From a channel Bo is not in: the forward shows, with no way into that channel.
  await createConversation(ada.page, 'Ada notes', [], { private: true });
  await send(ada.page, 'Remember the badge for Lisbon');
  await startForward(ada.page, 'Remember the badge for Lisbon');
  await ada.page.getByTestId('forward-search').fill('bo');
  await ada.page.getByTestId('forward-target').first().click();
  await ada.page.getByTestId('forward-send').click();
  await openConversation(bo.page, 'Ada');
  const second = bo.page
    .getByTestId('forward-block')
    .filter({ hasText: 'Remember the badge for Lisbon' });
  await expect(second).toContainText('Forwarded from Ada notes · Ada');
  await expect(second.getByTestId('forward-open')).toHaveCount(0);
  for (const p of [ada, bo, cy]) await p.context.close();
});
