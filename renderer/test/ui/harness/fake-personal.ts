// An in-memory PersonalApi for the UI harness (fake-client.ts): saved messages, unread marks,
// reminders and drafts, with no document behind them.
import type {
  DraftItem,
  PersonalApi,
  PersonalState,
  ReminderItem,
  SavedItem,
  UnreadMarkView,
} from '../../../src/data/api';

export class FakePersonal implements PersonalApi {
  private saved: SavedItem[] = [];
  private reminders: ReminderItem[] = [];
  private unread = new Map<string, UnreadMarkView>();
  private listeners = new Set<(s: PersonalState) => void>();
  private due = new Set<(r: ReminderItem) => void>();

  constructor(private readonly drafts: () => DraftItem[]) {}

  private snap(): PersonalState {
    const reminders = [...this.reminders].sort((a, b) =>
      (a.done === null) !== (b.done === null) ? (a.done === null ? -1 : 1) : a.due - b.due,
    );
    return {
      loaded: true,
      saved: [...this.saved].sort((a, b) => b.at - a.at),
      reminders,
      unread: new Map(this.unread),
      drafts: this.drafts(),
    };
  }

  changed(): void {
    const s = this.snap();
    for (const l of this.listeners) l(s);
  }

  state = (listener: (s: PersonalState) => void) => {
    this.listeners.add(listener);
    listener(this.snap());
    return () => this.listeners.delete(listener);
  };

  async save(conversationId: string, messageId: string): Promise<void> {
    if (!this.saved.some((s) => s.messageId === messageId)) {
      this.saved.push({ conversationId, messageId, at: Date.now() });
    }
    this.changed();
  }
  async unsave(_c: string, messageId: string): Promise<void> {
    this.saved = this.saved.filter((s) => s.messageId !== messageId);
    this.changed();
  }
  async markUnread(conversationId: string, from: string | null, count: number): Promise<void> {
    this.unread.set(conversationId, { conversationId, from, count, at: Date.now() });
    this.changed();
  }
  async clearUnread(conversationId: string): Promise<void> {
    if (this.unread.delete(conversationId)) this.changed();
  }
  async remind(conversationId: string, messageId: string, due: number): Promise<void> {
    this.reminders = this.reminders.filter((r) => r.messageId !== messageId);
    this.reminders.push({ conversationId, messageId, at: Date.now(), due, done: null });
    this.changed();
    setTimeout(
      () => {
        const r = this.reminders.find((x) => x.messageId === messageId && x.due === due);
        if (r && r.done === null) for (const l of this.due) l(r);
      },
      Math.max(0, due - Date.now()),
    );
  }
  async finishReminder(_c: string, messageId: string): Promise<void> {
    this.reminders = this.reminders.map((r) =>
      r.messageId === messageId ? { ...r, done: Date.now() } : r,
    );
    this.changed();
  }
  async cancelReminder(_c: string, messageId: string): Promise<void> {
    this.reminders = this.reminders.filter((r) => r.messageId !== messageId);
    this.changed();
  }
  onReminderDue(listener: (r: ReminderItem) => void): () => void {
    this.due.add(listener);
    return () => this.due.delete(listener);
  }
}
