// One plain-text rendering of a message for every preview (issue 12, defect 6), two people on a
// real relay: a message with markdown (bold, emphasis, a code fence, a link) shows without its
// markers in the pinned list, the search results (highlight kept), a quote chip and block, and
// the conversation list's preview.
import { expect, test, type Page } from '@playwright/test';
import { createConversation, messageAction, openConversation } from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

const TYPED =
  '**Release** is _Friday_:\n```\nnpm run release\n```\nSee [the guide](https://ferry.example/guide).';
const PLAIN = 'Release is Friday: npm run release See the guide.';
const MARKERS = /\*\*|```|_Friday_|\]\(/;

async function sendTyped(page: Page, text: string): Promise<void> {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
}

test('the pinned list, search results, quotes and the list preview show plain text', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Release notes', ['bo']);
  await sendTyped(ada.page, TYPED);
  const row = ada.page.getByTestId('message').filter({ hasText: 'npm run release' });
  await expect(row).toHaveCount(1);
  await messageAction(row, 'message-pin');
  await expect(row.getByTestId('pin-mark')).toBeVisible();

  await openConversation(bo.page, 'Release notes');
  // The conversation list's preview.
  const preview = bo.page
    .getByTestId('conversation-item')
    .filter({ hasText: 'Release notes' })
    .getByTestId('conversation-preview');
  await expect(preview).toContainText('Release is Friday');
  expect(await preview.innerText()).not.toMatch(MARKERS);

  // The pinned list.
  await bo.page.getByTestId('pinned-button').click();
  await expect(bo.page.getByTestId('pinned-text')).toHaveText(PLAIN);
  await screenshot(bo.page, 'plain-previews-1-pinned');
  await bo.page.keyboard.press('Escape');

  // Search: the snippet is plain and the match still highlighted.
  await bo.page.keyboard.press('Control+Shift+F');
  await bo.page.getByTestId('search-input').fill('release');
  const snippet = bo.page.getByTestId('search-snippet');
  await expect(snippet).toHaveCount(1);
  await expect(snippet).toHaveText(PLAIN);
  await expect(snippet.locator('mark').first()).toHaveText(/release/i);
  await screenshot(bo.page, 'plain-previews-2-search');
  await bo.page.getByTestId('search-input').press('Enter'); // opens it in context
  await expect(bo.page.getByTestId('search-panel')).toBeHidden();

  // A quote chip, and the quote block of the reply.
  const boRow = bo.page.getByTestId('message').filter({ hasText: 'npm run release' });
  await messageAction(boRow, 'message-quote');
  await expect(bo.page.getByTestId('quote-chip').getByTestId('quote-text')).toHaveText(PLAIN);
  await sendTyped(bo.page, 'Noted.');
  const reply = ada.page.getByTestId('message').filter({ hasText: 'Noted.' });
  await expect(reply.getByTestId('quote-text')).toHaveText(PLAIN);
  await screenshot(ada.page, 'plain-previews-3-quote');
  await Promise.all([ada.context.close(), bo.context.close()]);
});
