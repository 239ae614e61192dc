// The workspace's part of issue 12 (docs/messaging.md "Message links" and "Forwarded messages"):
// Copy link and Forward for every message row (lib/message-tools.ts context), opening a linked
// message in context (the browser's hash route and the desktop app's ferry:// links) or saying
// in plain words why not, and the notice those show. Created once by Workspace.svelte, during
// its setup (it provides a context and runs effects).
import type {
  ConversationSummary,
  FerryClient,
  ForwardSource,
  MessageView,
  SyncStatus,
} from '../../data/api';
import { parseMessageHash, type MessageLinkTarget } from '../../../../core/src/desktop/links';
import { platform } from '../../platform';
import type { ToastMessage } from '../components/Toast.svelte';
import { appAddress, linkProblem, messageLinks, provideMessageTools } from './message-tools';

export interface WorkspaceLinksDeps {
  client: FerryClient;
  conversations(): readonly ConversationSummary[];
  /** The open conversation. */
  open(): ConversationSummary | null;
  openId(): string | null;
  sync(): SyncStatus;
  sessionEnded(): boolean;
  /** Shows a message in its conversation, highlighted (a reply in its thread). */
  openFound(conversationId: string, messageId: string): void;
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    console.warn('copy failed', e);
    return false;
  }
}

export class WorkspaceLinks {
  toast = $state.raw<ToastMessage | null>(null);
  forwardOpen = $state(false);
  forwardSource = $state.raw<ForwardSource | null>(null);
  /** A link whose conversation is not in my list (yet): opened if it arrives, else explained. */
  private pending = $state.raw<MessageLinkTarget | null>(null);

  constructor(private readonly deps: WorkspaceLinksDeps) {
    provideMessageTools({
      copyLink: (m) => this.copyLink(m),
      forward: (m) => this.forward(m),
      openOrigin: (f) =>
        this.openLink({ conversationId: f.conversationId, messageId: f.messageId }),
      canOpen: (id) => deps.conversations().some((c) => c.id === id && !c.removed),
    });

    // A pending link: opened as soon as its conversation is listed; explained once this device
    // has caught up (or cannot: offline) without it.
    $effect(() => {
      const t = this.pending;
      if (!t) return;
      const list = deps.conversations();
      if (list.some((c) => c.id === t.conversationId)) {
        this.openLink(t);
        return;
      }
      const s = deps.sync();
      const settled =
        (s.connection === 'online' && s.catchUp === null) ||
        s.connection === 'offline' ||
        s.connection === 'unreachable' ||
        deps.sessionEnded();
      if (settled && !this.toast?.problem) {
        this.toast = { text: linkProblem(t.conversationId, list) ?? '', problem: true };
      }
    });

    // Browser build: a link opens the app at `#/c/<conv>/m/<msg>` (now, or pasted later).
    $effect(() => {
      const fromHash = () => {
        const t = parseMessageHash(location.hash);
        if (!t) return;
        history.replaceState(null, '', location.pathname + location.search);
        this.openLink(t);
      };
      fromHash();
      window.addEventListener('hashchange', fromHash);
      return () => window.removeEventListener('hashchange', fromHash);
    });
  }

  private copyLink(m: MessageView): void {
    const conversationId = this.deps.openId();
    if (!conversationId) return;
    const { client } = this.deps;
    const appUrl = appAddress(platform().kind, location.href, client.session.serverUrl);
    const links = messageLinks(appUrl, { conversationId, messageId: m.id });
    void copy(links.web).then((ok) => {
      this.toast = ok
        ? {
            text: 'Link copied.',
            action: {
              label: 'Copy ferry:// link',
              run: () =>
                void copy(links.app).then((done) => {
                  if (done) this.toast = { text: 'Desktop app link copied.' };
                }),
            },
          }
        : { text: `Copying is not allowed here. The link: ${links.web}`, problem: true };
    });
  }

  private forward(m: MessageView): void {
    const open = this.deps.open();
    const conversationId = this.deps.openId();
    if (!conversationId) return;
    this.forwardSource = {
      conversationId,
      title: open && open.kind !== 'dm' ? open.title : '',
      message: m,
    };
    this.forwardOpen = true;
  }

  /** Opens a linked message in context, or says in plain words why it cannot. */
  openLink(t: MessageLinkTarget): void {
    if (linkProblem(t.conversationId, this.deps.conversations()) === null) {
      this.pending = null;
      if (this.toast?.problem) this.toast = null;
      this.deps.openFound(t.conversationId, t.messageId);
      this.watchDeleted(t);
    } else {
      this.pending = t;
    }
  }

  /** A link to a deleted message says so (its conversation opens where it was). */
  private watchDeleted(t: MessageLinkTarget): void {
    const store = this.deps.client.open(t.conversationId);
    let off: (() => void) | null = null;
    let done = false;
    const finish = () => {
      done = true;
      off?.();
      store.close();
    };
    off = store.lookup(t.messageId)((l) => {
      if (done || l.state === 'loading') return;
      if (l.state === 'found' && l.message.deleted) {
        this.toast = {
          text: 'That message was deleted. Its conversation is open where it was.',
          problem: true,
        };
      }
      queueMicrotask(finish);
    });
    if (done) finish();
  }
}
