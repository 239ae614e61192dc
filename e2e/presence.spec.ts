// Awareness of others end to end (issue 5): two people in two browser contexts, a real relay,
// the real renderer. Bo sees Ada online in their DM, sees her typing (and the line clear when
// she sends), Ada's message says "Seen by Bo" once he has it open, and Ada goes offline for Bo
// when her network is cut for real (NetworkSwitch). Away: Dee's clock (Playwright's) jumps past
// the away delay, Cy sees her away, then online at her next key. Then: the "New messages"
// divider and the jump to the first unread message.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageWithText,
  openConversation,
  openDm,
  send,
  syncState,
} from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

const dot = (page: Page) => page.getByTestId('conversation').getByTestId('presence-dot');

test('Bo sees Ada online, typing, her message seen by him, then offline when her network is cut', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await openDm(ada.page, 'bo', 'Bo');
  await send(ada.page, 'Hi Bo, got a minute?');
  await openConversation(bo.page, 'Ada');
  await expect(messageWithText(bo.page, 'Hi Bo, got a minute?')).toHaveCount(1);

  await expect(dot(bo.page)).toHaveAttribute('data-presence', 'online');
  await expect(dot(ada.page)).toHaveAttribute('data-presence', 'online');
  await expect(dot(bo.page)).toContainText('Ada is online');

  // Seen: Bo has the DM open at the bottom, so Ada's message says he saw it.
  await expect(ada.page.getByTestId('seen-by')).toHaveText('Seen by Bo');

  // Typing: shown to Bo (never to Ada herself), cleared when she sends.
  const typing = bo.page.getByTestId('typing-line');
  await ada.page.getByTestId('composer').pressSequentially('Let me check the');
  await expect(typing).toHaveText('Ada is typing…');
  await expect(typing).toHaveAttribute('aria-live', 'polite');
  await expect(ada.page.getByTestId('typing-line')).toHaveText('');
  await screenshot(bo.page, 'presence-1-bo-sees-ada-typing');
  await ada.page.getByTestId('composer').pressSequentially(' schedule');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(messageWithText(bo.page, 'Let me check the schedule')).toHaveCount(1);
  await expect(typing).toHaveText('');
  // "Seen by" moves to the newest message Bo has read (only one carries it).
  await expect(ada.page.getByTestId('seen-by')).toHaveCount(1);
  await expect(
    messageWithText(ada.page, 'Let me check the schedule')
      .locator('xpath=..')
      .getByTestId('seen-by'),
  ).toHaveText('Seen by Bo');
  await screenshot(ada.page, 'presence-2-ada-seen-by-bo');

  // Ada's network goes: her socket is gone, Bo sees her offline; back: online again.
  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  await expect(dot(bo.page)).toHaveAttribute('data-presence', 'offline', { timeout: 30_000 });
  await screenshot(bo.page, 'presence-3-ada-offline');
  await ada.net.on();
  await expect(dot(bo.page)).toHaveAttribute('data-presence', 'online', { timeout: 30_000 });
  await ada.context.close();
  await bo.context.close();
});

test('opening a conversation with unread messages: the divider, and a jump to the first unread', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await createConversation(ada.page, 'Backlog', ['bo']);
  await send(ada.page, 'Read before the backlog');
  await openConversation(bo.page, 'Backlog');
  await expect(messageWithText(bo.page, 'Read before the backlog')).toHaveCount(1);
  // Bo leaves for another conversation; Ada writes a long backlog meanwhile.
  await createConversation(bo.page, 'Elsewhere', []);
  for (let i = 1; i <= 30; i++) await send(ada.page, `Backlog item ${i}`);
  const item = bo.page.getByTestId('conversation-item').filter({ hasText: 'Backlog' });
  await expect(item).toHaveAttribute('data-unread', '30');

  await openConversation(bo.page, 'Backlog');
  await expect(messageWithText(bo.page, 'Backlog item 30')).toHaveCount(1);
  const jump = bo.page.getByTestId('jump-to-unread');
  await expect(jump).toBeVisible();
  await screenshot(bo.page, 'presence-4-jump-to-unread');
  await jump.click();
  const divider = bo.page.getByTestId('new-divider');
  await expect(divider).toBeVisible();
  await expect(divider).toHaveAttribute('role', 'separator');
  // The divider sits right above the first unread message.
  await expect(messageWithText(bo.page, 'Backlog item 1')).toBeFocused();
  await expect(jump).toHaveCount(0);
  await screenshot(bo.page, 'presence-5-new-messages-divider');
  await ada.context.close();
  await bo.context.close();
});

test('Cy sees Dee away once she is idle past the away delay, online at her next key, offline when her network is cut', async ({
  browser,
}) => {
  // Two people of their own: the relay is shared by this file's tests, and Bo's list already
  // holds conversations whose previews say "Ada: …".
  // Dee's clock is Playwright's: it runs as usual until the test jumps it forward.
  const dee = await person(browser, 'Dee', {
    prepare: (context) => context.clock.install(),
  });
  const cy = await person(browser, 'Cy');
  await openDm(dee.page, 'cy', 'Cy');
  await send(dee.page, 'Back in five.');
  await openConversation(cy.page, 'Dee');
  await expect(messageWithText(cy.page, 'Back in five.')).toHaveCount(1);
  await expect(dot(cy.page)).toHaveAttribute('data-presence', 'online');

  // Five and a half minutes without a key or a click (the away delay is five).
  await dee.page.clock.fastForward('05:30');
  await expect(dot(cy.page)).toHaveAttribute('data-presence', 'away', { timeout: 30_000 });
  await expect(dot(cy.page)).toContainText('Dee is away');
  await screenshot(cy.page, 'presence-6-dee-away');

  // A key in Dee's window: online again for Cy.
  await dee.page.getByTestId('composer').press('Shift');
  await expect(dot(cy.page)).toHaveAttribute('data-presence', 'online', { timeout: 30_000 });
  await expect(dot(cy.page)).toContainText('Dee is online');

  // Her socket is cut for real: offline.
  await dee.net.off();
  await expect(dot(cy.page)).toHaveAttribute('data-presence', 'offline', { timeout: 30_000 });
  await dee.context.close();
  await cy.context.close();
});
