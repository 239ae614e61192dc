// What the status bar shows (api.ts SyncStatus): connection, changes still to send, catch-up
// progress and when everything was last confirmed. Catch-up (catch-up.ts, workspace-mode.ts)
// writes `progress` and `gen` here; a new generation cancels the run of the previous one.
import type { Connection, Observe, SyncStatus } from './api';
import type { Auth } from './auth';
import type { ClientContext } from './context';
import { observable } from './observable';
import { convOfRoom } from './room-rules';
import type { Summaries } from './summaries';

export class SyncState {
  /** The running catch-up's progress; null when none runs. */
  progress: { done: number; total: number } | null = null;
  /** Bumped when a catch-up starts, the connection drops or the client closes. */
  gen = 0;
  lastSyncedAt: number | null = null;
  private lastConnection: Connection = 'offline';
  private readonly obs: { observe: Observe<SyncStatus>; notify: () => void };
  readonly observe: Observe<SyncStatus>;

  /** `onOnline`: the connection came up (catch-up, the relay's schema). */
  constructor(
    private readonly ctx: ClientContext,
    private readonly summaries: Summaries,
    private readonly auth: Auth | undefined,
    private readonly onOnline: () => void,
    /** My files waiting for or in upload (files/files.ts). */
    private readonly uploads: () => { count: number; bytesLeft: number } | null = () => null,
  ) {
    this.obs = observable(() => this.status());
    this.observe = this.obs.observe;
  }

  notify(): void {
    this.obs.notify();
  }

  /**
   * Local changes still to send: not those of conversations I was removed from (they can never
   * be sent; they show as `undelivered`) nor of documents the relay refused (`denied`).
   */
  pending(): number {
    let n = 0;
    const { host, records } = this.ctx;
    for (const room of host.pendingByRoom.rooms()) {
      const k = host.pendingByRoom.get(room) ?? 0;
      const convId = convOfRoom(room);
      if (convId && this.summaries.get(convId)?.removed) continue;
      const open = host.get(room);
      if (open ? open.denied : records.get(room)?.held) continue;
      n += k;
    }
    return n;
  }

  status(): SyncStatus {
    return {
      connection: this.auth?.ended ? 'offline' : this.ctx.host.connection,
      pending: this.pending(),
      catchUp: this.progress ? { ...this.progress } : null,
      lastSyncedAt: this.lastSyncedAt,
      uploads: this.uploads(),
    };
  }

  /** Called when the connection goes up or down (files pause and resume uploads). */
  onConnection: (online: boolean) => void = () => undefined;

  /** The open documents changed (connection, pending counts). */
  hostChanged(): void {
    const c = this.status().connection;
    if (c === 'online' && this.lastConnection !== 'online') this.onOnline();
    if (c !== this.lastConnection) this.onConnection(c === 'online');
    if (c !== 'online') this.gen++;
    if (c !== 'online' && this.progress) this.progress = null;
    this.lastConnection = c;
    if (c === 'online' && this.pending() === 0 && this.progress === null) this.lastSyncedAt = this.ctx.now();
    this.obs.notify();
  }

  /** Resolves when sync status says everything is confirmed (or rejects after `timeoutMs`). */
  whenSettled(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let off = () => {};
      const timer = setTimeout(() => {
        off();
        reject(new Error(`not settled after ${timeoutMs} ms: ${JSON.stringify(this.status())}`));
      }, timeoutMs);
      off = this.observe((s) => {
        if (s.connection === 'online' && s.pending === 0 && s.catchUp === null) {
          clearTimeout(timer);
          queueMicrotask(() => off());
          resolve();
        }
      });
    });
  }
}
