// An in-memory FerryClient with seeded conversations, for screenshots and UI checks of the
// renderer without a relay or IndexedDB. Test-only: the app itself uses the data layer.
// `window.__ferryFake` lets a Playwright script switch connectivity and add remote messages.

import type {
  ConversationStore,
  ConversationSummary,
  ConversationView,
  FerryClient,
  MessageView,
  Observe,
  Session,
  SyncStatus,
} from '../../../src/data/api';

type Listener<T> = (v: T) => void;

function subject<T>(get: () => T) {
  const listeners = new Set<Listener<T>>();
  const observe: Observe<T> = (l) => {
    listeners.add(l);
    l(get());
    return () => listeners.delete(l);
  };
  const notify = () => {
    const v = get();
    for (const l of [...listeners]) l(v);
  };
  return { observe, notify };
}

interface Conv {
  id: string;
  title: string;
  createdAt: number;
  messages: MessageView[];
  readCount: number;
  /** How many of the oldest messages are still "on older pages" (not loaded). */
  hidden: number;
  loadingOlder: boolean;
}

export interface FakeControls {
  setConnection(c: SyncStatus['connection']): void;
  setCatchUp(done: number, total: number): void;
  remote(conversationId: string, authorName: string, text: string): void;
  client: FakeClient;
}

const PAGE = 50;
const MIN = 60_000;

let counter = 0;
function id(at: number): string {
  counter += 1;
  return `${at.toString(36).padStart(9, '0')}-${counter.toString(36).padStart(4, '0')}-fake`;
}

export class FakeClient implements FerryClient {
  readonly session: Session;
  private convs: Conv[] = [];
  private status: SyncStatus = {
    connection: 'online',
    pending: 0,
    catchUp: null,
    lastSyncedAt: Date.now(),
  };
  private drafts = new Map<string, string>();
  private syncSubject = subject(() => this.status);
  private listSubject = subject(() => this.summaries());
  private convSubjects = new Map<string, ReturnType<typeof subject<ConversationView>>>();

  constructor(session: Session) {
    this.session = session;
  }

  sync: Observe<SyncStatus> = (l) => this.syncSubject.observe(l);
  conversations: Observe<ConversationSummary[]> = (l) => this.listSubject.observe(l);

  seed(convs: Array<Omit<Conv, 'hidden' | 'loadingOlder'>>) {
    this.convs = convs.map((c) => ({
      ...c,
      hidden: Math.max(0, c.messages.length - PAGE),
      loadingOlder: false,
    }));
    const pending = convs.flatMap((c) => c.messages).filter((m) => m.delivery === 'pending');
    this.status = { ...this.status, pending: pending.length };
    this.listSubject.notify();
  }

  private summaries(): ConversationSummary[] {
    return this.convs
      .map((c) => {
        const last = c.messages.at(-1);
        const others = c.messages.filter((m) => !m.mine).length;
        return {
          id: c.id,
          title: c.title,
          createdAt: c.createdAt,
          lastMessage: last
            ? {
                text: last.deleted ? 'Message deleted' : last.text,
                authorName: last.mine ? 'You' : last.authorName,
                at: last.createdAt,
              }
            : null,
          unread: Math.max(0, others - c.readCount),
        };
      })
      .sort((a, b) => (b.lastMessage?.at ?? b.createdAt) - (a.lastMessage?.at ?? a.createdAt));
  }

  private find(id: string): Conv {
    const c = this.convs.find((x) => x.id === id);
    if (!c) throw new Error(`No conversation ${id}`);
    return c;
  }

  private view(c: Conv): ConversationView {
    return {
      id: c.id,
      title: c.title,
      messages: c.messages.slice(c.hidden),
      hasOlder: c.hidden > 0,
      loadingOlder: c.loadingOlder,
    };
  }

  private changed(c: Conv) {
    this.convSubjects.get(c.id)?.notify();
    this.listSubject.notify();
  }

  private setStatus(patch: Partial<SyncStatus>) {
    this.status = { ...this.status, ...patch };
    this.syncSubject.notify();
  }

  private deliver() {
    if (this.status.connection !== 'online') return;
    setTimeout(() => {
      if (this.status.connection !== 'online') return;
      for (const c of this.convs) {
        let any = false;
        c.messages = c.messages.map((m) => {
          if (m.delivery !== 'pending') return m;
          any = true;
          return { ...m, delivery: 'stored' };
        });
        if (any) this.changed(c);
      }
      this.setStatus({ pending: 0, lastSyncedAt: Date.now() });
    }, 700);
  }

