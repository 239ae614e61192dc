// This device's copy of a conversation read as a whole: every page it holds (open or on
// disk), which of my messages the relay never confirmed, the export (JSON and text), and
// forgetting the copy of a conversation I am no longer in.
import * as Y from 'yjs';
import { parseRoom } from '../../../core/src/model/rooms';
import * as page from '../../../core/src/model/page';
import { ApiError } from './api';
import type { ClientContext } from './context';
import type { Registration } from './registration';
import { convOfRoom } from './room-rules';
import { dropScreen } from './screen-cache';
import type { SearchFeed } from './search';
import type { Summaries } from './summaries';

interface LocalPage {
  room: string;
  period: number;
  doc: Y.Doc;
  relaySV: Map<number, number> | null;
}

export interface LocalCopyDeps {
  nameOf(user: string, fallback?: string): string;
  /** The offline search index (search.ts), if on. */
  searchFeed(): SearchFeed | null;
}

export class LocalCopy {
  constructor(
    private readonly ctx: ClientContext,
    private readonly summaries: Summaries,
    private readonly registration: Registration,
    private readonly deps: LocalCopyDeps,
  ) {}

  /** My messages in a conversation's local pages that the relay never confirmed. */
  async countUndelivered(convId: string): Promise<number> {
    const pages = await this.localPages(convId);
    let n = 0;
    for (const { doc, relaySV } of pages) {
      for (const m of page.listMessages(doc)) {
        if (m.author === this.ctx.me && !this.isDelivered(doc, m.id, relaySV)) n++;
      }
    }
    const s = this.summaries.get(convId);
    if (s && (s.undelivered ?? 0) !== n) this.summaries.put({ ...s, undelivered: n });
    return n;
  }

  private isDelivered(doc: Y.Doc, messageId: string, sv: Map<number, number> | null): boolean {
    if (!sv) return false;
    try {
      return page.messageItemIds(doc, messageId).every((item) => page.isStored(sv, item));
    } catch {
      return false;
    }
  }

  /** Every page of a conversation this device holds, read from what is open or from disk. */
  private async localPages(convId: string): Promise<LocalPage[]> {
    const { host, records, store } = this.ctx;
    await this.ctx.recordsLoaded;
    const rooms = new Set(await store.roomsWithPrefix(`conv/${convId}/`));
    for (const room of records.keys()) if (room.startsWith(`conv/${convId}/`)) rooms.add(room);
    const out: LocalPage[] = [];
    for (const room of rooms) {
      const ref = parseRoom(room);
      if (ref?.kind !== 'page') continue;
      const open = host.get(room);
      if (open?.isLoaded) {
        out.push({ room, period: ref.period, doc: open.doc, relaySV: open.relaySV });
        continue;
      }
      const { rows, record } = await store.readDoc(room);
      const doc = new Y.Doc();
      for (const row of rows) {
        try {
          Y.applyUpdate(doc, row.data);
        } catch {
          // an unreadable row is reported when the document is opened; the export skips it
        }
      }
      const sv = record?.remoteSV ? Y.decodeStateVector(record.remoteSV) : null;
      out.push({ room, period: ref.period, doc, relaySV: sv });
    }
    return out.sort((a, b) => a.period - b.period);
  }

  async exportConversation(conversationId: string): Promise<{ filename: string; json: string; text: string }> {
    const { me, session } = this.ctx;
    const s = this.summaries.get(conversationId);
    const title = s ? this.summaries.titleOf(s) : conversationId;
    const pages = await this.localPages(conversationId);
    const messages: Array<{
      id: string;
      author: string;
      authorName: string;
      text: string;
      createdAt: number;
      editedAt: number | null;
      deleted: boolean;
      delivered: boolean;
    }> = [];
    for (const p of pages) {
      for (const m of page.listMessages(p.doc)) {
        messages.push({
          id: m.id,
          author: m.author,
          authorName: this.deps.nameOf(m.author),
          text: m.text,
          createdAt: m.createdAt,
          editedAt: m.editedAt,
          deleted: m.deleted,
          // Others' messages came from the relay; mine are delivered once it stored them.
          delivered: m.author !== me || this.isDelivered(p.doc, m.id, p.relaySV),
        });
      }
    }
    messages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const exportedAt = this.ctx.now();
    const json = JSON.stringify(
      {
        format: 'ferry-conversation-export',
        version: 1,
        exportedAt: new Date(exportedAt).toISOString(),
        conversation: {
          id: conversationId,
          title,
          kind: s?.kind ?? 'channel',
          removed: s?.removed ?? false,
          serverUrl: session.serverUrl,
        },
        exportedBy: { id: me, username: session.username, displayName: session.displayName },
        messages: messages.map((m) => ({
          ...m,
          createdAt: new Date(m.createdAt).toISOString(),
          editedAt: m.editedAt === null ? null : new Date(m.editedAt).toISOString(),
        })),
        undelivered: messages.filter((m) => !m.delivered).length,
      },
      null,
      2,
    );
    const lines = [
      `${title} (exported ${new Date(exportedAt).toISOString()} from ${session.serverUrl})`,
      s?.removed ? 'You are no longer a member of this conversation.' : '',
      '',
      ...messages.map(
        (m) =>
          `[${new Date(m.createdAt).toISOString()}] ${m.authorName}: ${m.deleted ? '(deleted)' : m.text}` +
          (m.editedAt !== null && !m.deleted ? ' (edited)' : '') +
          (m.delivered ? '' : '  [NOT DELIVERED]'),
      ),
    ];
    const safe = title.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'conversation';
    const day = new Date(exportedAt).toISOString().slice(0, 10);
    return { filename: `ferry-${safe}-${day}`, json, text: lines.filter((l, i) => l !== '' || i > 1).join('\n') + '\n' };
  }

  /** Deletes this device's copy of a conversation I am no longer a member of. */
  async forget(conversationId: string): Promise<void> {
    const { host, records, store } = this.ctx;
    const s = this.summaries.get(conversationId);
    if (!s?.removed) {
      throw new ApiError('invalid', 'Only a conversation you are no longer a member of can be forgotten on this device.');
    }
    await this.ctx.recordsLoaded;
    const rooms = new Set(await store.roomsWithPrefix(`conv/${conversationId}`));
    for (const room of records.keys()) if (convOfRoom(room) === conversationId) rooms.add(room);
    await store.deleteDocs([...rooms]);
    await dropScreen(store.db, conversationId);
    await this.deps.searchFeed()?.forget(conversationId);
    for (const room of rooms) {
      records.delete(room);
      host.pendingByRoom.delete(room);
    }
    this.summaries.drop(conversationId);
    await Promise.all([store.deleteSummary(conversationId), this.registration.forget(conversationId)]);
    this.summaries.changed();
    this.ctx.syncChanged();
    this.ctx.convChanged(conversationId);
  }
}
