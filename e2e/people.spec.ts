// People end to end (issue 12): a new colleague Ada has never talked to is found in the quick
// switcher (Ctrl+K) and in People, with presence and role; choosing them opens a new DM, also
// offline for someone this device already knows; the other person gets it. A guest's People
// lists only whom the guest may see. A real relay, the real renderer.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageWithText,
  openConversation,
  send,
  syncState,
} from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { relay, person } = useWorld();

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

test('Ctrl+K finds a new colleague and starts the DM (offline too); People lists everyone', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const cy = await person(browser, 'Cy');
  await relay.createUser('dana', { displayName: 'Dana Design' });
  await relay.createUser('admiral', { displayName: 'Admiral Ops', role: 'admin' });
  await createConversation(ada.page, 'Design reviews');

  // Ctrl+K: the channel and, ranked after it, the people matching "d" nobody talked to yet.
  await ada.page.keyboard.press('Control+K');
  const input = ada.page.getByTestId('quick-switcher-input');
  await input.fill('d');
  await expect(ada.page.getByTestId('quick-switcher-option')).toHaveText(['Design reviews']);
  const people = ada.page.getByTestId('quick-switcher-person');
  await expect(people.filter({ hasText: 'Dana Design' })).toHaveCount(1);
  await input.fill('');
  await expect(people.filter({ hasText: 'Cy' })).toHaveCount(1);
  // Cy is signed in: his presence shows (the workspace room's awareness).
  await expect(people.filter({ hasText: 'Cy' }).getByTestId('presence-dot')).toHaveAttribute(
    'data-presence',
    'online',
  );
  await themes(ada.page, 'people-1-switcher');
  await input.fill('cy');
  await input.press('Enter');
  await expect(ada.page.getByTestId('conversation-title')).toHaveText('Cy');
  await send(ada.page, 'Welcome aboard, Cy!');
  await openConversation(cy.page, 'Ada');
  await expect(messageWithText(cy.page, 'Welcome aboard, Cy!')).toHaveCount(1);

  // Offline: Dana is known from the relay's list this device kept; the DM starts anyway.
  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  await ada.page.keyboard.press('Control+K');
  await input.fill('dana');
  await expect(people).toHaveText([/Dana Design/]);
  await input.press('Enter');
  await expect(ada.page.getByTestId('conversation-title')).toHaveText('Dana Design');
  await send(ada.page, 'Written on the train, Dana.');
  await ada.net.on();
  const dana = await person(browser, 'Dana');
  await openConversation(dana.page, 'Ada');
  await expect(messageWithText(dana.page, 'Written on the train, Dana.')).toHaveCount(1);

  // People: everyone, with roles; a name opens the card, Message the DM.
  await ada.page.getByTestId('browse-people').click();
  const dir = ada.page.getByTestId('people-directory');
  const rows = dir.getByTestId('people-directory-person');
  await expect(rows.filter({ hasText: 'Admiral Ops' })).toHaveCount(1);
  await expect(
    rows.filter({ hasText: 'Admiral Ops' }).getByTestId('people-directory-role'),
  ).toHaveText('Admin');
  await expect(rows.filter({ hasText: 'Ada (you)' })).toHaveCount(1);
  await themes(ada.page, 'people-2-directory');
  await dir.getByTestId('people-directory-search').fill('adm');
  await expect(rows).toHaveCount(1);
  await rows.getByTestId('people-directory-message').click();
  await expect(ada.page.getByTestId('conversation-title')).toHaveText('Admiral Ops');
  for (const p of [ada, cy, dana]) await p.context.close();
});

test('a guest’s People and switcher list only the people the guest may see', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  await relay.createUser('gus', { displayName: 'Gus Guest', role: 'guest' });
  await relay.createUser('zed', { displayName: 'Zed Hidden' });
  await createConversation(ada.page, 'Vendors', ['gus'], { private: true });
  await send(ada.page, 'Hello Gus');
  const gus = await person(browser, 'Gus');
  await openConversation(gus.page, 'Vendors');
  await gus.page.getByTestId('browse-people').click();
  const rows = gus.page.getByTestId('people-directory-person');
  await expect(rows.filter({ hasText: 'Ada' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'Gus Guest (you)' })).toHaveCount(1);
  await gus.page.getByTestId('people-directory-search').fill('zed');
  await expect(gus.page.getByTestId('people-directory')).toContainText('Nobody matches');
  await gus.page.keyboard.press('Escape');
  await gus.page.keyboard.press('Control+K');
  await gus.page.getByTestId('quick-switcher-input').fill('zed');
  await expect(gus.page.getByTestId('quick-switcher-person')).toHaveCount(0);
  await ada.context.close();
  await gus.context.close();
});
