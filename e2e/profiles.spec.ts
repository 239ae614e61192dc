// Profiles end to end (issue 5, docs/messaging.md "Profiles"): two people in two browser
// contexts, a real relay, the real renderer. Ada, with her network cut, sets a status and
// uploads a picture (a PNG drawn in the test, scaled to 128×128 by the app) from Edit profile
// reached with the keyboard; both show on her side at once. Back online, Bo sees her picture on
// her message row and her status in the DM header and in her profile card, which he opens from
// her name with the keyboard; "Message" there opens their DM. A file that is not a picture, a
// broken one and one over 15 MB are refused with a sentence each, and nothing changes.
import { expect, test, type Page } from '@playwright/test';
import { messageWithText, openConversation, openDm, send, syncState } from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { person } = useWorld();

/** A 200×120 PNG drawn in the page (a red disc on blue), as bytes for setInputFiles. */
async function drawnPng(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(200, 120);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    ctx.fillStyle = '#1d4ed8';
    ctx.fillRect(0, 0, 200, 120);
    ctx.fillStyle = '#ef4444';
    ctx.beginPath();
    ctx.arc(100, 60, 45, 0, Math.PI * 2);
    ctx.fill();
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

const STATUS = 'On the night ferry, back Monday';

test('Ada sets a status and a picture offline; Bo sees them once she is back', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  await openDm(ada.page, 'bo', 'Bo');
  await send(ada.page, 'Boarding now');
  await openConversation(bo.page, 'Ada');
  const adaRow = messageWithText(bo.page, 'Boarding now');
  await expect(adaRow).toHaveCount(1);
  // No picture yet: initials.
  await expect(adaRow.getByTestId('avatar-picture')).toHaveCount(0);
  await expect(adaRow.getByTestId('message-avatar')).toHaveText('A');

  // Ada's network goes; Edit profile through Settings with the keyboard.
  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');
  await ada.page.keyboard.press('Control+,');
  await expect(ada.page.getByTestId('settings-dialog')).toBeVisible();
  await ada.page.getByTestId('settings-edit-profile').focus();
  await ada.page.keyboard.press('Enter');
  const dialog = ada.page.getByTestId('edit-profile-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('edit-profile-status').focus();
  await ada.page.keyboard.type(STATUS);
  await ada.page.keyboard.press('Enter');
  await expect(dialog.getByTestId('edit-profile-status-message')).toHaveText(
    'Saved on this device; it syncs when you are back online.',
  );

  // Not a picture: refused, said why, nothing changes.
  await dialog.getByTestId('edit-profile-file').setInputFiles({
    name: 'boarding-pass.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4 not a picture'),
  });
  await expect(dialog.getByTestId('edit-profile-picture-message')).toHaveText(
    '“boarding-pass.pdf” is not a picture. Choose a PNG, JPEG, WebP or GIF.',
  );
  await expect(dialog.getByTestId('avatar-picture')).toHaveCount(0);
  // Says it is a PNG but is not one; a picture too big to take.
  await dialog.getByTestId('edit-profile-file').setInputFiles({
    name: 'broken.png',
    mimeType: 'image/png',
    buffer: Buffer.from('not really a png'),
  });
  await expect(dialog.getByTestId('edit-profile-picture-message')).toHaveText(
    '“broken.png” could not be read as a picture.',
  );
  await dialog.getByTestId('edit-profile-file').setInputFiles({
    name: 'huge.png',
    mimeType: 'image/png',
    buffer: Buffer.alloc(16 * 1024 * 1024),
  });
  await expect(dialog.getByTestId('edit-profile-picture-message')).toHaveText(
    '“huge.png” is 16.0 MB; choose a picture under 15 MB.',
  );
  await expect(dialog.getByTestId('avatar-picture')).toHaveCount(0);

  // A picture: scaled on this device, shown at once (offline).
  await dialog.getByTestId('edit-profile-file').setInputFiles({
    name: 'me.png',
    mimeType: 'image/png',
    buffer: await drawnPng(ada.page),
  });
  const preview = dialog.getByTestId('avatar-picture');
  await expect(preview).toHaveAttribute('src', /^data:image\/(webp|jpeg);base64,/);
  const stored = (await preview.getAttribute('src')) ?? '';
  expect(stored.length).toBeLessThanOrEqual(48_000);
  const size = await preview.evaluate((img: HTMLImageElement) => [
    img.naturalWidth,
    img.naturalHeight,
  ]);
  expect(size).toEqual([128, 128]);
  await screenshot(ada.page, 'profiles-1-ada-edits-offline');
  await ada.page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(ada.page.getByTestId('me-status')).toHaveText(STATUS);
  await expect(
    messageWithText(ada.page, 'Boarding now').getByTestId('avatar-picture'),
  ).toHaveAttribute('src', stored);
  // Bo still sees the old profile: it has not left Ada's device.
  await expect(adaRow.getByTestId('avatar-picture')).toHaveCount(0);

  // Back online: Bo gets both.
  await ada.net.on();
  await expect(adaRow.getByTestId('avatar-picture')).toHaveAttribute('src', stored, {
    timeout: 30_000,
  });
  await expect(bo.page.getByTestId('conversation-dm-status')).toHaveText(STATUS);
  await screenshot(bo.page, 'profiles-2-bo-sees-picture');

  // The card, with the keyboard: focus Ada's message, Tab to her name, Enter.
  await adaRow.focus();
  await bo.page.keyboard.press('Tab');
  await expect(adaRow.getByTestId('message-author')).toBeFocused();
  await bo.page.keyboard.press('Enter');
  const card = bo.page.getByTestId('profile-card');
  await expect(card).toBeVisible();
  await expect(card.getByTestId('profile-card-name')).toHaveText('Ada');
  await expect(card.getByTestId('profile-card-username')).toHaveText('@ada');
  await expect(card.getByTestId('profile-card-status')).toHaveText(STATUS);
  await expect(card.getByTestId('profile-card-presence')).toContainText('Online');
  await expect(card.getByTestId('avatar-picture')).toHaveAttribute('src', stored);
  await screenshot(bo.page, 'profiles-3-bo-opens-ada-card');
  await bo.page.keyboard.press('Escape');
  await expect(card).toBeHidden();
  await expect(adaRow.getByTestId('message-author')).toBeFocused();

  // A popover: beside the avatar that opened it; a click outside closes it.
  await adaRow.getByTestId('message-avatar').click();
  await expect(card).toBeVisible();
  const [cardBox, avatarBox] = [
    await card.boundingBox(),
    await adaRow.getByTestId('message-avatar').boundingBox(),
  ];
  expect(cardBox && avatarBox && Math.abs(cardBox.x - avatarBox.x) < 40).toBe(true);
  await bo.page.mouse.click(1000, 10);
  await expect(card).toBeHidden();

  // From the card, "Message" opens the DM.
  await adaRow.getByTestId('message-avatar').click();
  await expect(card).toBeVisible();
  await card.getByTestId('profile-card-message').click();
  await expect(card).toBeHidden();
  await expect(bo.page.getByTestId('conversation-title')).toHaveText('Ada');

  // Ada clears her status and removes her picture: Bo sees initials again.
  await ada.page.getByTestId('edit-profile-button').click();
  await dialog.getByTestId('edit-profile-clear-status').click();
  await dialog.getByTestId('edit-profile-remove-picture').click();
  await ada.page.keyboard.press('Escape');
  await expect(adaRow.getByTestId('avatar-picture')).toHaveCount(0, { timeout: 30_000 });
  await expect(bo.page.getByTestId('conversation-dm-status')).toHaveCount(0);
  await ada.context.close();
  await bo.context.close();
});
