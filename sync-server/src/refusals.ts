// Every refusal lands in the audit log (docs/threat-model.md), but an attacker must not be able
// to turn refusals into a flood of audit writes (each one an fsynced transaction). Refusals
// coalesce per (action, actor, target, reason): the same refusal again within the window is
// only counted, and the count is appended as one entry `{ reason, repeated, firstAt, lastAt }`
// when the window ends. Without a budget the first refusal of each kind is appended at once
// (sign-in: an outsider has no actor, the entry keeps the address). With a per-subject budget
// (a token bucket per actor, or per address when there is none) every refusal within it is its
// own entry, and past it refusals are only counted (members' forged updates: each of the first
// ones says what was tried). Memory is bounded: at most `maxKeys` open windows; past that the
// least recently used one is closed early (its count appended).
import type { AuditAction, AuditInput } from './audit';
import { LruMap, TokenBuckets, type BucketSpec } from './limits';

export interface Refusal {
  /** Who did it, when known (a user id); null for an outsider. */
  actor: string | null;
  action: AuditAction;
  /** What it was aimed at (a user, a session, a room); null when nothing real was. */
  target?: string | null;
  ip?: string | null;
  /** Why, as a short stable name: with actor, action and target it decides what coalesces. */
  reason: string;
  detail?: Record<string, unknown>;
}

interface Window {
  until: number;
  /** Refusals counted and not yet appended. */
  repeated: number;
  firstAt: number;
  lastAt: number;
  last: Refusal;
}

export interface RefusalAuditOptions {
  windowMs: number;
  maxKeys: number;
  now: () => number;
  /** Entries one subject may cause one by one before its refusals are only counted. */
  perSubject: BucketSpec | null;
}

export class RefusalAudit {
  private readonly open: LruMap<string, Window>;
  private readonly options: RefusalAuditOptions;
  private readonly budget: TokenBuckets | null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly audit: { append(input: AuditInput): unknown },
    options: Partial<RefusalAuditOptions> = {},
  ) {
    this.options = {
      windowMs: 60_000,
      maxKeys: 10_000,
      now: () => Date.now(),
      perSubject: null,
      ...options,
    };
    this.open = new LruMap(this.options.maxKeys, (_key, w) => this.summarize(w));
    this.budget = this.options.perSubject ? new TokenBuckets(this.options.perSubject) : null;
  }

  /** Audits a refusal: at once, or counted into its window (see the top of this file). */
  refused(r: Refusal): void {
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
    const subject = r.actor ?? r.ip ?? '';
    if (this.budget) {
      if (this.budget.take(subject, 1, now).ok) {
        this.write(r, { reason: r.reason, ...r.detail });
        return;
      }
      this.open.set(key, {
        until: now + this.options.windowMs,
        repeated: 1,
        firstAt: now,
        lastAt: now,
        last: r,
      });
    } else {
      this.write(r, { reason: r.reason, ...r.detail });
      this.open.set(key, {
        until: now + this.options.windowMs,
        repeated: 0,
        firstAt: now,
        lastAt: now,
        last: r,
      });
    }
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

  private write(r: Refusal, detail: Record<string, unknown>): void {
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
