// The harness itself: the relay fixture really serves the built app, really stops (SIGTERM and
// kill -9) and comes back on the same port with the same data.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import {
  createConversation,
  messageWithText,
  openConversation,
  send,
  submitSignIn,
  syncState,
} from './fixtures/app';
import { RelayProcess, useRelay } from './fixtures/relay';
import { screenshot } from './fixtures/screens';

const relay = useRelay();

/** A stock y-websocket client in the test process; resolves once synced with the relay. */
async function client(
  target: RelayProcess,
  room: string,
): Promise<{ doc: Y.Doc; close: () => void }> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(target.wsUrl, room, doc, {
    // ws implements the browser WebSocket surface the provider uses.
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 200,
  });
  await new Promise<void>((resolve) => {
    if (provider.synced) resolve();
    else provider.once('sync', (synced: boolean) => synced && resolve());
  });
  return {
    doc,
    close: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

test('serves the built web client at /', async ({ page, request }) => {
  const response = await request.get(relay.httpUrl);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('text/html');
  await page.goto(relay.httpUrl);
  await expect(page).toHaveTitle(/Ferry/);
  await screenshot(page, 'relay-serves-app');
});

test('two people use the web client the relay serves, with no desktop app', async ({ browser }) => {
  const people = await Promise.all(
    ['Ada', 'Bo'].map(async (name) => {
      await relay.createUser(name.toLowerCase(), { displayName: name });
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(relay.httpUrl);
      // The sign-in form proposes the relay that served the page.
      await expect(page.getByTestId('sign-in-server')).toHaveValue(relay.httpUrl);
      await submitSignIn(page, relay.httpUrl, name.toLowerCase());
      await expect(page.getByTestId('workspace')).toBeVisible();
      return { context, page };
    }),
  );
  const [ada, bo] = people as [(typeof people)[0], (typeof people)[0]];
  await createConversation(ada.page, 'Web client', ['bo']);
  await openConversation(bo.page, 'Web client');
  await send(ada.page, 'Hello from the browser.');
  await expect(messageWithText(bo.page, 'Hello from the browser.')).toHaveCount(1);
  // Files too: the relay's own CSP header lets the app hash them ('wasm-unsafe-eval'), and Bo
  // saves the same bytes.
  await ada.page.getByTestId('attach-input').setInputFiles({
    name: 'agenda.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('1. Ship it.\n'),
  });
  await ada.page.getByTestId('composer').fill('The agenda');
  await ada.page.getByTestId('composer').press('Enter');
  const card = messageWithText(bo.page, 'The agenda').getByTestId('file-card');
  await expect(card).toHaveAttribute('data-name', 'agenda.txt');
  const saved = bo.page.waitForEvent('download');
  await card.getByTestId('file-save').click();
  const download = await saved;
  expect(download.suggestedFilename()).toBe('agenda.txt');
  expect(readFileSync((await download.path()) as string, 'utf8')).toBe('1. Ship it.\n');
  await screenshot(bo.page, 'relay-web-client-bo');
  await Promise.all(people.map((p) => p.context.close()));
});

test('a stopped relay refuses connections; restarted, it has the same port and data', async ({
  request,
}) => {
  // Stock y-websocket clients without accounts: a second relay with --no-auth (loopback only),
  // the mode the relay keeps for interop tests and benchmarks.
  const relay = await RelayProcess.start({ web: null, args: ['--no-auth'] });
  try {
    const port = relay.port;
    const writer = await client(relay, 'e2e/harness');
    writer.doc.getMap('m').set('a', 'written before SIGTERM');
    // The relay forwards an update only after it is stored: once a second client sees it, it is durable.
    const reader = await client(relay, 'e2e/harness');
    await expect.poll(() => reader.doc.getMap('m').get('a')).toBe('written before SIGTERM');
    writer.close();
    reader.close();

    await relay.stop();
    expect(relay.running).toBe(false);
    await expect(request.get(`${relay.httpUrl}/healthz`)).rejects.toThrow();

    await relay.restart();
    expect(relay.port).toBe(port);
    expect((await request.get(`${relay.httpUrl}/healthz`)).ok()).toBe(true);
    const fresh = await client(relay, 'e2e/harness');
    expect(fresh.doc.getMap('m').get('a')).toBe('written before SIGTERM');

    const watcher = await client(relay, 'e2e/harness');
    fresh.doc.getMap('m').set('b', 'written before kill -9');
    await expect.poll(() => watcher.doc.getMap('m').get('b')).toBe('written before kill -9');
    fresh.close();
    watcher.close();

    const pid = relay.pid;
    await relay.kill();
    expect(relay.running).toBe(false);
    expect(() => process.kill(pid ?? -1, 0)).toThrow();

    await relay.restart();
    expect(relay.port).toBe(port);
    const after = await client(relay, 'e2e/harness');
    expect(after.doc.getMap('m').toJSON()).toEqual({
      a: 'written before SIGTERM',
      b: 'written before kill -9',
    });
    after.close();
  } finally {
    await relay.dispose();
  }
});

test('the web client the relay serves opens with the relay down, with its history', async ({
  browser,
}) => {
  await relay.createUser('ada', { displayName: 'Ada' });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(relay.httpUrl);
  await submitSignIn(page, relay.httpUrl, 'ada');
  await createConversation(page, 'Kept offline');
  await send(page, 'Written before the relay went down.');
  await expect(messageWithText(page, 'Written before the relay went down.')).toHaveAttribute(
    'data-delivery',
    'stored',
  );
  // The service worker has kept the app's files once it controls the page.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

  await relay.stop();
  await expect(page.request.get(`${relay.httpUrl}/healthz`)).rejects.toThrow();
  await page.reload();
  await expect(page.getByTestId('workspace')).toBeVisible();
  // The browser is online, the relay is not: the status says so instead of "Connecting…".
  await expect(syncState(page)).toHaveAttribute('data-state', 'unreachable');
  await openConversation(page, 'Kept offline');
  await expect(messageWithText(page, 'Written before the relay went down.')).toHaveCount(1);
  await screenshot(page, 'relay-down-web-client-reloaded');
  await context.close();
  await relay.restart();
});
