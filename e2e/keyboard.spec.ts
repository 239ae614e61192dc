// The option lists under a text field share their keys (renderer/src/ui/lib/listbox.ts): ↑/↓
// move and wrap at the ends, Enter picks. The quick switcher and the person picker here; the
// search panel's in search.spec.ts. A real relay, the real renderer.
import { expect, test } from '@playwright/test';
import { createConversation, signedInPerson } from './fixtures/app';
import { useAppServer } from './fixtures/app-server';
import { useRelay } from './fixtures/relay';

const relay = useRelay();
const app = useAppServer();

test('quick switcher and person picker: arrows wrap, Enter picks', async ({ browser }) => {
  const ada = await signedInPerson(browser, relay, app.url, 'Ada');
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
