// Errors people see are plain words (issue 12, defect 2), two people on a real relay: a message
// over the length limit is stopped in the composer (counter, Send disabled with the reason, an
// offer to send it as several messages that Bo then receives in order); being removed from a
// conversation shows the calm banner and no relay detail.
import { expect, test, type Page } from '@playwright/test';
import { createConversation, openConversation, send } from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

/** Developer text that must never reach a person. */
const DEVELOPER = /addMessage|relay refused|conv\/|\(44\d\d|limit is \d|Error:|undefined/;

async function visibleText(page: Page): Promise<string> {
  return page.locator('body').innerText();
}

test('a message over the limit is stopped before sending; the person may split it', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Long reads', ['bo']);
  await openConversation(bo.page, 'Long reads');
  const composer = ada.page.getByTestId('composer');

  // Below 90% of the limit: no counter.
  await composer.fill('A short note.');
  await expect(ada.page.getByTestId('composer-count')).toHaveCount(0);
  // From 90%: the counter; still sendable.
  const sentence = 'The harbour master logs every boat that comes in. ';
  await composer.fill(sentence.repeat(190).trim());
  await expect(ada.page.getByTestId('composer-count')).toHaveText('9,499 / 10,000');
  await expect(ada.page.getByTestId('send')).toBeEnabled();
  await expect(ada.page.getByTestId('composer-too-long')).toHaveCount(0);

  // Over: Send disabled with the reason; Enter sends nothing; the split is offered.
  const long = sentence.repeat(220).trim(); // 10,999 characters
  await composer.fill(long);
  await expect(ada.page.getByTestId('composer-count')).toHaveText('10,999 / 10,000');
  await expect(ada.page.getByTestId('send')).toBeDisabled();
  await expect(ada.page.getByTestId('composer-too-long')).toHaveText(
    'This message is 999 characters over the limit of 10,000. Shorten it, or send it as several messages.',
  );
  await expect(ada.page.getByTestId('send')).toHaveAttribute(
    'aria-describedby',
    (await ada.page.getByTestId('composer-too-long').getAttribute('id')) ?? 'missing',
  );
  await composer.press('Enter');
  await expect(ada.page.getByTestId('message')).toHaveCount(0);
  await expect(ada.page.getByTestId('composer-error')).toHaveCount(0);
  await expect(ada.page.getByTestId('composer-split')).toHaveText('Send as 2 messages');
  expect(await visibleText(ada.page)).not.toMatch(DEVELOPER);
  await screenshot(ada.page, 'long-message-1-over-limit');
  await ada.page.emulateMedia({ colorScheme: 'dark' });
  await ada.page.evaluate(() =>
    Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
  );
  await screenshot(ada.page, 'long-message-1-over-limit-dark');
  await ada.page.emulateMedia({ colorScheme: 'light' });

  // Ada chooses to split: two messages, in order, for both.
  await ada.page.getByTestId('composer-split').click();
  await expect(composer).toHaveValue('');
  await expect(ada.page.getByTestId('composer-limit')).toHaveCount(0);
  for (const p of [ada.page, bo.page]) {
    await expect(p.getByTestId('message')).toHaveCount(2);
    const texts = await p.getByTestId('message-markdown').allInnerTexts();
    expect(texts.map((t) => t.trim()).join(' ')).toBe(long);
  }
  await screenshot(bo.page, 'long-message-2-bo-received');
  await Promise.all([ada.context.close(), bo.context.close()]);
});

test('being removed shows the calm banner and no relay detail', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Crew only', ['bo']);
  await send(ada.page, 'Welcome aboard.');
  await openConversation(bo.page, 'Crew only');
  await expect(bo.page.getByTestId('message')).toHaveCount(1);

  await ada.page.getByTestId('details-button').click();
  const boRow = ada.page.locator('[data-testid="member"][data-role="member"]');
  await boRow.getByTestId('member-remove').click();
  await boRow.getByTestId('member-remove-confirm').click();
  await expect(ada.page.getByTestId('member')).toHaveCount(1);

  await expect(bo.page.getByTestId('removed-banner')).toContainText(
    'You were removed from this conversation.',
  );
  // The relay closes the rooms (4403): give the refusal time to arrive, then look at all of it.
  await expect
    .poll(() => bo.page.evaluate(() => document.querySelectorAll('[role="alert"]').length))
    .toBe(0);
  await bo.page.getByTestId('message-list').hover();
  await expect(bo.page.getByTestId('conversation-error')).toHaveCount(0);
  expect(await visibleText(bo.page)).not.toMatch(DEVELOPER);
  await screenshot(bo.page, 'removed-plain-words');
  await Promise.all([ada.context.close(), bo.context.close()]);
});
