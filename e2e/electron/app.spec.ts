// The real desktop app, driven by Playwright's _electron. Needs the Electron binary, which
// these build machines cannot download (TOOLCHAIN.md): here every test skips with the reason
// printed once; .github/workflows/desktop.yml runs them on Windows, macOS and Linux (xvfb).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron, expect, test } from '@playwright/test';
import type { ElectronApplication, Page } from '@playwright/test';
import type { DeepLink, FerryDesktopApi } from '../../core/src/desktop/api';
import { buildElectron, electronBinary } from '../../scripts/build-electron.mjs';
import { useRelay } from '../fixtures/relay';
import { repoRoot } from '../fixtures/paths';
import { screenshot } from '../fixtures/screens';

type FerryPage = Window & { ferry?: FerryDesktopApi; __links?: DeepLink[] };

const binary = electronBinary();
const skipReason = 'reason' in binary ? binary.reason : '';
// The desktop workflow sets this, so a runner without the binary fails instead of skipping.
if (skipReason && process.env['FERRY_REQUIRE_ELECTRON'] === '1') {
  throw new Error(`FERRY_REQUIRE_ELECTRON=1 but ${skipReason}`);
}
if (skipReason) console.log(`electron e2e skipped: ${skipReason}`);
test.skip(skipReason !== '', skipReason);

const relay = useRelay();
let app: ElectronApplication;
let page: Page;
let profile: string;

function env(): Record<string, string> {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) e[k] = v;
  delete e['ELECTRON_RUN_AS_NODE'];
  return { ...e, FERRY_USER_DATA_DIR: profile, FERRY_SERVER_URL: relay.httpUrl };
}

test.beforeAll(async () => {
  await buildElectron();
});

test.beforeEach(async () => {
  profile = mkdtempSync(path.join(os.tmpdir(), 'ferry-electron-profile-'));
  app = await _electron.launch({
    executablePath: binary.path ?? undefined,
    args: ['.'],
    cwd: repoRoot,
    env: env(),
  });
  page = await app.firstWindow();
  // The window exists before main has loaded the app into it.
  await page.waitForURL('app://ferry/index.html');
  await page.waitForLoadState('domcontentloaded');
});

test.afterEach(async () => {
  await app?.close();
  rmSync(profile, { recursive: true, force: true });
});

test('loads the renderer from app:// with the CSP, no Node in the page', async () => {
  expect(page.url()).toBe('app://ferry/index.html');
  const page_ = await page.evaluate(async () => {
    const res = await fetch('app://ferry/index.html');
    return {
      csp: res.headers.get('content-security-policy'),
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
    };
  });
  expect(page_.csp).toContain("script-src 'self'");
  expect(page_.require).toBe('undefined');
  expect(page_.process).toBe('undefined');
  await screenshot(page, 'electron-first-window');
});

test('window.ferry is the typed desktop API, with the relay preset', async () => {
  const info = await page.evaluate(async () => {
    const f = (window as FerryPage).ferry;
    if (!f) return null;
    return {
      kind: f.kind,
      keys: Object.keys(f).sort(),
      policy: await f.getPolicy(),
      settings: await f.getSettings(),
    };
  });
  expect(info?.kind).toBe('electron');
  expect(info?.policy.serverUrl).toBe(relay.httpUrl);
  expect(info?.settings.minimizeToTray).toBe(true);
  await page.evaluate(() => (window as FerryPage).ferry?.setBadgeCount(3));
});

test('window.open and file: links are refused; no second window', async () => {
  const opened = await page.evaluate(() => window.open('file:///etc/hosts') === null);
  expect(opened).toBe(true);
  expect(
    await page.evaluate(() => (window as FerryPage).ferry?.openExternal('file:///etc/hosts')),
  ).toBe(false);
  expect(app.windows()).toHaveLength(1);
});

test('a second start forwards its ferry:// link to the running app and exits', async () => {
  await page.evaluate(() => {
    const w = window as FerryPage;
    w.__links = [];
    w.ferry?.onDeepLink((l) => w.__links?.push(l));
  });
  const second = spawn(binary.path ?? '', ['.', 'ferry://conversation/0123456789ABCDEF'], {
    cwd: repoRoot,
    env: env(),
    stdio: 'ignore',
  });
  const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
  expect(code).toBe(0);
  await page.waitForFunction(() => ((window as FerryPage).__links?.length ?? 0) > 0);
  expect(await page.evaluate(() => (window as FerryPage).__links)).toEqual([
    { kind: 'conversation', conversationId: '0123456789ABCDEF', serverUrl: null },
  ]);
});

test('a notification the page raises: main shows it, its click hands the target to the page through the preload', async () => {
  // Main's notifications are recorded instead of shown (a CI desktop may have no notification
  // daemon); the click is what the OS would emit on the real object.
  await app.evaluate(({ Notification }) => {
    const shown: Electron.Notification[] = [];
    Object.assign(globalThis, { __ferryShown: shown });
    Notification.isSupported = () => true;
    Notification.prototype.show = function (this: Electron.Notification) {
      shown.push(this);
    };
  });
  const MSG = '0lq3x8k2a-0001-ABCDEFGHJKMNPQRS';
  await page.evaluate((messageId) => {
    const w = window as FerryPage & { __targets?: unknown[] };
    w.__targets = [];
    w.ferry?.onNotificationClick((t) => w.__targets?.push(t));
    // Not a conversation id: refused (by the preload, and main would too).
    w.ferry?.notify({ title: 'x', body: 'y', conversationId: '../etc' });
    w.ferry?.notify({
      title: 'Ada',
      body: 'Lunch?',
      conversationId: '0123456789ABCDEF',
      messageId,
    });
  }, MSG);
  const shown = () =>
    app.evaluate(() =>
      (globalThis as unknown as { __ferryShown: Electron.Notification[] }).__ferryShown.map(
        (n) => ({ title: n.title, body: n.body }),
      ),
    );
  await expect.poll(shown).toEqual([{ title: 'Ada', body: 'Lunch?' }]);
  await app.evaluate(() =>
    (globalThis as unknown as { __ferryShown: Electron.Notification[] }).__ferryShown[0]?.emit(
      'click',
    ),
  );
  await page.waitForFunction(
    () => ((window as FerryPage & { __targets?: unknown[] }).__targets?.length ?? 0) > 0,
  );
  expect(
    await page.evaluate(() => (window as FerryPage & { __targets?: unknown[] }).__targets),
  ).toEqual([{ conversationId: '0123456789ABCDEF', messageId: MSG }]);
});
