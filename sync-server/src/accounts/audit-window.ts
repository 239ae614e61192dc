// Refusals at the accounts layer (sign-in backoff and lock, /metrics refused to a user's token)
// land in the audit log, but an attacker must not turn them into a flood of audit writes (each
// one an fsynced transaction): the first refusal of a (subject, reason) is appended at once,
// the same refusal again within the window is only counted, and the count is appended as one
// entry `{ reason, repeated, firstAt, lastAt }` when the window ends. Memory is bounded: at most
// `maxKeys` open windows; past that the least recently used one is closed early (its count
// appended). Unlike src/refusals.ts (member refusals, always by a known user) a subject here may
// have no actor (an outsider at sign-in) and the entry keeps the caller's address.
import type { Audit, AuditAction } from '../audit';
import { LruMap } from '../limits';

export interface AccountsRefusal {
  /** Who did it, when known (a user id); null for an outsider. */
  actor: string | null;
  action: AuditAction;
  /** What it was aimed at (a user, a session); null when nothing real was. */
  target?: string | null;
  ip?: string | null;
  /** Why it was refused; with actor, action and target it decides which refusals coalesce. */
  reason: string;
  detail?: Record<string, unknown>;
}

interface Window {
  until: number;
  /** Refusals since the entry that opened the window. */
  repeated: number;
  firstAt: number;
  lastAt: number;
  last: AccountsRefusal;
}

export interface AuditWindowOptions {
  windowMs: number;
  maxKeys: number;
  now: () => number;
}

export class CoalescedAudit {
  private readonly open: LruMap<string, Window>;
  private readonly options: AuditWindowOptions;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly audit: Pick<Audit, 'append'>,
    options: Partial<AuditWindowOptions> = {},
  ) {
    this.options = { windowMs: 60_000, maxKeys: 10_000, now: () => Date.now(), ...options };
    this.open = new LruMap(this.options.maxKeys, (_key, w) => this.summarize(w));
  }

  /** Audits a refusal: at once when its window is not open, else counted into it. */
  refused(r: AccountsRefusal): void {
    const key = [r.action, r.actor ?? '', r.target ?? '', r.reason].join('\u0000');
    const now = this.options.now();
    const w = this.open.get(key);
    if (w && now < w.until) {
      if (w.repeated === 0) w.firstAt = now;
      w.repeated++;
      w.lastAt = now;
      w.last = r;
      return;
    }
    if (w) {
      this.open.delete(key);
      this.summarize(w);
    }
    this.write(r, { reason: r.reason, ...r.detail });
    this.open.set(key, {
      until: now + this.options.windowMs,
      repeated: 0,
      firstAt: now,
      lastAt: now,
      last: r,
    });
    this.schedule();
  }

  /** Closes the windows that have ended, appending their counts. */
  sweep(): void {
    const now = this.options.now();
    for (const [key, w] of this.open.entries()) {
      if (w.until > now) continue;
      this.open.delete(key);
      this.summarize(w);
    }
  }

  /** Appends every count still open (shutdown) and stops the timer. */
  close(): void {
    for (const [key, w] of this.open.entries()) {
      this.open.delete(key);
      this.summarize(w);
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Open windows (for tests of the bound). */
  get size(): number {
    return this.open.size;
  }

  private summarize(w: Window): void {
    if (w.repeated === 0) return;
    this.write(w.last, {
      reason: w.last.reason,
      ...w.last.detail,
      repeated: w.repeated,
      firstAt: w.firstAt,
      lastAt: w.lastAt,
    });
  }

  private write(r: AccountsRefusal, detail: Record<string, unknown>): void {
    this.audit.append({
      actor: r.actor,
      action: r.action,
      target: r.target ?? null,
      ip: r.ip ?? null,
      detail,
    });
  }

  /** A sweep every window while windows are open; the timer never keeps the process alive. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sweep();
      if (this.open.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }, this.options.windowMs);
    this.timer.unref();
  }
}
