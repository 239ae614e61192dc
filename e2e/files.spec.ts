// Files, images and voice messages end to end (issue 13): two people in two browser contexts, a
// real relay, the real renderer (D's data layer, R's relay). Ada's relay connection is cut for
// real (NetworkSwitch: sockets closed, the browser offline, and the files routes refused) while
// she attaches an image, a PDF and a recorded voice message (Chromium's fake microphone) and
// reloads; she reconnects and Bo sees all three, plays the voice message, and offline
// afterwards still opens the image. File names like an HTML payload or a right-to-left-override
// ".exe" show cleaned and never run anything.
import { expect, test, type Page } from '@playwright/test';
import {
  createConversation,
  messageWithText,
  openConversation,
  reopen,
  send,
  syncState,
  type Person,
} from './fixtures/app';
import { useWorld } from './fixtures/world';
import { screenshot } from './fixtures/screens';

const { relay, app, person } = useWorld();

/**
 * A real 96×64 PNG (a sunset), drawn and encoded by Chromium itself: the app must be able to
 * decode it to measure it and make its placeholder.
 */
async function sunsetPng(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(96, 64);
    const g = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
    const sky = g.createLinearGradient(0, 0, 0, 64);
    sky.addColorStop(0, '#f59e0b');
    sky.addColorStop(1, '#7c3aed');
    g.fillStyle = sky;
    g.fillRect(0, 0, 96, 64);
    g.fillStyle = '#fde68a';
    g.beginPath();
    g.arc(48, 46, 14, 0, Math.PI * 2);
    g.fill();
    const bytes = new Uint8Array(
      await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer(),
    );
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary);
  });
  return Buffer.from(base64, 'base64');
}
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/** The files routes refused too while Ada is "offline" (a reload briefly reports online). */
async function cutFiles(p: Person, on: boolean) {
  const pattern = `${relay.httpUrl}/api/v1/files/**`;
  if (on) await p.context.route(pattern, (r) => r.abort('internetdisconnected'));
  else await p.context.unroute(pattern);
}

