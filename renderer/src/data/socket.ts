// The authenticated `/_mux` socket (docs/accounts.md, Sockets; README.md, Accounts):
// - every (re)connect refreshes the access token first when it is about to expire, then opens
//   the socket with `?token=`; this module, not the mux, owns reconnecting and its back-off;
// - while connected, a minute before expiry it refreshes and sends the new token in an AUTH
//   frame on the open socket;
// - 4401 `token expired` / `not authenticated`: refresh and reconnect; 4401 `session ended`,
//   or a refresh answered `session-ended`: the session is over, stop reconnecting (local data
//   is kept; the client shows `auth: ended`).
import { MuxConnection, type WebSocketConstructor } from '../../../core/src/protocol/mux-client';
import { ApiError, type Connection } from './api';
import { endedOf, type Auth } from './auth';
import type { Transport } from './docs';

export interface AuthedMuxOptions {
  /** `ws(s)://host/path/_mux` without query. */
  url: string;
  WebSocket: WebSocketConstructor;
  auth: Auth;
  online: boolean;
  now?: () => number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class AuthedMux {
  readonly mux: MuxConnection;
  private wantOnline: boolean;
  private closed = false;
  private attempts = 0;
  private failed = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private dialing = false;
  private openedAt = 0;
  private quick401 = 0;
  private muxStatus = 'offline';
  private readonly listeners = new Set<(c: Connection) => void>();
  private readonly offs: Array<() => void> = [];
  private readonly now: () => number;
  /** Sockets opened, AUTH frames sent and answered: for tests and diagnostics. */
  readonly stats = { dials: 0, authSent: 0, authAnswered: 0, refreshes: 0, closed4401: 0 };

  constructor(private readonly opts: AuthedMuxOptions) {
    this.now = opts.now ?? (() => Date.now());
    this.wantOnline = opts.online;
    this.mux = new MuxConnection(opts.url, {
      WebSocket: opts.WebSocket,
      connect: false,
      minBackoffMs: opts.minBackoffMs ?? 250,
      maxBackoffMs: opts.maxBackoffMs ?? 10_000,
    });
    this.offs.push(
      this.mux.onStatus((s) => {
        this.muxStatus = s;
        if (s === 'connected') {
          this.openedAt = this.now();
          this.failed = false;
          this.attempts = 0;
          this.scheduleRefresh();
        }
        this.emit();
      }),
      this.mux.onClose((e) => this.onSocketClose(e)),
      this.mux.onAuth(() => {
        this.stats.authAnswered++;
        this.quick401 = 0;
      }),
      opts.auth.onToken(() => this.scheduleRefresh()),
      opts.auth.observe((s) => {
        if (s.state === 'ended') this.stop();
      }),
    );
    if (this.wantOnline) void this.dial();
  }

  get connection(): Connection {
    if (!this.wantOnline || this.opts.auth.ended || this.closed) return 'offline';
    if (this.muxStatus === 'connected') return 'online';
    return this.failed ? 'unreachable' : 'connecting';
  }

  private emit(): void {
    const c = this.connection;
    for (const l of [...this.listeners]) l(c);
  }

  transport(): Transport {
    return {
      url: this.mux.url,
      WebSocket: this.mux.WebSocketPolyfill,
      shared: true,
      status: (listener) => {
        this.listeners.add(listener);
        listener(this.connection);
        return () => this.listeners.delete(listener);
      },
      goOffline: () => this.setOnline(false),
      goOnline: () => this.setOnline(true),
      close: () => this.close(),
    };
  }

  setOnline(online: boolean): void {
    if (this.closed) return;
    this.wantOnline = online;
    if (online) {
      this.attempts = 0;
      this.clearRetry();
      void this.dial();
    } else {
      this.clearRetry();
      this.clearRefresh();
      this.mux.goOffline();
    }
    this.emit();
  }

  /** Refresh (when needed), then open the socket with the token. */
  private async dial(): Promise<void> {
    if (this.dialing || this.closed || !this.wantOnline || this.opts.auth.ended) return;
    if (this.mux.status === 'connected' || this.mux.status === 'connecting') return;
    this.dialing = true;
    this.emit();
    try {
      const before = this.opts.auth.fresh();
      const token = await this.opts.auth.token();
      if (before === null) this.stats.refreshes++;
      if (this.closed || !this.wantOnline || this.opts.auth.ended) return;
      this.mux.setUrl(`${this.opts.url}?token=${encodeURIComponent(token)}`);
      this.stats.dials++;
      this.mux.goOnline();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'session-ended') return; // auth observer stops us
      this.failed = true;
      this.scheduleRetry();
    } finally {
      this.dialing = false;
      this.emit();
    }
  }

  private onSocketClose(e: { code: number; reason: string }): void {
    if (this.closed || !this.wantOnline) return;
    // This module reconnects (refresh first): the mux must not retry on its own.
    this.mux.goOffline();
    this.clearRefresh();
    if (e.code === 4401) {
      this.stats.closed4401++;
      if (/session ended/i.test(e.reason)) {
        this.opts.auth.end(endedOf(e.reason));
        return;
      }
      // token expired / not authenticated: a new token, then at once again. A relay that keeps
      // refusing fresh tokens at once is not retried in a tight loop: back-off after the first.
      this.opts.auth.invalidate();
      const quick = this.now() - this.openedAt < 5_000;
      this.quick401 = quick ? this.quick401 + 1 : 0;
      if (this.quick401 >= 5) {
        this.opts.auth.end({
          state: 'ended',
          reason: 'unknown',
          message: 'The server keeps refusing this session. Sign in again; everything on this device is kept.',
        });
        return;
      }
      if (this.quick401 <= 1) {
        this.clearRetry();
        void this.dial();
      } else this.scheduleRetry();
      this.emit();
      return;
    }
    this.failed = true;
    this.scheduleRetry();
    this.emit();
  }

  private scheduleRetry(): void {
    if (this.closed || !this.wantOnline || this.retryTimer !== null) return;
    const min = this.opts.minBackoffMs ?? 250;
    const cap = Math.min(this.opts.maxBackoffMs ?? 10_000, min * 2 ** this.attempts);
    this.attempts++;
    const delay = cap / 2 + Math.random() * (cap / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.dial();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private clearRefresh(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }

  /** While connected: refresh ahead of expiry and hand the new token to the open socket. */
  private scheduleRefresh(): void {
    this.clearRefresh();
    if (this.closed || this.muxStatus !== 'connected') return;
    const exp = this.opts.auth.expiresAt;
    if (exp === null) return;
    const delay = Math.max(0, exp - this.now() - this.opts.auth.margin());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.opts.auth.refresh().then(
        (token) => {
          this.stats.refreshes++;
          if (this.closed) return;
          this.mux.setUrl(`${this.opts.url}?token=${encodeURIComponent(token)}`);
          if (this.mux.sendAuth(token)) this.stats.authSent++;
        },
        () => {
          // Offline or unreachable: the relay closes the socket at expiry and we reconnect
          // (refreshing first); session-ended: the auth observer stopped everything.
        },
      );
    }, delay);
  }

  private stop(): void {
    this.clearRetry();
    this.clearRefresh();
    this.mux.goOffline();
    this.emit();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearRetry();
    this.clearRefresh();
    for (const off of this.offs.splice(0)) off();
    this.mux.destroy();
    this.listeners.clear();
  }
}
