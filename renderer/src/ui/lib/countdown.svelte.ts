// A wait the relay asked for (a locked account, a backoff), counted down live on screen as
// minutes and seconds ("Try again in 13:51"). Pure formatting is `clockText` (unit-tested);
// `Countdown` ticks each second while a wait runs and stops at zero.

/** Seconds as a clock: "13:51", "0:05", "1:02:03" (an hour or more). */
export function clockText(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Seconds left until `until` (ms) at `now` (ms), never negative. */
export function secondsLeft(until: number, now: number): number {
  return Math.max(0, Math.ceil((until - now) / 1000));
}

export class Countdown {
  private until = $state(0);
  private nowMs = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | null = null;

  /** Whole seconds left (0 when no wait runs). */
  readonly left = $derived(secondsLeft(this.until, this.nowMs));

  constructor(private readonly onDone?: () => void) {}

  /** Starts (or restarts) a wait of `seconds`. */
  start(seconds: number): void {
    this.stop();
    this.nowMs = Date.now();
    this.until = this.nowMs + seconds * 1000;
    this.timer = setInterval(() => {
      this.nowMs = Date.now();
      if (this.nowMs >= this.until) {
        this.stop();
        this.onDone?.();
      }
    }, 250);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
