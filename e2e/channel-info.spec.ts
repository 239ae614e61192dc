// Channel topic, description and system lines end to end (issue 12, docs/messaging.md
// "Topic, description and system lines"): Ada (owner) sets the topic and description in the
// details panel; Bo sees the topic in the header and the description in the channel browser
// before joining; his join, Ada's rename and topic change show as quiet system lines for both.
// A plain member sees no Edit. Screenshots light and dark.
import { expect, test, type Page } from '@playwright/test';
import { createConversation, joinChannel, send } from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const { person } = useWorld({ viewport: { width: 1280, height: 800 } });

async function both(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

const lines = (page: Page) => page.getByTestId('system-line');

test('owner sets topic and description; others see them; join, rename and topic are system lines', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Launch');
  await send(ada.page, 'Kick-off notes are in the wiki');

  await ada.page.getByTestId('details-button').click();
  await ada.page.getByTestId('details-about-edit').click();
  await ada.page.getByTestId('details-topic-input').fill('Ship v2 by Friday');
  await ada.page
    .getByTestId('details-description-input')
    .fill('Where the v2 launch is planned.\nAsk Ada for access to the dashboards.');
  await ada.page.getByTestId('details-about-save').click();
  await expect(ada.page.getByTestId('details-topic')).toHaveText('Ship v2 by Friday');
  await expect(ada.page.getByTestId('conversation-topic')).toHaveText('Ship v2 by Friday');
  await expect(lines(ada.page)).toHaveText([/You set the topic: Ship v2 by Friday/]);

  // Bo finds it in the channel browser with its description, and joins.
  await bo.page.getByTestId('browse-channels').click();
  const row = bo.page.getByTestId('channel-listing').filter({ hasText: 'Launch' });
  await expect(row.getByTestId('channel-description')).toHaveText(
    /Where the v2 launch is planned\.\s+Ask Ada for access/,
  );
  await both(bo.page, 'channel-info-1-browser');
  await bo.page.keyboard.press('Escape');
  await joinChannel(bo.page, 'Launch');
  await expect(bo.page.getByTestId('conversation-topic')).toHaveText('Ship v2 by Friday');
  await expect(lines(bo.page)).toHaveText([/Ada set the topic: Ship v2 by Friday/, /You joined/]);
  await expect(lines(ada.page)).toHaveText([/You set the topic/, /Bo joined/]);

  // A plain member reads the About section but has no Edit.
  await bo.page.getByTestId('details-button').click();
  await expect(bo.page.getByTestId('details-description')).toHaveText(
    /Where the v2 launch is planned\.\s+Ask Ada for access/,
  );
  await expect(bo.page.getByTestId('details-about-edit')).toHaveCount(0);
  await both(bo.page, 'channel-info-2-details');
  await bo.page.getByTestId('details-close').click();

  // Rename and a new topic: both see the lines, and the header follows.
  await ada.page.getByTestId('details-rename').click();
  await ada.page.getByTestId('details-rename-input').fill('Launch v2');
  await ada.page.getByTestId('details-rename-save').click();
  await ada.page.getByTestId('details-about-edit').click();
  await ada.page.getByTestId('details-topic-input').fill('Freeze on Thursday');
  await ada.page.getByTestId('details-about-save').click();
  await ada.page.getByTestId('details-close').click();
  await send(ada.page, 'Freeze moved up a day');
  for (const [p, who] of [
    [bo.page, 'Ada'],
    [ada.page, 'You'],
  ] as const) {
    await expect(p.getByTestId('conversation-title')).toHaveText('Launch v2');
    await expect(p.getByTestId('conversation-topic')).toHaveText('Freeze on Thursday');
    await expect(lines(p)).toHaveCount(4);
    await expect(lines(p).nth(2)).toHaveText(
      new RegExp(`${who} renamed the channel to “Launch v2”`),
    );
    await expect(lines(p).nth(3)).toHaveText(
      new RegExp(`${who} set the topic: Freeze on Thursday`),
    );
  }
  // The message after a system line starts its own group (name shown).
  await both(bo.page, 'channel-info-3-header-and-lines');
});
