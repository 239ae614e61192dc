// Emoji end to end (issue 12): the full emojibase set, loaded on first use. Two people in two
// browser contexts, a real relay, the real renderer. Bo finds an emoji by search in the
// reaction picker with a skin tone he chose (kept on his device) and Ada sees the toned
// reaction; Ada's composer completes `:heart` into ❤️, converts a `:tada:` typed in full and
// inserts from the emoji button at the caret; Bo sees the emoji (not shortcodes) in the text.
// The web client the relay serves keeps the emoji chunk offline.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageAction,
  messageWithText,
  openConversation,
  send,
  submitSignIn,
  syncState,
} from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person, relay } = useWorld();

/** Light and dark screenshots of what is on screen now. */
async function both(page: Page, name: string) {
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

test('Bo reacts with an emoji found by search in his skin tone; Ada sees it', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Crew', ['bo']);
  await openConversation(bo.page, 'Crew');
  const text = 'The ferry leaves at nine.';
  await send(ada.page, text);
  await expect(messageWithText(bo.page, text)).toHaveCount(1);

  // The first open loads the emoji chunk; time it from the click to the first emoji shown.
  const row = messageWithText(bo.page, text);
  await row.hover();
  const started = await bo.page.evaluate(() => performance.now());
  await row.getByTestId('message-react').click();
  const picker = bo.page.getByTestId('emoji-picker');
  await expect(picker).toHaveAttribute('data-ready', 'true');
  await expect(picker.getByTestId('emoji-option').first()).toBeVisible();
  const firstOpenMs = (await bo.page.evaluate(() => performance.now())) - started;
  console.log(`emoji picker, first open to first emoji shown: ${Math.round(firstOpenMs)} ms`);
  // The whole set, in the data's groups.
  const counts = await picker
    .locator('[data-section]')
    .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-count'))));
  // (less the newest this system's emoji font cannot draw: lib/emoji-support.ts)
  expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(1700);
  // Groups are built as they come near (the first screen of the picker stays light).
  expect(await picker.getByTestId('emoji-option').count()).toBeLessThan(400);
  await expect(picker.getByRole('group', { name: 'Smileys & emotion' })).toHaveCount(1);
  await expect(picker.getByRole('group', { name: 'Flags' })).toHaveCount(1);
  await both(bo.page, 'emoji-1-picker');

  // A group tab jumps to its group.
  await picker.getByRole('button', { name: 'Food & drink' }).click();
  const food = picker.getByRole('group', { name: 'Food & drink' });
  await expect(food.locator('.label')).toBeInViewport();
  await expect(food.getByTestId('emoji-option').first()).toBeVisible();
  // The keys reach a group not built yet: ↑ from the first food goes to the last animal.
  await expect(bo.page.getByTestId('emoji-search')).toBeFocused();
  await bo.page.keyboard.press('ArrowUp');
  const activeId = await bo.page.getByTestId('emoji-search').getAttribute('aria-activedescendant');
  await expect(picker.locator(`#${activeId}`)).toBeInViewport();

  // The tone chooser: pick "Medium skin tone"; hands in the grid take it.
  await picker.getByTestId('emoji-tone-button').click();
  await expect(picker.getByTestId('emoji-tones')).toBeVisible();
  await expect(picker.getByRole('radio', { name: 'No skin tone' })).toBeFocused();
  await both(bo.page, 'emoji-2-tone-chooser');
  await picker.getByRole('radio', { name: 'Medium skin tone' }).click();
  await expect(picker.getByTestId('emoji-tones')).toHaveCount(0);
  await expect(picker.getByTestId('emoji-tone-button')).toHaveAttribute('data-tone', '3');

  // Search: "thumbs up" is first, shown in the tone; Enter reacts with it.
  await bo.page.getByTestId('emoji-search').fill('thumbs up');
  await expect(picker.getByTestId('emoji-option').first()).toHaveAttribute('data-emoji', '👍🏽');
  // "heart": the red heart first, above the heart-eyes face.
  await bo.page.getByTestId('emoji-search').fill('heart');
  const hearts = await picker
    .getByTestId('emoji-option')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-emoji')));
  expect(hearts[0]).toBe('❤️');
  expect(hearts.indexOf('😍')).toBeGreaterThan(0);
  await bo.page.getByTestId('emoji-search').fill('thumbs up');
  await both(bo.page, 'emoji-3-search-toned');
  await bo.page.getByTestId('emoji-search').press('Enter');
  await expect(picker).toHaveCount(0);

  for (const p of [bo.page, ada.page]) {
    const chip = messageWithText(p, text).locator('[data-testid="reaction"][data-emoji="👍🏽"]');
    await expect(chip).toHaveAttribute('data-count', '1');
    await expect(chip).toHaveAttribute('aria-label', 'Bo reacted with 👍🏽');
  }

  // The tone is remembered on Bo's device, and the toned thumbs are his most recent.
  await messageAction(row, 'message-react');
  await expect(picker.getByTestId('emoji-tone-button')).toHaveAttribute('data-tone', '3');
  await expect(picker.getByTestId('emoji-option').first()).toHaveAttribute('data-emoji', '👍🏽');
  await bo.page.keyboard.press('Escape');
  await expect(picker).toHaveCount(0);
  await ada.context.close();
  await bo.context.close();
});