  controls(): FakeControls {
    return {
      client: this,
      setConnection: (connection) => {
        this.setStatus({ connection });
        this.deliver();
      },
      setCatchUp: (done, total) => this.setStatus({ catchUp: total > 0 ? { done, total } : null }),
      remote: (conversationId, authorName, text) => {
        const c = this.find(conversationId);
        const at = Date.now();
        c.messages = [
          ...c.messages,
          {
            id: id(at),
            authorId: `u-${authorName}`,
            authorName,
            text,
            createdAt: at,
            editedAt: null,
            deleted: false,
            writtenOffline: false,
            mine: false,
            delivery: 'stored',
          },
        ];
        this.changed(c);
      },
    };
  }

  async createConversation(title: string): Promise<string> {
    const cid = `c${Math.random().toString(36).slice(2, 10)}`;
    this.convs.push({
      id: cid,
      title,
      createdAt: Date.now(),
      messages: [],
      readCount: 0,
      hidden: 0,
      loadingOlder: false,
    });
    this.listSubject.notify();
    return cid;
  }

  open(conversationId: string): ConversationStore {
    const c = this.find(conversationId);
    let s = this.convSubjects.get(c.id);
    if (!s) {
      s = subject(() => this.view(c));
      this.convSubjects.set(c.id, s);
    }
    const subj = s;
    const mutate = (messageId: string, fn: (m: MessageView) => MessageView) => {
      c.messages = c.messages.map((m) => (m.id === messageId ? fn(m) : m));
      const pending = this.status.pending + 1;
      this.setStatus({ pending });
      this.changed(c);
      this.deliver();
    };
    return {
      id: c.id,
      loadRecent: async () => undefined,
      loadBefore: async () => {
        if (c.hidden === 0) return false;
        c.loadingOlder = true;
        this.changed(c);
        await new Promise((r) => setTimeout(r, 250));
        c.hidden = Math.max(0, c.hidden - PAGE);
        c.loadingOlder = false;
        this.changed(c);
        return true;
      },
      send: async (text: string) => {
        // Lets the UI check show what a failed write does (the composer keeps the text).
        if (text.includes('#fail')) throw new Error('The disk is full: the message was not saved.');
        const at = Date.now();
        const m: MessageView = {
          id: id(at),
          authorId: this.session.userId,
          authorName: this.session.displayName,
          text,
          createdAt: at,
          editedAt: null,
          deleted: false,
          writtenOffline: this.status.connection !== 'online',
          mine: true,
          delivery: 'pending',
        };
        c.messages = [...c.messages, m];
        this.setStatus({ pending: this.status.pending + 1 });
        this.changed(c);
        this.deliver();
        return m;
      },
      edit: async (messageId, text) =>
        mutate(messageId, (m) => ({ ...m, text, editedAt: Date.now(), delivery: 'pending' })),
      remove: async (messageId) =>
        mutate(messageId, (m) => ({ ...m, text: '', deleted: true, delivery: 'pending' })),
      markRead: () => {
        const others = c.messages.filter((m) => !m.mine).length;
        if (c.readCount !== others) {
          c.readCount = others;
          this.listSubject.notify();
        }
      },
      observe: (l) => subj.observe(l),
      close: () => undefined,
    };
  }

  async getDraft(conversationId: string): Promise<string> {
    return this.drafts.get(conversationId) ?? '';
  }
  async setDraft(conversationId: string, text: string): Promise<void> {
    this.drafts.set(conversationId, text);
  }
  async close(): Promise<void> {}
}

