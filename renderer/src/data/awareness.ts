// Awareness of others: presence on the shared `workspace` room, typing on a conversation's newest
// page room. Both ride the room's own Awareness (docs.ts `OpenDoc.awareness`: never a document's
// clientID; never stored, relayed in 50 ms batches by the relay). States from others are
// untrusted: only well-formed, small ones count.
// See README.md (Awareness).
import type { Awareness } from 'y-protocols/awareness';
import type { DocHost, OpenDoc } from './docs';

export type Presence = 'online' | 'away' | 'offline';

/** Remote states larger than this (JSON characters) are ignored. */
export const MAX_STATE_CHARS = 512;
/** A typing mark is shown this long after its last refresh. */
export const TYPING_SHOWN_MS = 6_000;
/** My typing mark clears itself this long after the last keystroke. */
export const TYPING_CLEAR_MS = 5_000;
/** While typing, at most one awareness update per this interval. */
export const TYPING_REFRESH_MS = 2_000;

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A remote awareness state as Ferry writes it, or null when it is anything else. */
export function readState(state: unknown): { user: string; presence?: 'online' | 'away'; typing?: boolean } | null {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return null;
  try {
    if (JSON.stringify(state).length > MAX_STATE_CHARS) return null;
  } catch {
    return null;
  }
  const s = state as Record<string, unknown>;
  if (typeof s.u !== 'string' || !USER_ID.test(s.u)) return null;
  const out: { user: string; presence?: 'online' | 'away'; typing?: boolean } = { user: s.u };
  if (s.p === 'online' || s.p === 'away') out.presence = s.p;
  if (typeof s.t === 'number' && Number.isFinite(s.t) && s.t > 0) out.typing = true;
  return out;
}

/**
 * My local state on one room's awareness, and the others' states. The awareness is the room's
 * own (`OpenDoc.awareness`, over its own small Y.Doc: never a document's clientID), so it lives
 * as long as the room, across providers and rebuilt documents; the room publishes my state
 * whenever it is connected.
 */
export class RoomAwareness {
  private readonly bound: Awareness;
  private local: Record<string, unknown> | null = null;
  private readonly offs: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly host: DocHost,
    readonly od: OpenDoc,
    private readonly onChange: () => void,
  ) {
    this.bound = od.awareness;
    this.bound.on('change', this.onAwareness);
    // Connection changes only (my own presence reads offline while the socket is down).
    const check = () => {
      const connected = od.provider?.wsconnected === true;
      if (connected === this.connected || this.closed) return;
      this.connected = connected;
      this.onChange();
    };
    this.offs.push(host.onChange(check));
    this.offs.push(od.onState(check));
  }

  private connected = false;

  private readonly onAwareness = (): void => {
    if (!this.closed) this.onChange();
  };

  /** Sets my state (null: none); the same state again sends nothing. */
  set(state: Record<string, unknown> | null): void {
    if (JSON.stringify(state) === JSON.stringify(this.local)) return;
    this.local = state;
    this.od.announce(state);
  }

  /** The others' states (my own client left out). */
  others(): unknown[] {
    const a = this.bound;
    const out: unknown[] = [];
    for (const [id, s] of a.getStates()) if (id !== a.clientID) out.push(s);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.local !== null) this.od.announce(null);
    this.bound.off('change', this.onAwareness);
    for (const off of this.offs.splice(0)) off();
  }
}

/**
 * My presence on the workspace room: online, or away after `awayAfterMs` without input or while
 * the window is hidden. Others: online/away from their states; offline when they have none
 * (their socket is gone, or mine is).
 */
export class PresenceTracker {
  private readonly room: RoomAwareness;
  private lastInput: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<(v: Map<string, Presence>) => void>();
  private scheduled = false;
  private readonly offs: Array<() => void> = [];

