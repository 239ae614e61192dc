// The workspace's offline limit (issue 15, docs/identity.md "Offline, as before, with a
// limit"), end to end: a relay whose config says `offlineGraceDays: 1`, the real renderer in
// Chromium on its own origin (so it keeps running while the relay is down), offline for real
// (the relay stopped), and the page's clock moved two days on (Playwright's clock: the app's
// timers and Date see the jump; nothing in the app is told). Past the limit the workspace stays
// readable, writing is refused and the banner says why; with the relay back, writing works.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createConversation, messageWithText, send, syncState } from './fixtures/app';
import { screenshot } from './fixtures/screens';
import { useWorld } from './fixtures/world';

const dir = mkdtempSync(path.join(tmpdir(), 'ferry-e2e-grace-'));
const configFile = path.join(dir, 'ferry.json');
writeFileSync(configFile, JSON.stringify({ identity: { offlineGraceDays: 1 } }));
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { relay, person } = useWorld({}, { args: ['--config', configFile] });

test('offline past the workspace limit: everything readable, nothing written, and it says why', async ({
  browser,
}) => {
  const ada = await person(browser, 'Ada', {
    onPage: (page) => void page.clock.install(),
  });
  const { page } = ada;
  await createConversation(page, 'Expedition');
  await send(page, 'Written while connected');

  await relay.stop();
  // The relay is gone (the browser itself is online): the indicator says it cannot be reached.
  await expect(syncState(page)).toHaveAttribute('data-state', 'unreachable');
  // Within the limit nothing changes offline.
  await send(page, 'Written offline, within the limit');
  await expect(page.getByTestId('offline-limit')).toHaveCount(0);

  await page.clock.fastForward('48:00:00');
  const banner = page.getByTestId('offline-limit');
  await expect(banner).toContainText(
    'You have been offline for 2 days; connect to the company network to keep writing.',
  );
  // Everything stays readable; in place of the composer, the reason.
  await expect(messageWithText(page, 'Written while connected')).toHaveCount(1);
  await expect(messageWithText(page, 'Written offline, within the limit')).toHaveCount(1);
  await expect(page.getByTestId('composer')).toHaveCount(0);
  await expect(page.getByTestId('read-only-note')).toContainText('offline for 2 days');
  await screenshot(page, 'identity-offline-0-past-the-limit');

  // Back on the company network: the relay accepts the session again and writing is back.
  await relay.restart();
  await expect(syncState(page)).toHaveAttribute('data-state', 'synced', { timeout: 30_000 });
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId('read-only-note')).toHaveCount(0);
  await send(page, 'Written once back');
  await ada.context.close();
});
