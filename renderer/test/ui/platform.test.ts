import { describe, expect, it } from 'vitest';
import { createBrowserApi } from '../../src/platform/browser';
import { defaultServerUrl } from '../../src/platform';

/** The few parts of `window` the browser implementation touches. */
function fakeWindow() {
  const store = new Map<string, string>();
  const opened: string[] = [];
  const win = {
    localStorage: {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    },
    document: { title: 'Ferry' },
    navigator: {},
    open: (url: string) => void opened.push(url),
    focus: () => undefined,
  };
  return { win: win as unknown as Window, store, opened, doc: win.document };
}

describe('browser platform API', () => {
  it('opens only http, https and mailto links', async () => {
    const { win, opened } = fakeWindow();
    const api = createBrowserApi(win);
    expect(await api.openExternal('https://example.com')).toBe(true);
    expect(await api.openExternal('mailto:it@corp.example')).toBe(true);
    expect(await api.openExternal('javascript:alert(1)')).toBe(false);
    expect(await api.openExternal('file:///etc/passwd')).toBe(false);
    expect(await api.openExternal(`https://x.example/${'a'.repeat(3000)}`)).toBe(false);
    expect(opened).toEqual(['https://example.com', 'mailto:it@corp.example']);
  });

  it('raises a notification only when allowed; its click focuses the window and gives the target', () => {
    const { win } = fakeWindow();
    const shown: {
      title: string;
      options: NotificationOptions;
      n: { onclick?: () => void; closed: boolean };
    }[] = [];
    class FakeNotification {
      static permission = 'default';
      onclick?: () => void;
      closed = false;
      constructor(title: string, options: NotificationOptions) {
        shown.push({ title, options, n: this });
      }
      close() {
        this.closed = true;
      }
    }
    let focused = 0;
    Object.assign(win, { Notification: FakeNotification, focus: () => void focused++ });
    const api = createBrowserApi(win);
    const clicks: unknown[] = [];
    api.onNotificationClick((t) => clicks.push(t));
    const n = { title: 'Ada', body: 'Lunch?', conversationId: 'C1', messageId: 'M1' };
    api.notify(n);
    expect(shown).toHaveLength(0); // not granted: nothing, and nothing asked
    FakeNotification.permission = 'granted';
    api.notify(n);
    n.messageId = 'changed later';
    expect(shown[0]?.title).toBe('Ada');
    expect(shown[0]?.options).toMatchObject({ body: 'Lunch?', tag: 'C1' });
    shown[0]?.n.onclick?.();
    expect(focused).toBe(1);
    expect(shown[0]?.n.closed).toBe(true);
    expect(clicks).toEqual([{ conversationId: 'C1', messageId: 'M1' }]);
  });

  it('shows the unread count in the title', () => {
    const { win, doc } = fakeWindow();
    const api = createBrowserApi(win);
    api.setBadgeCount(4);
    expect(doc.title).toBe('(4) Ferry');
    api.setBadgeCount(0);
    expect(doc.title).toBe('Ferry');
  });

  it('keeps settings, and falls back to defaults on a damaged record', async () => {
    const { win, store } = fakeWindow();
    const api = createBrowserApi(win);
    expect((await api.getSettings()).updates).toBe(true);
    expect((await api.setSettings({ updates: false })).updates).toBe(false);
    expect((await api.getSettings()).updates).toBe(false);
    store.set('ferry.settings', '{not json');
    expect((await api.getSettings()).updates).toBe(true);
  });

  it('stores and deletes secrets; the browser has no policy', async () => {
    const { win } = fakeWindow();
    const api = createBrowserApi(win);
    await api.setSecret('refresh', 'abc');
    expect(await api.getSecret('refresh')).toBe('abc');
    await api.setSecret('refresh', null);
    expect(await api.getSecret('refresh')).toBeNull();
    expect(await api.getPolicy()).toEqual({ serverUrl: null, locked: [], sources: [], errors: [] });
    expect(api.kind).toBe('browser');
  });
});

describe('defaultServerUrl', () => {
  const loc = (href: string) => new URL(href) as unknown as Location;
  it('prefers the IT preset, then the serving origin, then the local default', () => {
    expect(defaultServerUrl('https://ferry.corp.example', loc('http://127.0.0.1:7880/'))).toBe(
      'https://ferry.corp.example',
    );
    expect(defaultServerUrl(null, loc('http://127.0.0.1:7880/index.html'))).toBe(
      'http://127.0.0.1:7880',
    );
    expect(defaultServerUrl(null, loc('app://ferry/index.html'))).toBe('http://127.0.0.1:7880');
  });
});
