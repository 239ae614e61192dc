// Membership through the relay's API (online only): joining, leaving, inviting, roles,
// renaming, archiving, browsing open channels and finding people. The directory
// (directory-sync.ts) then brings the result; leaving and removal are also kept here at once.
import { ApiError, type ChannelListing, type ConversationRole, type Person } from './api';
import {
  MAX_DESCRIPTION_CHARS,
  MAX_TOPIC_CHARS,
  descriptionProblem,
  normalizeDescription,
  normalizeTopic,
  topicProblem,
} from '../../../core/src/model/events';
import type { ClientContext } from './context';
import type { LocalCopy } from './local-copy';
import type { Profiles } from './profiles';
import type { RelayApi } from './relay-api';
import type { Summaries } from './summaries';

export class Membership {
  constructor(
    private readonly ctx: ClientContext,
    private readonly summaries: Summaries,
    private readonly profiles: Profiles,
    private readonly local: LocalCopy,
    private readonly api: RelayApi,
  ) {}

  /** I am no longer a member: keep everything, stop syncing it, count what never arrived. */
  markRemoved(convId: string): void {
    const s = this.summaries.get(convId);
    if (!s || s.removed) return;
    this.summaries.put({ ...s, removed: true });
    this.ctx.host.disconnectBlocked();
    this.ctx.syncChanged(); // its changes no longer count as pending
    void this.local.countUndelivered(convId);
  }

  async searchPeople(query: string): Promise<Person[]> {
    const v = await this.api<unknown>('GET', `/users?q=${encodeURIComponent(query.trim())}`);
    const list = Array.isArray(v) ? v : ((v as { users?: unknown } | null)?.users ?? []);
    return (Array.isArray(list) ? list : []).flatMap((u: unknown) => {
      const o = u as Partial<Person> | null;
      return o && typeof o.id === 'string' && typeof o.displayName === 'string'
        ? [
            {
              id: o.id,
              username: typeof o.username === 'string' ? o.username : '',
              displayName: o.displayName,
              ...this.profiles.extrasOf(o.id),
            },
          ]
        : [];
    });
  }

  async browseChannels(): Promise<ChannelListing[]> {
    const v = await this.api<unknown>('GET', '/conversations?browse=open');
    const list = Array.isArray(v) ? v : ((v as { conversations?: unknown } | null)?.conversations ?? []);
    return (Array.isArray(list) ? list : []).flatMap((c: unknown) => {
      const o = c as Record<string, unknown> | null;
      if (!o || typeof o.id !== 'string') return [];
      const kind = o.kind === 'announcement' ? 'announcement' : 'channel';
      const mine = this.summaries.get(o.id);
      return [
        {
          id: o.id,
          title: typeof o.title === 'string' ? o.title : '',
          topic: typeof o.topic === 'string' ? o.topic : '',
          description: typeof o.description === 'string' ? o.description : '',
          kind,
          visibility: o.visibility === 'private' ? 'private' : 'open',
          memberCount:
            typeof o.memberCount === 'number' ? o.memberCount : Array.isArray(o.members) ? o.members.length : 0,
          joined: typeof o.joined === 'boolean' ? o.joined : mine !== undefined && !mine.removed,
        } satisfies ChannelListing,
      ];
    });
  }

  async join(conversationId: string): Promise<void> {
    await this.api('POST', `/conversations/${conversationId}/join`, {});
  }

  async leave(conversationId: string): Promise<void> {
    await this.api('POST', `/conversations/${conversationId}/leave`, {});
    // Left from this device: gone from the list (its local copy stays until forgotten),
    // unless some of my messages never reached the relay: then it shows as removed.
    const s = this.summaries.get(conversationId);
    if (!s) return;
    const undelivered = await this.local.countUndelivered(conversationId);
    const cur = this.summaries.get(conversationId) ?? s;
    this.summaries.put({
      ...cur,
      listed: false,
      removed: true,
      undelivered,
      ...(undelivered === 0 ? { hidden: true } : {}),
    });
    this.ctx.host.disconnectBlocked();
  }

  async invite(conversationId: string, userIds: string[]): Promise<void> {
    await this.api('POST', `/conversations/${conversationId}/members`, { userIds });
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.api('DELETE', `/conversations/${conversationId}/members/${userId}`);
  }

  async setRole(conversationId: string, userId: string, role: ConversationRole): Promise<void> {
    await this.api('PATCH', `/conversations/${conversationId}/members/${userId}`, { role });
  }

  async rename(conversationId: string, title: string): Promise<void> {
    const t = title.trim();
    if (t.length === 0 || t.length > 200) throw new ApiError('invalid', 'A conversation title must be 1 to 200 characters.');
    await this.api('PATCH', `/conversations/${conversationId}`, { title: t });
  }

  /** Topic and description: checked here by core's rules (the relay checks them again). */
  async setChannelInfo(conversationId: string, info: { topic?: string; description?: string }): Promise<void> {
    const body: { topic?: string; description?: string } = {};
    if (info.topic !== undefined) {
      const t = normalizeTopic(info.topic);
      if (topicProblem(t)) throw new ApiError('invalid', `A topic is one line of at most ${MAX_TOPIC_CHARS} characters.`);
      body.topic = t;
    }
    if (info.description !== undefined) {
      const d = normalizeDescription(info.description);
      if (descriptionProblem(d)) {
        throw new ApiError('invalid', `A description is plain text of at most ${MAX_DESCRIPTION_CHARS} characters.`);
      }
      body.description = d;
    }
    await this.api('PATCH', `/conversations/${conversationId}`, body);
  }

  async setArchived(conversationId: string, archived: boolean): Promise<void> {
    await this.api('PATCH', `/conversations/${conversationId}`, { archived });
  }
}
