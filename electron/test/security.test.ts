import { EventEmitter } from 'node:events';
import type { HandlerDetails, Session, WebContents, WindowOpenHandlerResponse } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { VERSION_ARG_PREFIX } from '../../core/src/desktop/api';
import {
  ALLOWED_PERMISSIONS,
  APP_ORIGIN,
  CONTENT_SECURITY_POLICY,
  createWindowOptions,
  externalUrl,
  hardenContents,
  installPermissionHandlers,
  isTrustedFrame,
  trustedOrigins,
} from '../src/security';

describe('BrowserWindow options (security checklist)', () => {
  const options = createWindowOptions({
    preload: '/app/preload.cjs',
    version: '1.2.3',
    bounds: { width: 900, height: 700 },
  });
  const web = options.webPreferences ?? {};

  it('isolates the renderer: contextIsolation, sandbox, no Node anywhere', () => {
    expect(web.contextIsolation).toBe(true);
    expect(web.sandbox).toBe(true);
    expect(web.nodeIntegration).toBe(false);
    expect(web.nodeIntegrationInWorker).toBe(false);
    expect(web.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps web security on and experimental or insecure features off', () => {
    expect(web.webSecurity).toBe(true);
    expect(web.allowRunningInsecureContent).toBe(false);
    expect(web.experimentalFeatures).toBe(false);
    expect(web.webviewTag).toBe(false);
    expect(web.navigateOnDragDrop).toBe(false);
  });

  it('loads only our preload and tells it the version', () => {
    expect(web.preload).toBe('/app/preload.cjs');
    expect(web.additionalArguments).toEqual([`${VERSION_ARG_PREFIX}1.2.3`]);
    expect(options.show).toBe(false);
    expect(options.width).toBe(900);
  });
});

describe('CSP', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );
  it('allows scripts only from the app, no inline or eval (WebAssembly only: hashing files)', () => {
    expect(directives.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(CONTENT_SECURITY_POLICY.replace("'wasm-unsafe-eval'", '')).not.toContain('unsafe-eval');
    expect(directives.get('default-src')).toEqual(["'none'"]);
  });
  it('forbids plugins, frames, base and form targets', () => {
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
  });
  it('plays media only from the app and object URLs (voice messages, issue 13)', () => {
    expect(directives.get('media-src')).toEqual(["'self'", 'blob:']);
  });
});

describe('external URLs', () => {
  it('passes http, https and mailto', () => {
    expect(externalUrl('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(externalUrl('http://intranet/wiki')).toBe('http://intranet/wiki');
    expect(externalUrl('mailto:it@example.com')).toBe('mailto:it@example.com');
  });
  it.each([
    'file:///etc/passwd',
    'javascript:alert(1)',
    'smb://share/x',
    'ms-settings:',
    'ferry://invite/abc',
    'https://user:pw@example.com/',
    'data:text/html,hi',
    'not a url',
    '',
    `https://example.com/${'a'.repeat(3000)}`,
  ])('refuses %s', (url) => {
    expect(externalUrl(url)).toBeNull();
  });
  it('refuses non-strings', () => {
    expect(externalUrl(42)).toBeNull();
    expect(externalUrl(undefined)).toBeNull();
  });
});

class FakeContents extends EventEmitter {
  openHandler: ((d: HandlerDetails) => WindowOpenHandlerResponse) | null = null;
  setWindowOpenHandler(handler: (d: HandlerDetails) => WindowOpenHandlerResponse): void {
    this.openHandler = handler;
  }
  getURL(): string {
    return `${APP_ORIGIN}/index.html`;
  }
}
const fakeEvent = (extra: object = {}): { preventDefault: () => void; prevented: boolean } => {
  const e = { prevented: false, preventDefault: () => void (e.prevented = true), ...extra };
  return e;
};

describe('navigation and new windows', () => {
  const setup = () => {
    const contents = new FakeContents();
    const openExternal = vi.fn(async (_url: string) => undefined);
    hardenContents(contents as unknown as WebContents, {
      origins: trustedOrigins(null),
      openExternal,
    });
    return { contents, openExternal };
  };

  it('blocks navigation to any other origin, allows in-app reloads', () => {
    const { contents } = setup();
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'app://other/index.html',
      'ferry://x',
    ]) {
      const e = fakeEvent();
      contents.emit('will-navigate', e, url);
      expect(e.prevented, url).toBe(true);
      const r = fakeEvent();
      contents.emit('will-redirect', r, url);
      expect(r.prevented, url).toBe(true);
    }
    const same = fakeEvent();
    contents.emit('will-navigate', same, `${APP_ORIGIN}/index.html#/c/1`);
    expect(same.prevented).toBe(false);
  });

  it('blocks sub-frame navigation and <webview>', () => {
    const { contents } = setup();
    const sub = fakeEvent({ isMainFrame: false });
    contents.emit('will-frame-navigate', sub);
    expect(sub.prevented).toBe(true);
    const wv = fakeEvent();
    contents.emit('will-attach-webview', wv, {}, {});
    expect(wv.prevented).toBe(true);
  });

  it('denies every window.open; http(s)/mailto go to the system browser, others nowhere', () => {
    const { contents, openExternal } = setup();
    const open = (url: string) => contents.openHandler?.({ url } as HandlerDetails);
    expect(open('https://example.com/doc')).toEqual({ action: 'deny' });
    expect(open('mailto:a@b.c')).toEqual({ action: 'deny' });
    expect(open('file:///C:/Windows/System32/calc.exe')).toEqual({ action: 'deny' });
    expect(open('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(openExternal.mock.calls.map((c) => c[0])).toEqual([
      'https://example.com/doc',
      'mailto:a@b.c',
    ]);
  });
});

