// The signed-in user as the client knows it: the session it started with, then my name,
// username and role as the directory's profile of me says (kept for the next, offline, start).
import type { Session } from './api';
import type { Directory } from './directory';

export class SessionState {
  private current: Session | null = null;

  /**
   * `onProfile`: keep the changed session (browser-backend.ts); `onRoleChange`: my role
   * changed (a guest has no workspace room).
   */
  constructor(
    private readonly initial: Session,
    private readonly onProfile: ((session: Session) => void) | undefined,
    private readonly onRoleChange: () => void,
  ) {}

  get value(): Session {
    return this.current ?? this.initial;
  }

  /** Follows the directory's profile of me. */
  follow(me: Directory['me']): void {
    const s = this.value;
    if (!me || me.id !== s.userId) return;
    if (me.displayName === s.displayName && me.role === s.role && me.username === s.username) return;
    this.current = { ...s, displayName: me.displayName, role: me.role, username: me.username };
    this.onProfile?.(this.current);
    if (me.role !== s.role) this.onRoleChange();
  }
}