/** Seed data: a field team, a release, IT, a ship's crew. Times relative to `now`. */
export function seeded(session: Session, now = Date.now()): FakeClient {
  const client = new FakeClient(session);
  const people = {
    ingrid: { id: 'u-ingrid', name: 'Ingrid Solberg' },
    marcus: { id: 'u-marcus', name: 'Marcus Chen' },
    priya: { id: 'u-priya', name: 'Priya Raman' },
    tom: { id: 'u-tom', name: 'Tom Okafor' },
    me: { id: session.userId, name: session.displayName },
  };
  type Who = keyof typeof people;
  const mk = (
    who: Who,
    at: number,
    text: string,
    extra: Partial<MessageView> = {},
  ): MessageView => ({
    id: id(at),
    authorId: people[who].id,
    authorName: people[who].name,
    text,
    createdAt: at,
    editedAt: null,
    deleted: false,
    writtenOffline: false,
    mine: who === 'me',
    delivery: 'stored',
    ...extra,
  });
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  const t = (daysAgo: number, h: number, m: number) =>
    today.getTime() - daysAgo * 86_400_000 + h * 3_600_000 + m * MIN;
  const clamp = (at: number) => Math.min(at, now - MIN);

  const lines = [
    'Tide tables for the week are in the shared folder.',
    'Station 2 battery at 78%, swapping it on the next visit.',
    'Logged the afternoon readings, nothing unusual.',
    'The spare anemometer arrived, leaving it in the boat shed.',
    'Fog rolled in around noon, we stayed on the north transect.',
    'Uploaded the photos of the mooring, the chain looks fine.',
    'Can someone double-check the GPS offsets on line 7?',
    'Done, offsets match the survey from March.',
    'Heading back early tomorrow, weather window closes at 15:00.',
    'Great work today everyone.',
  ];
  const history: MessageView[] = [];
  const names: Who[] = ['ingrid', 'marcus', 'priya', 'me'];
  for (let i = 0; i < 240; i++) {
    const who = names[(i * 7) % 4] as Who;
    const day = 9 - Math.floor(i / 30);
    history.push(mk(who, t(day, 8, (i % 30) * 17), lines[i % lines.length] ?? ''));
  }

  const field: MessageView[] = [
    ...history,
    mk(
      'ingrid',
      t(1, 16, 2),
      'Boat is loaded. We lose coverage past the fjord mouth, so expect silence until tomorrow morning.',
    ),
    mk(
      'ingrid',
      t(1, 16, 3),
      'Checklist is in the shared drive: https://files.corp.example/field/checklist-v3.pdf',
    ),
    mk('marcus', t(1, 16, 20), 'Safe trip! I will keep the station log open tonight.'),
    mk(
      'ingrid',
      clamp(t(0, 7, 41)),
      'Morning from the station. Wrote these on the way out while we had no signal:',
      { writtenOffline: true },
    ),
    mk(
      'ingrid',
      clamp(t(0, 7, 42)),
      'Sensor 4 is reading 0.3 °C high again.\nSwapped the cable, still drifting. Can someone pull last week’s calibration?',
      { writtenOffline: true, editedAt: clamp(t(0, 9, 10)) },
    ),
    mk(
      'marcus',
      clamp(t(0, 9, 12)),
      'On it. Calibration from the 19th is attached to the ticket, values look sane.',
    ),
    mk('marcus', clamp(t(0, 9, 13)), '', { deleted: true }),
    mk(
      'me',
      clamp(t(0, 9, 30)),
      'Thanks both. I will compare against the spare unit this afternoon and post the numbers here.',
    ),
    mk(
      'me',
      clamp(now - 4 * MIN),
      'Numbers are in: the spare reads within 0.05 °C. Looks like sensor 4 itself.',
      { writtenOffline: true },
    ),
    mk('me', clamp(now - 2 * MIN), 'Ordering a replacement now, ETA Thursday.', {
      delivery: 'pending',
    }),
  ];

  client.seed([
    {
      id: 'c-field',
      title: 'Field team Norway',
      createdAt: t(30, 9, 0),
      messages: field,
      readCount: field.filter((m) => !m.mine).length,
    },
    {
      id: 'c-release',
      title: 'Release 0.2 planning',
      createdAt: t(12, 9, 0),
      messages: [
        mk('priya', clamp(t(0, 10, 5)), 'Draft agenda for Thursday is up.'),
        mk('tom', clamp(t(0, 10, 30)), 'Can we cover the offline editing bugs first?'),
        mk(
          'priya',
          clamp(now - 25 * MIN),
          'Yes, moved them to the top. Installer signing is second.',
        ),
      ],
      readCount: 0,
    },
    {
      id: 'c-aurora',
      title: 'Bridge crew — MV Aurora',
      createdAt: t(40, 9, 0),
      messages: [
        mk('tom', clamp(now - 52 * MIN), 'Satellite window opens at 14:00 UTC, we will sync then.'),
      ],
      readCount: 0,
    },
    {
      id: 'c-it',
      title: 'IT helpdesk',
      createdAt: t(50, 9, 0),
      messages: [
        mk('me', t(1, 11, 0), 'Is the relay maintenance still on for Saturday?'),
        mk('marcus', t(1, 11, 40), 'Yes, 06:00–07:00. The app keeps working offline during it.'),
      ],
      readCount: 1,
    },
    {
      id: 'c-design',
      title: 'Design reviews',
      createdAt: t(60, 9, 0),
      messages: [mk('priya', t(3, 15, 0), 'Dark theme contrast looks much better now.')],
      readCount: 1,
    },
    { id: 'c-new', title: 'Procurement', createdAt: t(5, 9, 0), messages: [], readCount: 0 },
  ]);
  return client;
}
