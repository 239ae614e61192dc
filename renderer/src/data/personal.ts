// My own state on every device of mine (docs/messaging.md, "Personal state"): saved messages,
// unread marks and reminders in the document `self/<me>` (core/src/model/personal.ts), held
// open while the client runs, so it works offline and merges like any document; drafts from
// this device's store (they do not sync). Reminders fire from timers here, offline too.
import * as model from '../../../core/src/model/personal';
import { parseRoom, selfRoom } from '../../../core/src/model/rooms';
import type {
  DraftItem,
  Observe,
  PersonalApi,
  PersonalState,
  ReminderItem,
  UnreadMarkView,
} from './api';
import type { ClientContext } from './context';
import type { OpenDoc } from './docs';
import { observable } from './observable';

/** Meta record: `<convId>|<messageId>@<due>` of the reminders this device already notified. */
const NOTIFIED = 'remindersNotified';
/** Longest single timer (setTimeout's limit is 2^31-1 ms): a later one is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface PersonalDeps {
  /** The relay's document schema as last learned, or null (the room needs 3). */
  relaySchema(): number | null;
}

export class Personal implements PersonalApi {
  readonly room: string;
  private readonly od: OpenDoc;
  private loaded = false;
  private drafts: DraftItem[] = [];
  private notified = new Set<string>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly dueListeners = new Set<(r: ReminderItem) => void>();
  /** Fell due while nobody listened: handed to the first listener. */
  private waiting: ReminderItem[] = [];
  private readonly obs = observable<PersonalState>(() => this.snapshot());
  readonly state: Observe<PersonalState> = this.obs.observe;

  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: PersonalDeps,
  ) {
    this.room = selfRoom(ctx.me);
    this.od = ctx.host.acquire(this.room);
    void Promise.all([
      this.od.loaded,
      ctx.store.getMeta(NOTIFIED).then(
        (v) => {
          if (Array.isArray(v)) this.notified = new Set(v.filter((x) => typeof x === 'string'));
        },
        () => undefined,
      ),
      this.readDrafts(),
    ]).then(
      () => this.onLoaded(),
      (e: unknown) => ctx.errors.set(this.room, e instanceof Error ? e : new Error(String(e))),
    );
  }

  /**
   * The room stays on this device until the relay says schema 3 (an older relay refuses the
   * room name) and without accounts (a relay without them would let anyone open it).
   */
  blocked(room: string): boolean {
    if (parseRoom(room)?.kind !== 'self') return false;
    const schema = this.deps.relaySchema();
    return !this.ctx.accounts || schema === null || schema < model.PERSONAL_VERSION;
  }

  /** The relay's schema became known: connect the room if it may now. */
  schemaChanged(): void {
    if (!this.blocked(this.room)) this.ctx.host.reconsider();
  }

  private onLoaded(): void {
    if (this.ctx.closed) return;
    this.loaded = true;
    this.od.doc.on('update', () => this.changed());
    this.changed();
  }

  private changed(): void {
    this.arm();
    this.obs.notify();
  }

  private snapshot(): PersonalState {
    if (!this.loaded) {
      return { loaded: false, saved: [], reminders: [], unread: new Map(), drafts: this.drafts };
    }
    const doc = this.od.doc;
    const unread = new Map<string, UnreadMarkView>();
    for (const [id, m] of model.listUnread(doc)) {
      unread.set(id, { conversationId: id, from: m.from, count: m.n, at: m.at });
    }
    return {
      loaded: true,
      saved: model.listSaved(doc).map((s) => ({ conversationId: s.convId, messageId: s.messageId, at: s.at })),
      reminders: model.listReminders(doc).map(reminderItem),
      unread,
      drafts: this.drafts,
    };
  }

  // ---- writes (local first; the open document sends them when it can) ----

  private async write(fn: (doc: OpenDoc['doc']) => void): Promise<void> {
    await this.od.loaded;
    fn(this.od.doc);
  }

  save(conversationId: string, messageId: string): Promise<void> {
    return this.write((d) => model.saveMessage(d, { convId: conversationId, messageId }, this.ctx.now()));
  }

  unsave(conversationId: string, messageId: string): Promise<void> {
    return this.write((d) => void model.unsaveMessage(d, { convId: conversationId, messageId }));
  }

  markUnread(conversationId: string, from: string | null, count: number): Promise<void> {
    return this.write((d) => model.markUnread(d, { convId: conversationId, from, n: count, at: this.ctx.now() }));
  }

  clearUnread(conversationId: string): Promise<void> {
    if (this.loaded && !model.listUnread(this.od.doc).has(conversationId)) return Promise.resolve();
    return this.write((d) => void model.clearUnread(d, conversationId));
  }

  remind(conversationId: string, messageId: string, due: number): Promise<void> {
    return this.write((d) =>
      model.setReminder(d, { convId: conversationId, messageId }, { at: this.ctx.now(), due }),
    );
  }

  finishReminder(conversationId: string, messageId: string): Promise<void> {
    return this.write((d) => void model.finishReminder(d, { convId: conversationId, messageId }, this.ctx.now()));
  }

  cancelReminder(conversationId: string, messageId: string): Promise<void> {
    return this.write((d) => void model.cancelReminder(d, { convId: conversationId, messageId }));
  }

  // ---- drafts (this device's store) ----

  private async readDrafts(): Promise<void> {
    const rows = await this.ctx.store.listDrafts().catch(() => []);
    this.drafts = rows
      .map((r) => {
        const [conversationId = '', , threadRoot] = r.id.split(':');
        return { conversationId, threadRoot: threadRoot ?? null, text: r.text, at: r.at };
      })
      .sort((a, b) => b.at - a.at);
  }

  /** A draft was written on this device: the list and the sidebar's pencils follow. */
  async draftsChanged(): Promise<void> {
    await this.readDrafts();
    this.obs.notify();
  }

  // ---- reminders falling due ----

  onReminderDue(listener: (r: ReminderItem) => void): () => void {
    this.dueListeners.add(listener);
    const waiting = this.waiting.splice(0);
    for (const r of waiting) listener(r);
    return () => this.dueListeners.delete(listener);
  }

  /** One timer per pending reminder not yet notified here; others are cleared. */
  private arm(): void {
    if (this.ctx.closed) return;
    const keep = new Set<string>();
    for (const r of model.listReminders(this.od.doc)) {
      const key = `${model.refKey(r)}@${r.due}`;
      if (r.done !== null || this.notified.has(key)) continue;
      keep.add(key);
      if (this.timers.has(key)) continue;
      const wait = Math.max(0, r.due - this.ctx.now());
      const timer = setTimeout(
        () => {
          this.timers.delete(key);
          if (wait === MAX_TIMER_MS) this.arm();
          else this.fire(key);
        },
        Math.min(wait, MAX_TIMER_MS),
      );
      this.timers.set(key, timer);
    }
    for (const [key, timer] of this.timers) {
      if (!keep.has(key)) {
        clearTimeout(timer);
        this.timers.delete(key);
      }
    }
  }

  private fire(key: string): void {
    if (this.ctx.closed) return;
    const r = model
      .listReminders(this.od.doc)
      .find((x) => `${model.refKey(x)}@${x.due}` === key && x.done === null);
    if (!r) return;
    this.notified.add(key);
    // Forget keys of reminders that are gone, so the record stays as small as the list.
    const live = new Set(model.listReminders(this.od.doc).map((x) => `${model.refKey(x)}@${x.due}`));
    this.notified = new Set([...this.notified].filter((k) => live.has(k)));
    this.ctx.store.putMeta(NOTIFIED, [...this.notified]).catch(() => undefined);
    const item = reminderItem(r);
    if (this.dueListeners.size === 0) this.waiting.push(item);
    for (const l of [...this.dueListeners]) l(item);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.dueListeners.clear();
  }
}

function reminderItem(r: model.Reminder): ReminderItem {
  return { conversationId: r.convId, messageId: r.messageId, at: r.at, due: r.due, done: r.done };
}