  constructor(
    host: DocHost,
    private readonly od: OpenDoc,
    private readonly me: string,
    private readonly people: () => string[],
    private readonly opts: {
      events?: EventTarget;
      awayAfterMs?: number;
      hidden?: () => boolean;
      now?: () => number;
    } = {},
  ) {
    this.lastInput = this.now();
    this.room = new RoomAwareness(host, od, () => this.notify());
    const ev = opts.events;
    if (ev) {
      const active = () => this.input();
      for (const name of ['keydown', 'pointerdown', 'focus', 'visibilitychange']) {
        ev.addEventListener(name, active);
        this.offs.push(() => ev.removeEventListener(name, active));
      }
    }
    this.publish();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private get awayAfter(): number {
    return this.opts.awayAfterMs ?? 5 * 60_000;
  }

  private hidden(): boolean {
    if (this.opts.hidden) return this.opts.hidden();
    const d = (globalThis as { document?: { visibilityState?: string } }).document;
    return d?.visibilityState === 'hidden';
  }

  /** User input (or the window shown/hidden): back online, or away at once when hidden. */
  input(): void {
    this.lastInput = this.now();
    this.publish();
  }

  /** Publishes my state; only a change reaches the wire (y-protocols renews it every 15 s). */
  private publish(): void {
    const mine = this.mineState();
    this.room.set({ u: this.me, p: mine });
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (mine === 'online') {
      const left = Math.max(0, this.lastInput + this.awayAfter - this.now());
      this.timer = setTimeout(() => this.publish(), left + 10);
    }
    this.notify();
  }

  value(): Map<string, Presence> {
    const out = new Map<string, Presence>();
    for (const id of this.people()) out.set(id, 'offline');
    for (const s of this.room.others()) {
      const st = readState(s);
      if (!st?.presence || st.user === this.me) continue;
      // Several devices of one person: online wins over away.
      if (out.get(st.user) !== 'online') out.set(st.user, st.presence);
    }
    out.set(this.me, this.od.provider?.wsconnected === true ? this.mineState() : 'offline');
    return out;
  }

  private mineState(): 'online' | 'away' {
    const idle = this.now() - this.lastInput >= this.awayAfter;
    return idle || this.hidden() ? 'away' : 'online';
  }

  notify(): void {
    if (this.scheduled || this.listeners.size === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const v = this.value();
      for (const l of [...this.listeners]) l(v);
    });
  }

  observe = (listener: (v: Map<string, Presence>) => void): (() => void) => {
    this.listeners.add(listener);
    listener(this.value());
    return () => this.listeners.delete(listener);
  };

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const off of this.offs.splice(0)) off();
    this.room.close();
    this.listeners.clear();
  }
}

/**
 * Typing on one conversation: my mark `{u, t}` on its newest page room (refreshed at most every
 * 2 s while typing, cleared on stop/send or 5 s after the last keystroke), and the others' marks,
 * each shown until 6 s after its last refresh (timed by this device's clock: senders' clocks
 * may be wrong).
 */
export class TypingTracker {
  private room: RoomAwareness | null = null;
  private typingSince = 0;
  private lastSent = 0;
  private clearTimer: ReturnType<typeof setTimeout> | null = null;
  private expireTimer: ReturnType<typeof setTimeout> | null = null;
  /** Per remote user: when this device last saw their mark change. */
  private readonly seen = new Map<string, number>();
  private readonly lastMarks = new Map<string, unknown>();

  constructor(
    private readonly host: DocHost,
    private readonly me: string,
    private readonly onChange: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The newest page changed (a new week): typing moves there. */
  use(od: OpenDoc): void {
    if (this.room?.od === od) return;
    this.room?.close();
    this.room = new RoomAwareness(this.host, od, () => this.changed());
    if (this.typingSince) this.room.set({ u: this.me, t: this.lastSent });
  }

  set(on: boolean): void {
    if (!this.room) return;
    const now = this.now();
    if (this.clearTimer) clearTimeout(this.clearTimer);
    this.clearTimer = null;
    if (!on) {
      this.typingSince = 0;
      this.room.set(null);
      return;
    }
    const starting = !this.typingSince;
    if (starting) this.typingSince = now;
    // Starting is a change of state: sent at once; while typing, one refresh per 2 s.
    if (starting || now - this.lastSent >= TYPING_REFRESH_MS) {
      this.lastSent = now;
      this.room.set({ u: this.me, t: now });
    }
    this.clearTimer = setTimeout(() => this.set(false), TYPING_CLEAR_MS);
  }

  private changed(): void {
    const now = this.now();
    for (const s of this.room?.others() ?? []) {
      const st = readState(s);
      if (!st || st.user === this.me) continue;
      const mark = (s as { t?: unknown }).t;
      if (st.typing && this.lastMarks.get(st.user) !== mark) this.seen.set(st.user, now);
      this.lastMarks.set(st.user, st.typing ? mark : undefined);
    }
    this.onChange();
  }

  /** User ids typing now (not me), in a stable order. */
  typing(): string[] {
    const now = this.now();
    const live = new Set<string>();
    for (const s of this.room?.others() ?? []) {
      const st = readState(s);
      if (st?.typing && st.user !== this.me && now - (this.seen.get(st.user) ?? 0) < TYPING_SHOWN_MS) live.add(st.user);
    }
    if (live.size > 0 && !this.expireTimer) {
      this.expireTimer = setTimeout(() => {
        this.expireTimer = null;
        this.onChange();
      }, 1_000);
    }
    return [...live].sort();
  }

  close(): void {
    if (this.clearTimer) clearTimeout(this.clearTimer);
    if (this.expireTimer) clearTimeout(this.expireTimer);
    this.clearTimer = this.expireTimer = null;
    this.room?.close();
    this.room = null;
  }
}