async function bothSchemes(page: Page, name: string) {
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The row of the message holding a voice message. */
const voiceRow = (page: Page) =>
  page.getByTestId('message').filter({ has: page.getByTestId('voice-player') });

test('an image, a PDF and a voice message sent offline survive a reload, reach Bo, play, and open offline', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  // What the player or the file views could not do, printed (their plain words are on screen).
  bo.page.on('console', (m) => {
    if (/^(voice|files):/.test(m.text())) console.log(`[bo] ${m.text()}`);
  });
  await createConversation(ada.page, 'Site visit', ['bo']);
  await openConversation(bo.page, 'Site visit');
  await send(ada.page, 'Photos follow.');
  await expect(messageWithText(bo.page, 'Photos follow.')).toHaveCount(1);

  await cutFiles(ada, true);
  await ada.net.off();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'offline');

  // The image and the PDF through the Attach button's picker; the chips show name and size.
  await ada.page.getByTestId('attach-input').setInputFiles([
    { name: 'harbour.png', mimeType: 'image/png', buffer: await sunsetPng(ada.page) },
    { name: 'report.pdf', mimeType: 'application/pdf', buffer: PDF },
  ]);
  await expect(ada.page.getByTestId('composer-file')).toHaveCount(2);
  await expect(ada.page.getByTestId('composer-files')).toContainText('harbour.png');
  await expect(ada.page.getByTestId('composer-files')).toContainText('report.pdf');
  await bothSchemes(ada.page, 'files-1-composer');
  await ada.page.getByTestId('composer').fill('Harbour and the report');
  await ada.page.getByTestId('composer').press('Enter');
  const sent = messageWithText(ada.page, 'Harbour and the report');
  await expect(sent).toHaveAttribute('data-delivery', 'pending');
  await expect(ada.page.getByTestId('composer-file')).toHaveCount(0);
  // The local preview at once, offline, in a box of the image's own shape (measured on the
  // device: 96×64, shown whole, never upscaled) with its placeholder behind it.
  const image = sent.getByTestId('message-image');
  await expect(image).toHaveAttribute('data-loaded', 'true');
  expect(await image.boundingBox()).toMatchObject({ width: 96, height: 64 });
  await expect(image).toHaveCSS('background-image', /^url\("data:image\/png;base64,/);
  await expect(sent.getByTestId('file-card')).toHaveAttribute('data-name', 'report.pdf');

  // A voice message: click to start, watch the time run, click to stop and send.
  await ada.page.getByTestId('voice-record').click();
  await expect(ada.page.getByTestId('voice-recording')).toBeVisible();
  await expect(ada.page.getByTestId('voice-recording').getByTestId('voice-time')).toHaveText(
    '0:02',
  );
  await ada.page.getByTestId('voice-record').click();
  await expect(voiceRow(ada.page)).toHaveCount(1);

  // Reload while still offline: all three are kept, waiting.
  await ada.net.load(ada.page, app.url); // a new load of the app, the network still cut
  await reopen(ada.page, app.url, 'Site visit', ada.net);
  await expect(
    messageWithText(ada.page, 'Harbour and the report').getByTestId('message-image'),
  ).toHaveAttribute('data-loaded', 'true');
  await expect(voiceRow(ada.page)).toHaveCount(1);
  await expect(messageWithText(bo.page, 'Harbour and the report')).toHaveCount(0);

  // Back online: the messages and the bytes go out.
  await cutFiles(ada, false);
  await ada.net.on();
  await expect(syncState(ada.page)).toHaveAttribute('data-state', 'synced');
  await expect(ada.page.getByTestId('sync-detail')).not.toContainText('uploading');

  const got = messageWithText(bo.page, 'Harbour and the report');
  await expect(got.getByTestId('message-image')).toHaveAttribute('data-loaded', 'true');
  // Bo's box has the same shape before a byte arrived: the size travels in the message.
  expect(await got.getByTestId('message-image').boundingBox()).toMatchObject({
    width: 96,
    height: 64,
  });
  await expect(got.getByTestId('file-card')).toHaveAttribute('data-name', 'report.pdf');
  await expect(voiceRow(bo.page)).toHaveCount(1);
  const player = voiceRow(bo.page).getByTestId('voice-player');
  await player.getByTestId('voice-play').click();
  await expect(player).toHaveAttribute('data-playing', 'true');
  // The position moves (playing from the bytes, not just asked to), and nothing failed.
  await expect(player.getByTestId('voice-time')).toHaveText('0:01');
  await expect(player.getByRole('alert')).toHaveCount(0);
  await player.getByTestId('voice-speed').click();
  await expect(player.getByTestId('voice-speed')).toHaveText('1.5×');
  await bothSchemes(bo.page, 'files-2-message');

  // The viewer: opened from the thumbnail, Escape closes it.
  await got.getByTestId('message-image').getByRole('button').click();
  await expect(bo.page.getByTestId('viewer-image')).toBeVisible();
  await bothSchemes(bo.page, 'files-3-viewer');
  await bo.page.keyboard.press('Escape');
  await expect(bo.page.getByTestId('viewer-image')).toHaveCount(0);

  // Bo offline afterwards (and reloaded): the image opens from this device's cache.
  await bo.net.off();
  await bo.net.load(bo.page, app.url); // a new load of the app, the network still cut
  await reopen(bo.page, app.url, 'Site visit', bo.net);
  const again = messageWithText(bo.page, 'Harbour and the report');
  await expect(again.getByTestId('message-image')).toHaveAttribute('data-loaded', 'true');
  await again.getByTestId('message-image').getByRole('button').click();
  const shown = bo.page.getByTestId('viewer-image');
  await expect(shown).toBeVisible();
  await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(96);
});

test('an HTML-payload name and a right-to-left-override .exe show cleaned and run nothing', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada');
  const bo = await person(browser, 'Bo');
  const ran: string[] = [];
  for (const p of [ada.page, bo.page]) {
    p.on('dialog', (d) => {
      ran.push(d.message());
      void d.dismiss();
    });
  }
  await createConversation(ada.page, 'Odd names', ['bo']);
  await openConversation(bo.page, 'Odd names');
  const html = '<img src=x onerror=alert(1)>.html';
  await ada.page.getByTestId('attach-input').setInputFiles([
    {
      name: html,
      mimeType: 'text/html',
      buffer: Buffer.from('<script>alert("ran")</script><img src=x onerror=alert(2)>'),
    },
    {
      name: 'invoice\u202Efdp.exe',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('MZ fake'),
    },
  ]);
  await ada.page.getByTestId('composer').fill('Two odd ones');
  await ada.page.getByTestId('composer').press('Enter');

  const got = messageWithText(bo.page, 'Two odd ones');
  const cards = got.getByTestId('file-card');
  await expect(cards).toHaveCount(2);
  await expect(got.getByTestId('file-name').first()).toHaveText(html); // text, not markup
  await expect(got.locator('img')).toHaveCount(0);
  const exe = cards.filter({ hasText: 'fdp.exe' });
  await expect(exe.getByTestId('file-name')).toHaveText('invoice_fdp.exe');
  await expect(exe).toHaveAttribute('data-risky', 'true');

  // Open asks first; Cancel downloads nothing. Download saves under the clean name.
  await exe.getByTestId('file-open').click();
  await expect(bo.page.getByTestId('risky-file-dialog')).toBeVisible();
  await screenshot(bo.page, 'files-4-risky');
  await bo.page.getByTestId('risky-file-dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(bo.page.getByTestId('risky-file-dialog')).toHaveCount(0);
  await expect(exe.getByTestId('file-open')).toBeFocused(); // back where the person was
  const download = bo.page.waitForEvent('download');
  await exe.getByTestId('file-open').click();
  await bo.page.getByTestId('risky-download').click();
  expect((await download).suggestedFilename()).toBe('invoice_fdp.exe');

  // The HTML file: Open downloads it (it asks first too); nothing opens, nothing runs.
  const htmlCard = cards.filter({ hasText: '.html' });
  await expect(htmlCard).toHaveAttribute('data-risky', 'true');
  const pages = bo.context.pages().length;
  const saved = bo.page.waitForEvent('download');
  await htmlCard.getByTestId('file-save').click();
  // Chromium replaces the characters a file system would mind (`<`, `>`) on its own too.
  expect((await saved).suggestedFilename()).toBe('_img src=x onerror=alert(1)_.html');
  expect(bo.context.pages()).toHaveLength(pages);
  expect(ran).toEqual([]);
});
