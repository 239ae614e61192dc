// The option lists under a text field share their keys (renderer/src/ui/lib/listbox.ts): ↑/↓
// move and wrap at the ends, Enter picks. The quick switcher and the person picker here; the
// search panel's in search.spec.ts. And R on a message in the thread panel. A real relay, the
// real renderer.
import { expect, test } from '@playwright/test';
import { createConversation, messageWithText, send } from './fixtures/app';
import { useWorld } from './fixtures/world';

const { relay, person } = useWorld();

test('quick switcher and person picker: arrows wrap, Enter picks', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  await relay.createUser('bo', { displayName: 'Bo' });
  const page = ada.page;
  for (const title of ['Roadmap', 'Retro', 'Lunch']) await createConversation(page, title);

  // Ctrl+K, "r": Roadmap and Retro. ↑ from the first wraps to the last; ↓ wraps back.
  await page.keyboard.press('Control+K');
  const input = page.getByTestId('quick-switcher-input');
  await expect(input).toBeFocused();
  await input.fill('r');
  const options = page.getByTestId('quick-switcher-option');
  await expect(options).toHaveCount(2);
  const activeTitle = () =>
    page.locator('[data-testid="quick-switcher-option"][aria-selected="true"]');
  const first = (await options.first().textContent())?.trim() ?? '';
  const last = (await options.last().textContent())?.trim() ?? '';
  await expect(activeTitle()).toHaveText(first);
  await input.press('ArrowUp');
  await expect(activeTitle()).toHaveText(last);
  await input.press('ArrowDown');
  await expect(activeTitle()).toHaveText(first);
  await input.press('ArrowDown');
  await expect(activeTitle()).toHaveText(last);
  await expect(input).toHaveAttribute('aria-activedescendant', /^switcher-/);
  await input.press('Enter');
  await expect(page.getByTestId('quick-switcher')).toBeHidden();
  await expect(page.getByTestId('conversation-title')).toHaveText(last);

  // New message: type a name, Enter picks the active person and opens the DM.
  await page.getByTestId('new-dm').click();
  const search = page.getByTestId('person-search');
  await search.fill('bo');
  await expect(page.locator('[data-testid="person-option"][data-username="bo"]')).toHaveCount(1);
  await search.press('ArrowDown'); // one option: wraps onto itself
  await search.press('Enter');
  await expect(page.getByTestId('conversation-title')).toHaveText('Bo');
  await ada.context.close();
});

test('a shortcut pressed right after Escape closed a dialog is not lost', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  const page = ada.page;
  await createConversation(page, 'Roadmap');
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Control+K');
    await expect(page.getByTestId('quick-switcher-input')).toBeFocused();
    // No wait between the two: the app must know the switcher closed when Escape is handled.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+F');
    await expect(page.getByTestId('search-input')).toBeFocused();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+,');
    await expect(page.getByTestId('settings-dialog')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('settings-dialog')).toBeHidden();
  }
  await ada.context.close();
});

test('R reacts to the focused message in the thread panel too', async ({ browser }) => {
  const eve = await person(browser, 'Eve');
  const page = eve.page;
  await createConversation(page, 'Ops');
  await send(page, 'Deploy at noon?');
  // T on the message opens its thread; the reply goes in from the panel's composer.
  await page.getByTestId('message-list').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('t');
  const panel = page.getByTestId('thread-panel');
  await expect(panel.getByTestId('composer')).toBeFocused();
  await page.keyboard.type('Noon works.');
  await page.keyboard.press('Enter');
  const reply = panel.getByTestId('message').filter({ hasText: 'Noon works.' });
  await expect(reply).toHaveCount(1);
  // ↓ to the root, ↓ to the reply, R: the picker for the reply (not the root in the list).
  await panel.getByTestId('thread-messages').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(reply).toBeFocused();
  await page.keyboard.press('r');
  await expect(page.getByTestId('emoji-search')).toBeFocused();
  await page.keyboard.type('thanks');
  await page.keyboard.press('Enter');
  await expect(reply.locator('[data-testid="reaction"][data-emoji="🙏"]')).toHaveAttribute(
    'data-mine',
    'true',
  );
  await expect(messageWithText(page, 'Deploy at noon?').getByTestId('reaction')).toHaveCount(0);
  await eve.context.close();
});

test('Escape puts the focus back where it came from: quote chip, profile card, thread, edit profile', async ({
  browser,
}) => {
  const kim = await person(browser, 'Kim');
  const page = kim.page;
  await createConversation(page, 'Field notes');
  await send(page, 'Tide is out at six.');
  const message = messageWithText(page, 'Tide is out at six.');
  const composer = page.getByTestId('composer');

  // Q quotes the focused message and the focus goes to the composer; Shift+Tab reaches the
  // chip's x; Escape there removes the chip and the focus goes back to the composer (it went
  // to the page's body with the button).
  await page.getByTestId('message-list').focus();
  await page.keyboard.press('ArrowUp');
  await expect(message).toBeFocused();
  await page.keyboard.press('q');
  await expect(composer).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(page.getByTestId('quote-chip-remove')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('quote-chip')).toHaveCount(0);
  await expect(composer).toBeFocused();
  // The x by Enter: the same.
  await page.getByTestId('message-list').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('q');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('quote-chip')).toHaveCount(0);
  await expect(composer).toBeFocused();

  // The author's name opens the card (its first button focused); Tab stays in the card;
  // Escape closes it and the focus is on the name again.
  const author = message.getByTestId('message-author');
  await author.focus();
  await page.keyboard.press('Enter');
  const card = page.getByTestId('profile-card');
  await expect(card).toBeVisible();
  await expect(card.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Tab');
  await expect(card.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Escape');
  await expect(card).toBeHidden();
  await expect(author).toBeFocused();

  // T opens the thread with its composer focused; Escape from there closes it, on the root.
  await page.getByTestId('message-list').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('t');
  const panel = page.getByTestId('thread-panel');
  await expect(panel.getByTestId('composer')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(message).toBeFocused();

  // Edit profile from the sidebar footer: Escape closes it onto the footer button.
  const me = page.getByTestId('edit-profile-button');
  await me.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('edit-profile-status')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('edit-profile-status')).toHaveCount(0);
  await expect(me).toBeFocused();
  await kim.context.close();
});
