// Every refusal lands in the audit log (docs/threat-model.md), but a hostile member must not
// be able to turn refusals into a flood of audit writes. Each actor has a budget of entries
// (a token bucket: a burst, then a steady rate); within it every refusal is its own entry.
// Past it, refusals of one kind by one actor are counted, and the count is appended as one
// entry (`repeated: n`, with the last one's detail) when the window ends. Memory is bounded:
// at most `maxKeys` open windows; past that the oldest is closed (its count appended) early.
import type { AuditAction, AuditInput } from './audit';
import { TokenBuckets, type BucketSpec } from './limits';

export interface RefusalSink {
  append(input: AuditInput): unknown;
}

export interface Refusal {
  actor: string;
  action: AuditAction;
  target?: string | null;
  /** What makes two refusals "the same kind" besides actor and action (e.g. the rule). */
  kind: string;
  detail: Record<string, unknown>;
}

interface Window {
  until: number;
  /** Refusals of this kind counted since the window opened. */
  repeated: number;
  last: Refusal;
}

export interface RefusalAuditOptions {
  /** Entries each actor may cause one by one (default 60, then one per second). */
  perActor?: BucketSpec;
  windowMs?: number;
  maxKeys?: number;
  now?: () => number;
}

export class RefusalAudit {
  private readonly open = new Map<string, Window>();
  private readonly budget: TokenBuckets;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sink: RefusalSink,
    options: RefusalAuditOptions = {},
  ) {
    this.budget = new TokenBuckets(options.perActor ?? { burst: 60, perSecond: 1 });
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Audits a refusal: at once while the actor is within budget, else counted into a window. */
  refused(r: Refusal): void {
    const at = this.now();
    if (this.budget.take(r.actor, 1, at).ok) {
      this.append(r, 0);
      return;
    }
    const key = `${r.actor}\u0000${r.action}\u0000${r.kind}`;
    const w = this.open.get(key);
    if (w) {
      w.repeated++;
      w.last = r;
      return;
    }
    this.open.set(key, { until: at + this.windowMs, repeated: 1, last: r });
    if (this.open.size > this.maxKeys) {
      const [oldestKey, oldest] = this.open.entries().next().value as [string, Window];
      this.close(oldestKey, oldest);
    }
    this.schedule();
  }

  /** Appends every counted refusal now (shutdown). */
  flush(): void {
    for (const [key, w] of [...this.open]) this.close(key, w);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Open windows (for tests of the bound). */
  get size(): number {
    return this.open.size;
  }

  private close(key: string, w: Window): void {
    this.open.delete(key);
    this.append(w.last, w.repeated);
  }

  private append(r: Refusal, repeated: number): void {
    this.sink.append({
      actor: r.actor,
      action: r.action,
      target: r.target ?? null,
      detail: repeated > 0 ? { ...r.detail, repeated } : r.detail,
    });
  }

  /** Closes the windows that have ended, checking once per window length while any is open. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const at = this.now();
      for (const [key, w] of [...this.open]) if (w.until <= at) this.close(key, w);
      if (this.open.size > 0) this.schedule();
    }, this.windowMs);
    this.timer.unref();
  }
}
