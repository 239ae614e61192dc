// The workspace's offline limit (docs/identity.md, "Offline, as before, with a limit"; issue 15).
// The app records when the relay last accepted this session (a sign-in, a token refresh, the
// socket let in) and the workspace's `offlineGraceDays` (from `/auth/providers`, at sign-in
// and whenever online). Past the limit while offline, everything stays readable and nothing new
// is written: permissions.ts answers "may not" with the sentence below, the same way it already
// refuses writes in a conversation I was removed from. Online again, or back within the limit
// (a policy raised), everything is as before. The relay still decides on reconnect.
//
// The device's clock can be set back; the newest time this device has seen is kept, so
// turning the clock back does not shorten the time offline.
import type { Observe, OfflineLimit } from './api';
import { observable } from './observable';

export const DAY_MS = 86_400_000;

export interface GraceRecord {
  /** When the relay last accepted this session (ms), null: never recorded on this device. */
  lastAcceptedAt: number | null;
  /** The workspace policy as last heard; null: no limit. */
  graceDays: number | null;
  /** The newest time this device has seen (ms): a clock set back does not count. */
  maxSeenAt: number | null;
}

export type GraceState = OfflineLimit;

export const EMPTY_GRACE: Readonly<GraceRecord> = Object.freeze({ lastAcceptedAt: null, graceDays: null, maxSeenAt: null });

/** The banner's words for `days` offline. */
export function graceMessage(days: number): string {
  const d = Math.max(1, Math.floor(days));
  return `You have been offline for ${d} day${d === 1 ? '' : 's'}; connect to the company network to keep writing.`;
}

/**
 * Whether writing is refused now. Never while online (the relay decides), never without a
 * policy or without a recorded acceptance (an app updated offline keeps working until it
 * first reaches the relay). Locked when strictly more than `graceDays` days have passed.
 */
export function graceState(rec: GraceRecord, now: number, online: boolean): GraceState {
  if (online || rec.graceDays === null || rec.lastAcceptedAt === null) return { locked: false };
  const seen = Math.max(now, rec.maxSeenAt ?? now);
  const elapsed = seen - rec.lastAcceptedAt;
  if (elapsed <= rec.graceDays * DAY_MS) return { locked: false };
  const days = Math.floor(elapsed / DAY_MS);
  return { locked: true, days, message: graceMessage(days) };
}

/** Reads a stored record; anything odd is the empty one (no limit known). */
export function asGraceRecord(v: unknown): GraceRecord {
  if (typeof v !== 'object' || v === null) return { ...EMPTY_GRACE };
  const o = v as Record<string, unknown>;
  const n = (x: unknown, min = 0) => (typeof x === 'number' && Number.isFinite(x) && x >= min ? x : null);
  return { lastAcceptedAt: n(o.lastAcceptedAt), graceDays: n(o.graceDays), maxSeenAt: n(o.maxSeenAt) };
}

/** Where the record is kept: the user's own database (`meta` record `offlineGrace`). */
export interface GraceStore {
  getMeta(key: string): Promise<unknown>;
  putMeta(key: string, value: unknown): Promise<void>;
}

const KEY = 'offlineGrace';
/** Acceptances closer together than this are not written again (a refresh every few minutes). */
const WRITE_EVERY_MS = 60_000;
/** How often the limit is looked at again while the app runs offline. */
export const GRACE_TICK_MS = 60_000;

export class OfflineGrace {
  private rec: GraceRecord = { ...EMPTY_GRACE };
  private written: GraceRecord = { ...EMPTY_GRACE };
  private last: GraceState = { locked: false };
  private timer: ReturnType<typeof setInterval> | null = null;
  /** A policy was heard in this run (it wins over the stored one). */
  private heardPolicy = false;
  /** Nothing is written before the stored record was read (it would be overwritten). */
  private ready = false;
  private readonly obs: { observe: Observe<GraceState>; notify: () => void };
  readonly observe: Observe<GraceState>;
  /** Resolves once the stored record was read (acceptances before that are merged in). */
  readonly loaded: Promise<void>;

