// Message links end to end (issue 12, docs/messaging.md "Message links"): Ada copies a message's
// link (the web URL, and the ferry:// one from the notice); Bo opens the web URL in his browser
// and the app opens that conversation at the message, scrolled to and highlighted, far above the
// newest; a link to a thread reply opens its thread; a link to a conversation he is not in and
// to a deleted message each say so in plain words. A real relay, the real renderer.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageAction,
  messageWithText,
  openConversation,
  remove,
  send,
} from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { person } = useWorld({
  prepare: (context) => context.grantPermissions(['clipboard-read', 'clipboard-write']),
});

const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

/** Copy link from the message's toolbar; resolves with the web URL it copied. */
async function copyLink(page: Page, text: string, scope = page.getByTestId('conversation')) {
  const row = scope
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-text').filter({ hasText: text }) })
    .first();
  // Behind "⋯ More actions", or in a narrow column (the thread panel) the row's "⋯".
  await messageAction(row, 'message-link');
  await expect(page.getByTestId('toast-text')).toHaveText('Link copied.');
  const url = await clipboard(page);
  expect(url).toMatch(
    /^http:\/\/127\.0\.0\.1:\d+\/#\/c\/[0-9A-Z]{16}\/m\/[0-9a-z]{9}-[0-9a-z]{4}-[0-9A-Z]+$/,
  );
  return url;
}

test('a copied link opens the message in context for someone else; a reply opens its thread', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Launch', ['bo']);
  const target = 'The launch checklist lives on the wiki, page 3.';
  await send(ada.page, target);
  for (let i = 1; i <= 24; i++) await send(ada.page, `Status ${i}: all green.`);

  const web = await copyLink(ada.page, target);
  // The notice offers the desktop app's link too.
  await ada.page.getByTestId('toast-action').click();
  await expect(ada.page.getByTestId('toast-text')).toHaveText('Desktop app link copied.');
  const app = await clipboard(ada.page);
  expect(app).toBe(web.replace(/^.*#\/c\/([^/]+)\/m\/(.+)$/, 'ferry://message/$1/$2'));

  // Bo is elsewhere; the link opens Launch at the message, far above the newest.
  await createConversation(bo.page, 'Elsewhere');
  await bo.page.goto(web);
  await expect(bo.page.getByTestId('conversation-title')).toHaveText('Launch');
  const found = messageWithText(bo.page, target);
  await expect(found).toBeInViewport();
  await expect(found).toHaveClass(/search-found/);
  await expect(messageWithText(bo.page, 'Status 24: all green.')).not.toBeInViewport();
  // The route is consumed: a reload does not jump there again.
  expect(new URL(bo.page.url()).hash).toBe('');
  await screenshot(bo.page, 'links-1-bo-opened-from-link');
  await bo.page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(bo.page, 'links-1-bo-opened-from-link-dark');
  await bo.page.emulateMedia({ colorScheme: 'light' });

  // A reply's link opens its thread, the reply highlighted there.
  const root = messageWithText(ada.page, 'Status 24: all green.');
  await messageAction(root, 'message-thread');
  const panel = ada.page.getByTestId('thread-panel');
  const reply = 'Confirmed with the ops team.';
  await panel.getByTestId('composer').fill(reply);
  await panel.getByTestId('composer').press('Enter');
  await expect(panel.getByTestId('message-text').filter({ hasText: reply })).toHaveCount(1);
  const replyLink = await copyLink(ada.page, reply, panel);
  await openConversation(bo.page, 'Elsewhere');
  // Bo follows it at once: the reply may not have reached his device yet; the app waits for it.
  await bo.page.goto(replyLink);
  const boPanel = bo.page.getByTestId('thread-panel');
  await expect(boPanel).toBeVisible();
  const shown = boPanel.getByTestId('message').filter({ hasText: reply });
  await expect(shown).toHaveClass(/search-found/);

  await ada.context.close();
  await bo.context.close();
});

test('a link to a conversation I am not in, or to a deleted message, says so', async ({
  browser,
}) => {
  const ada = await person(browser, 'Eve'); // people of their own: the relay is the file's
  const bo = await person(browser, 'Fay');
  await createConversation(ada.page, 'Board only', [], { private: true });
  await send(ada.page, 'Salaries are in the spreadsheet.');
  const secret = await copyLink(ada.page, 'Salaries are in the spreadsheet.');
  await createConversation(ada.page, 'Crew', ['fay']);
  await send(ada.page, 'Oops, wrong channel for this.');
  const gone = await copyLink(ada.page, 'Oops, wrong channel for this.');
  await remove(ada.page, 'Oops, wrong channel for this.');

  await openConversation(bo.page, 'Crew');
  await bo.page.goto(secret);
  const notice = bo.page.getByTestId('toast');
  await expect(notice).toContainText('You are not in the conversation this link points to');
  await expect(bo.page.getByTestId('conversation-title')).toHaveText('Crew');
  await expect(bo.page.getByText('Salaries')).toHaveCount(0);
  await screenshot(bo.page, 'links-2-bo-not-a-member');

  await bo.page.getByTestId('toast-dismiss').click();
  await bo.page.goto(gone);
  await expect(notice).toContainText('That message was deleted.');
  await expect(bo.page.getByTestId('conversation-title')).toHaveText('Crew');
  await ada.context.close();
  await bo.context.close();
});