describe('permission handlers', () => {
  type RequestHandler = Parameters<Session['setPermissionRequestHandler']>[0];
  type CheckHandler = Parameters<Session['setPermissionCheckHandler']>[0];
  const setup = () => {
    const h: {
      request?: RequestHandler;
      check?: CheckHandler;
      device?: unknown;
      display?: unknown;
    } = {};
    const session = {
      setPermissionRequestHandler: (fn: RequestHandler) => void (h.request = fn),
      setPermissionCheckHandler: (fn: CheckHandler) => void (h.check = fn),
      setDevicePermissionHandler: (fn: unknown) => void (h.device = fn),
      setDisplayMediaRequestHandler: (fn: unknown) => void (h.display = fn),
    };
    installPermissionHandlers(session as unknown as Session, trustedOrigins(null));
    const request = (permission: string, url: string): boolean => {
      let granted: boolean | undefined;
      const contents = { getURL: () => url } as unknown as WebContents;
      h.request?.(contents, permission as never, (g) => void (granted = g), {
        requestingUrl: url,
      } as never);
      return granted === true;
    };
    const check = (permission: string, origin: string): boolean =>
      h.check?.(null, permission as never, origin, {} as never) ?? true;
    return { h, request, check };
  };

  it('grants allowlisted permissions to the app origin only', () => {
    const { request, check } = setup();
    for (const p of ALLOWED_PERMISSIONS) {
      expect(request(p, `${APP_ORIGIN}/index.html`), p).toBe(true);
      expect(check(p, APP_ORIGIN), p).toBe(true);
      expect(request(p, 'https://evil.example/'), p).toBe(false);
      expect(check(p, 'https://evil.example'), p).toBe(false);
    }
  });

  it('denies everything else: camera, geolocation, notifications, HID, serial, USB, display capture', () => {
    const { request, check, h } = setup();
    for (const p of [
      'media',
      'geolocation',
      'notifications',
      'hid',
      'serial',
      'usb',
      'midiSysex',
      'openExternal',
      'clipboard-read',
      'display-capture',
    ]) {
      expect(request(p, `${APP_ORIGIN}/index.html`), p).toBe(false);
      expect(check(p, APP_ORIGIN), p).toBe(false);
    }
    expect((h.device as () => boolean)()).toBe(false);
    let streams: unknown = 'unset';
    (h.display as (r: unknown, cb: (s: unknown) => void) => void)({}, (s) => (streams = s));
    expect(streams).toBeNull();
  });
});

describe('IPC sender frame check', () => {
  const origins = trustedOrigins(null);
  it('trusts only our top-level frame', () => {
    expect(isTrustedFrame({ url: `${APP_ORIGIN}/index.html`, parent: null }, origins)).toBe(true);
    expect(isTrustedFrame({ url: `${APP_ORIGIN}/index.html`, parent: {} as never }, origins)).toBe(
      false,
    );
    expect(isTrustedFrame({ url: 'https://evil.example/', parent: null }, origins)).toBe(false);
    expect(isTrustedFrame({ url: 'file:///index.html', parent: null }, origins)).toBe(false);
    expect(isTrustedFrame(null, origins)).toBe(false);
  });
  it('trusts the dev server only when it is configured', () => {
    expect(isTrustedFrame({ url: 'http://127.0.0.1:5173/', parent: null }, origins)).toBe(false);
    const dev = trustedOrigins('http://127.0.0.1:5173/');
    expect(isTrustedFrame({ url: 'http://127.0.0.1:5173/#/x', parent: null }, dev)).toBe(true);
  });
});