  /** `onChange`: the state flipped (the client re-evaluates what may be written). */
  constructor(
    private readonly store: GraceStore,
    private readonly now: () => number,
    private readonly online: () => boolean,
    private readonly onChange: (s: GraceState) => void = () => undefined,
  ) {
    this.obs = observable(() => this.last);
    this.observe = this.obs.observe;
    this.loaded = store.getMeta(KEY).then(
      (v) => {
        const stored = asGraceRecord(v);
        this.written = stored;
        this.ready = true;
        this.rec = {
          lastAcceptedAt: maxOf(stored.lastAcceptedAt, this.rec.lastAcceptedAt),
          // A policy heard in this run is newer than the stored one.
          graceDays: this.heardPolicy ? this.rec.graceDays : stored.graceDays,
          maxSeenAt: maxOf(stored.maxSeenAt, this.rec.maxSeenAt),
        };
        this.check();
      },
      () => {
        this.ready = true;
        this.check();
      },
    );
    this.timer = setInterval(() => this.check(), GRACE_TICK_MS);
    (this.timer as { unref?: () => void }).unref?.();
  }

  get record(): GraceRecord {
    return { ...this.rec };
  }

  get state(): GraceState {
    return this.last;
  }

  /** The relay accepted this session now (sign-in, refresh, socket). */
  accepted(): void {
    const t = this.now();
    this.rec = { ...this.rec, lastAcceptedAt: t, maxSeenAt: maxOf(this.rec.maxSeenAt, t) };
    this.check();
  }

  /** The workspace's policy as the relay says it now (null: no limit). */
  policy(graceDays: number | null): void {
    this.heardPolicy = true;
    this.rec = { ...this.rec, graceDays };
    this.check();
  }

  /** Looks at the clock and connection again; tells `onChange` when the state flipped. */
  check(): void {
    const t = this.now();
    this.rec = { ...this.rec, maxSeenAt: maxOf(this.rec.maxSeenAt, t) };
    const next = graceState(this.rec, t, this.online());
    const changed = next.locked !== this.last.locked || (next.locked && this.last.locked && next.days !== this.last.days);
    this.last = next;
    this.persist();
    if (changed) {
      this.obs.notify();
      this.onChange(next);
    }
  }

  private persist(): void {
    if (!this.ready) return;
    const w = this.written;
    const due =
      w.graceDays !== this.rec.graceDays ||
      (this.rec.lastAcceptedAt ?? 0) - (w.lastAcceptedAt ?? 0) >= WRITE_EVERY_MS ||
      (w.lastAcceptedAt === null && this.rec.lastAcceptedAt !== null) ||
      (this.rec.maxSeenAt ?? 0) - (w.maxSeenAt ?? 0) >= WRITE_EVERY_MS;
    if (!due) return;
    this.written = { ...this.rec };
    this.store.putMeta(KEY, this.written).catch(() => undefined);
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/**
 * Wires an OfflineGrace to a signed-in client: acceptances from the token refreshes (and a
 * fresh sign-in's token), the policy from `/auth/providers` (`policyOf`, asked whenever the
 * client comes online). The client calls `online()` for each (re)connection it makes: a socket
 * the relay let in is an acceptance too.
 */
export function followGrace(
  grace: OfflineGrace,
  auth: { onToken(l: () => void): () => void; fresh(marginMs?: number): string | null },
  policyOf: () => Promise<number | null>,
  initialDays: number | null | undefined,
): { online(): void; close(): void } {
  if (initialDays !== undefined) grace.policy(initialDays);
  if (auth.fresh(0) !== null) grace.accepted(); // a token handed over by a sign-in just now
  const off = auth.onToken(() => grace.accepted());
  return {
    online() {
      grace.accepted();
      policyOf().then(
        (days) => grace.policy(days),
        () => undefined, // unknown now: the policy heard last stays
      );
    },
    close() {
      off();
      grace.close();
    },
  };
}
