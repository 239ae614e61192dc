// The WebSocket half of the authorization matrix (docs/accounts.md; core's can() is the
// table): for every workspace role and conversation role, in a DM, an open and a private
// channel, an announcement channel and an archived channel, whether the relay lets the user
// open the room, post, react, delete someone else's message (moderation), and write their own
// inbox. Real relay, stock providers on the mux, updates made with core's writers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { can, type Actor, type ConversationState } from '../../core/src/authz/permissions';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { dmConversationId, newId } from '../../core/src/ids';
import { addMessage, deleteMessage, getMessage, react } from '../../core/src/model/page';
import { inboxRoom, pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import type { MuxConnection } from '../../core/src/protocol/mux-client';
import { Fixture, denials, newTestId, nextClose, type TestUser } from './authz-fixture';
import { stored, synced, until, type Client } from './helpers';

process.setMaxListeners(0);

type Outcome = 'allowed' | 'refused';
type Cell = { user: string; conv: string; action: string; expected: Outcome; got?: Outcome };

const USERS = {
  adm: { workspaceRole: 'admin' },
  own: { workspaceRole: 'member' },
  mod: { workspaceRole: 'member' },
  mem: { workspaceRole: 'member' },
  gst: { workspaceRole: 'guest' },
  out: { workspaceRole: 'member' },
} as const;
type UserName = keyof typeof USERS;

interface ConvSpec {
  name: string;
  state: ConversationState;
  roles: Partial<Record<UserName, 'owner' | 'moderator' | 'member'>>;
}

const CHANNEL_ROLES = { own: 'owner', mod: 'moderator', mem: 'member', gst: 'member' } as const;
const CONVS: ConvSpec[] = [
  {
    name: 'dm',
    state: { kind: 'dm', visibility: 'private', archived: false },
    roles: { own: 'member', mem: 'member' },
  },
  {
    name: 'open',
    state: { kind: 'channel', visibility: 'open', archived: false },
    roles: CHANNEL_ROLES,
  },
  {
    name: 'private',
    state: { kind: 'channel', visibility: 'private', archived: false },
    roles: CHANNEL_ROLES,
  },
  {
    name: 'announcement',
    state: { kind: 'announcement', visibility: 'private', archived: false },
    roles: CHANNEL_ROLES,
  },
  {
    name: 'archived',
    state: { kind: 'channel', visibility: 'private', archived: true },
    roles: CHANNEL_ROLES,
  },
];

describe('authorization matrix over WebSocket', () => {
  let f: Fixture;
  const users = {} as Record<UserName, TestUser>;
  const muxes = {} as Record<UserName, MuxConnection>;
  /** Per conversation: its page room, the message everyone reacts to, one per user to delete. */
  const rooms = new Map<string, { room: string; seed: string; targets: Record<string, string> }>();
  let clock: Clock;
  const cells: Cell[] = [];

  beforeAll(async () => {
    f = await Fixture.start(['--limit-updates-user', '10000/1000/s']);
    for (const name of Object.keys(USERS) as UserName[]) {
      users[name] = await f.user(name, USERS[name].workspaceRole);
    }
    clock = createClock(newId((n) => crypto.getRandomValues(new Uint8Array(n))));
    for (const spec of CONVS) {
      const others = Object.keys(spec.roles).filter((u) => u !== 'own') as UserName[];
      const id =
        spec.state.kind === 'dm' ? dmConversationId(users.own.id, users.mem.id) : newTestId();
      await f.conversation(users.own, {
        id,
        kind: spec.state.kind,
        ...(spec.state.kind === 'dm'
          ? {}
          : { title: spec.name, visibility: spec.state.visibility }),
        members: others.map((u) => users[u].id),
      });
      if (spec.roles.mod === 'moderator') {
        await f.call('PATCH', `/conversations/${id}/members/${users.mod.id}`, users.own, {
          role: 'moderator',
        });
      }
      // The owner's messages: one every cell reacts to, one per user to try to delete.
      const seed = tick(clock, Date.now());
      const room = pageRoom(id, periodOfMessage(seed));
      const c = f.onMux(f.mux(users.own), room);
      await synced(c);
      const targets: Record<string, string> = {};
      for (const who of ['', ...Object.keys(USERS)]) {
        const msg = who === '' ? seed : tick(clock, Date.now());
        if (who !== '') targets[who] = msg;
        addMessage(c.doc, {
          id: msg,
          author: users.own.id,
          text: `in ${spec.name}`,
          createdAt: Date.now(),
        });
      }
      await until(() => stored(c), 'seed stored');
      c.destroy();
      if (spec.state.archived) {
        expect(
          (await f.call('PATCH', `/conversations/${id}`, users.own, { archived: true })).status,
        ).toBe(200);
      }
      rooms.set(spec.name, { room, seed, targets });
    }
    for (const name of Object.keys(USERS) as UserName[]) muxes[name] = f.mux(users[name]);
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  /** Opens the room as `user` on their mux: the synced client, or null when closed 4403. */
  async function open(user: UserName, room: string): Promise<Client | null> {
    const c = f.onMux(muxes[user], room);
    const result = await Promise.race([
      synced(c).then(() => 'synced' as const),
      nextClose(c).then((e) => (e.code === 4403 ? ('forbidden' as const) : ('other' as const))),
    ]);
    if (result === 'synced') return c;
    c.destroy();
    if (result !== 'forbidden') throw new Error(`unexpected close opening ${room}`);
    return null;
  }

  const deniedOf = new WeakMap<Client, string[]>();

  /**
   * Writes with `write` (with the client's current clientID) and waits until the relay
   * acknowledges that clientID's items (stored) or answers permission-denied (refused).
   */
  async function attempt(c: Client, write: (doc: Y.Doc) => void): Promise<Outcome> {
    let denied = deniedOf.get(c);
    if (!denied) deniedOf.set(c, (denied = denials(c)));
    const list = denied;
    const before = list.length;
    const client = c.doc.clientID;
    write(c.doc);
    const clock = Y.getState(c.doc.store, client);
    if (clock === 0) throw new Error('the write wrote nothing');
    await until(
      () => list.length > before || (c.relayState().get(client) ?? 0) >= clock,
      'stored or refused',
    );
    return list.length > before ? 'refused' : 'allowed';
  }

  function expectFor(user: UserName, spec: ConvSpec, action: Parameters<typeof can>[1]): Outcome {
    const actor: Actor = {
      workspaceRole: USERS[user].workspaceRole,
      convRole: spec.roles[user] ?? null,
    };
    return can(actor, action, spec.state) ? 'allowed' : 'refused';
  }

  it('matches can() for open / post / react / moderate-delete in every conversation kind', async () => {
    await Promise.all(
      (Object.keys(USERS) as UserName[]).map(async (user) => {
        for (const spec of CONVS) {
          const { room, seed, targets } = rooms.get(spec.name) as {
            room: string;
            seed: string;
            targets: Record<string, string>;
          };
          const target = targets[user] as string;
          const record = (action: string, expected: Outcome, got: Outcome) =>
            cells.push({ user, conv: spec.name, action, expected, got });

          // One client per user and room; each attempt writes with a fresh clientID, since a
          // refused one is quarantined (its later updates would be refused whatever they are).
          const c = await open(user, room);
          record('open', expectFor(user, spec, 'read'), c ? 'allowed' : 'refused');
          if (!c) continue; // nothing else can be tried without the room
          const original = c.doc.clientID;
          const fresh = () => (c.doc.clientID = Math.floor(Math.random() * 2 ** 31));
          fresh();
          const id = tick(clock, Date.now());
          record(
            'post',
            expectFor(user, spec, 'post'),
            await attempt(c, (doc) =>
              addMessage(doc, {
                id,
                author: users[user].id,
                text: `${user} posts`,
                createdAt: Date.now(),
              }),
            ),
          );
          fresh();
          record(
            'react',
            expectFor(user, spec, 'react'),
            await attempt(c, (doc) => react(doc, seed, '👍', users[user].id, true, Date.now())),
          );
          if (user !== 'own') {
            // The owner's messages are the owner's own: deleting them is not moderation.
            fresh();
            if (!getMessage(c.doc, target)) throw new Error('target missing');
            record(
              'delete-others',
              expectFor(user, spec, 'delete-others'),
              await attempt(c, (doc) =>
                deleteMessage(doc, target, users[user].id, Date.now(), { moderator: true }),
              ),
            );
          }
          c.doc.clientID = original; // the provider's awareness is keyed by it
          c.destroy();
        }
      }),
    );
    let expectedCells = 0;
    for (const user of Object.keys(USERS) as UserName[]) {
      for (const spec of CONVS) {
        const member = spec.roles[user] !== undefined;
        expectedCells += 1 + (member ? (user === 'own' ? 2 : 3) : 0);
      }
    }
    expect(cells).toHaveLength(expectedCells);
    const wrong = cells.filter((c) => c.got !== c.expected);
    expect(wrong).toEqual([]);
    // Every kind of answer happened.
    for (const action of ['open', 'post', 'react', 'delete-others']) {
      expect(cells.some((c) => c.action === action && c.got === 'allowed')).toBe(true);
      expect(cells.some((c) => c.action === action && c.got === 'refused')).toBe(true);
    }
  }, 120_000);

  it('opens the workspace for every active admin and member, never a guest, and refuses every client write to an inbox', async () => {
    for (const user of Object.keys(USERS) as UserName[]) {
      // A guest may not see people they share no conversation with (docs/accounts.md).
      const ws = await open(user, 'workspace');
      expect(ws === null, `${user} opening the workspace`).toBe(
        USERS[user].workspaceRole === 'guest',
      );
      ws?.destroy();
      const inbox = await open(user, inboxRoom(users[user].id));
      if (!inbox) throw new Error(`${user} cannot open their inbox`);
      const got = await attempt(inbox, (doc) =>
        doc.getMap('people').set(users[user].id, { username: 'x', displayName: 'Forged' }),
      );
      expect(got, `${user} writing their inbox`).toBe('refused');
      inbox.destroy();
      const other = await open(user, inboxRoom(users.own.id));
      expect(other === null, `${user} opening someone else's inbox`).toBe(user !== 'own');
      other?.destroy();
    }
  });
});