test('the composer completes :heart into ❤️, converts :tada: typed in full, and inserts from the emoji button', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Deck', ['bo']);
  await openConversation(bo.page, 'Deck');
  const composer = ada.page.getByTestId('composer');
  const list = ada.page.getByTestId('emoji-complete');

  await composer.click();
  await composer.pressSequentially('I :heart');
  await expect(list).toBeVisible();
  const options = list.getByTestId('emoji-complete-option');
  await expect(options.first()).toHaveAttribute('data-emoji', '❤️');
  await expect(options.first()).toContainText(':heart:');
  await expect(composer).toHaveAttribute('aria-activedescendant', /-0$/);
  await both(ada.page, 'emoji-4-autocomplete');
  // ↓ and ↑ move, Escape closes until the next :word.
  await composer.press('ArrowDown');
  await expect(composer).toHaveAttribute('aria-activedescendant', /-1$/);
  await composer.press('ArrowUp');
  await composer.press('Escape');
  await expect(list).toHaveCount(0);
  await composer.press('Backspace');
  await composer.pressSequentially('t');
  await expect(list).toHaveCount(0); // still the dismissed :word
  await composer.press('Control+A');
  await composer.press('Delete');

  // Enter inserts the first match with a space; Tab works too.
  await composer.pressSequentially('I :heart');
  await expect(options.first()).toHaveAttribute('data-emoji', '❤️');
  await composer.press('Enter');
  await expect(list).toHaveCount(0);
  await expect(composer).toHaveValue('I ❤️ ');
  await composer.pressSequentially('it :rocke');
  await expect(options.first()).toHaveAttribute('data-emoji', '🚀');
  await composer.press('Tab');
  await expect(composer).toHaveValue('I ❤️ it 🚀 ');
  // A shortcode typed in full becomes its emoji at once.
  await composer.pressSequentially(':tada:');
  await expect(composer).toHaveValue('I ❤️ it 🚀 🎉');

  // The emoji button inserts at the caret (after "I ").
  await composer.press('Home');
  await composer.press('ArrowRight');
  await composer.press('ArrowRight');
  await ada.page.getByTestId('composer-emoji').click();
  const picker = ada.page.getByTestId('emoji-picker');
  await expect(picker).toHaveAttribute('aria-label', 'Insert an emoji');
  await ada.page.getByTestId('emoji-search').fill('sparkles');
  await ada.page.getByTestId('emoji-search').press('Enter');
  await expect(picker).toHaveCount(0);
  await expect(composer).toBeFocused();
  await expect(composer).toHaveValue('I ✨❤️ it 🚀 🎉');
  await composer.pressSequentially('!');
  await expect(composer).toHaveValue('I ✨!❤️ it 🚀 🎉');

  await composer.press('Enter');
  const sent = 'I ✨!❤️ it 🚀 🎉';
  for (const p of [ada.page, bo.page]) await expect(messageWithText(p, sent)).toHaveCount(1);

  // Shortcodes left in the text (typed, then text after) are converted on send; code is not.
  await composer.pressSequentially('ship it :ship: now `:ship:`');
  await composer.press('Enter');
  await expect(messageWithText(bo.page, 'ship it 🚢 now')).toHaveCount(1);
  await expect(messageWithText(bo.page, 'ship it 🚢 now')).toContainText(':ship:');
  await ada.context.close();
  await bo.context.close();
});

test('the web client the relay serves keeps the emoji data offline: the picker opens with the relay down', async ({
  browser,
}) => {
  await relay.createUser('cyd', { displayName: 'Cyd' });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(relay.httpUrl);
  await submitSignIn(page, relay.httpUrl, 'cyd');
  await createConversation(page, 'Notes to self');
  await send(page, 'Pack the life jackets.');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  // The service worker keeps the emoji chunk (imported on demand) with the app's files, before
  // anyone opened the picker.
  await expect
    .poll(() =>
      page.evaluate(async () => {
        const cache = await caches.open('ferry-shell-v1');
        return (await cache.keys()).map((r) => new URL(r.url).pathname);
      }),
    )
    .toContainEqual(expect.stringMatching(/\/assets\/emoji-data-[\w-]+\.js$/));

  await relay.stop();
  try {
    await page.reload();
    await expect(page.getByTestId('workspace')).toBeVisible();
    await expect(syncState(page)).toHaveAttribute('data-state', 'unreachable');
    await openConversation(page, 'Notes to self');
    await page.getByTestId('composer-emoji').click();
    await expect(page.getByTestId('emoji-picker')).toHaveAttribute('data-ready', 'true');
    await page.getByTestId('emoji-search').fill('life');
    await expect(page.getByTestId('emoji-option').first()).toBeVisible();
    await page.keyboard.press('Escape');
  } finally {
    await context.close();
    await relay.restart();
  }
});
