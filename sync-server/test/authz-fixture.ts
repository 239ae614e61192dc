// A relay with accounts on and a few users, for the membership, socket-auth, authorship and
// directory tests: a real relay process, users made through the real API.
import Database from 'better-sqlite3';
import * as decoding from 'lib0/decoding';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type * as Y from 'yjs';
import { newId } from '../../core/src/ids';
import { MuxConnection, type WebSocketConstructor } from '../../core/src/protocol/mux-client';
import { api, login, type ApiResponse, type Tokens } from './accounts-helpers';
import {
  changed,
  client,
  removeDir,
  startRelayProcess,
  stored,
  synced,
  tempDir,
  until,
  type Client,
  type RelayProcess,
} from './helpers';

export const WS = WebSocket as unknown as WebSocketConstructor;
export const PASSWORD = 'correct horse battery';

export interface TestUser extends Tokens {
  id: string;
  username: string;
  password: string;
}

export class Fixture {
  readonly clients: Client[] = [];
  readonly muxes: MuxConnection[] = [];
  readonly users = new Map<string, TestUser>();
  private auditDb: Database.Database | null = null;

  private constructor(
    readonly dir: string,
    public relay: RelayProcess,
    readonly admin: TestUser,
  ) {}

  static async start(args: string[] = [], env: Record<string, string> = {}): Promise<Fixture> {
    const dir = tempDir();
    const relay = await startRelayProcess(dir, args, { auth: true, env });
    const r = await api<Tokens>(relay.http, 'POST', '/setup', {
      body: { username: 'admin', password: PASSWORD, displayName: 'Admin' },
    });
    if (r.status !== 201) throw new Error(`setup: ${r.status} ${JSON.stringify(r.body)}`);
    const admin = { ...r.body, id: r.body.user.id, username: 'admin', password: PASSWORD };
    const f = new Fixture(dir, relay, admin);
    f.users.set('admin', admin);
    return f;
  }

  get http(): string {
    return this.relay.http;
  }

  /**
   * Creates a user through the admin API and signs them in. The admin's password must be
   * changed at first sign-in (docs/accounts.md, Onboarding), so the user first replaces it
   * with PASSWORD, as a person would.
   */
  async user(username: string, role: 'admin' | 'member' | 'guest' = 'member'): Promise<TestUser> {
    if (Date.now() > this.admin.accessExpiresAt - 1000) await this.relogin(this.admin);
    const given = `${PASSWORD}-given`;
    const r = await this.call('POST', '/admin/users', this.admin, {
      username,
      role,
      password: given,
      displayName: username[0]?.toUpperCase() + username.slice(1),
    });
    if (r.status !== 201)
      throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    const first = await login(this.http, username, given);
    const changed = await api(this.http, 'POST', '/me/password', {
      token: first.accessToken,
      body: { currentPassword: given, newPassword: PASSWORD },
    });
    if (changed.status !== 204) throw new Error(`password of ${username}: ${changed.status}`);
    // The session goes on, unrestricted now (one sign-in per user, as before).
    const { passwordChangeRequired: _, ...tokens } = first as Tokens & {
      passwordChangeRequired?: boolean;
    };
    const u = { ...tokens, id: tokens.user.id, username, password: PASSWORD };
    this.users.set(username, u);
    return u;
  }

  /** Signs the user in again (a new session, a fresh access token). */
  async relogin(u: TestUser): Promise<TestUser> {
    const tokens = await login(this.http, u.username, u.password);
    Object.assign(u, tokens);
    return u;
  }

  call<T = Record<string, unknown>>(
    method: string,
    route: string,
    as: TestUser | null,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    return api<T>(this.http, method, route, {
      ...(as ? { token: as.accessToken } : {}),
      ...(body !== undefined ? { body } : {}),
    });
  }

  /** POST /conversations, throwing unless it answers 200 or 201. */
  async conversation(
    as: TestUser,
    body: { id: string; kind: string; title?: string; visibility?: string; members?: string[] },
  ): Promise<Record<string, unknown>> {
    const r = await this.call('POST', '/conversations', as, body);
    if (r.status !== 201 && r.status !== 200) {
      throw new Error(`create conversation: ${r.status} ${JSON.stringify(r.body)}`);
    }
    return r.body;
  }

  /** A stock provider on the plain endpoint with the user's token. */
  plain(room: string, as: TestUser | null, doc?: Y.Doc): Client {
    const c = client(this.relay.url, room, { connect: false, ...(doc ? { doc } : {}) });
    if (as) c.provider.params = { token: as.accessToken };
    c.provider.connect();
    this.clients.push(c);
    return c;
  }

  /** `plain`, once the relay's first sync has arrived: a fresh client (new clientID) in the room. */
  async joined(room: string, as: TestUser | null): Promise<Client> {
    const c = this.plain(room, as);
    await synced(c);
    return c;
  }

  /** A mux connection with the user's token. */
  mux(as: TestUser): MuxConnection {
    const m = muxTo(this.relay.url, as);
    this.muxes.push(m);
    return m;
  }

  /** A stock provider for `room` on a mux connection. */
  onMux(m: MuxConnection, room: string, doc?: Y.Doc): Client {
    const c = providerOn(m, room, doc);
    this.clients.push(c);
    return c;
  }

  /** The audit log as stored (read-only connection; the relay keeps writing). */
  audit(action?: string): Array<{
    actor: string | null;
    action: string;
    target: string | null;
    detail: Record<string, unknown> | null;
  }> {
    this.auditDb ??= new Database(path.join(this.dir, 'ferry.db'), { readonly: true });
    const rows = this.auditDb
      .prepare<
        [],
        { actor: string | null; action: string; target: string | null; detail: string | null }
      >('SELECT actor, action, target, detail FROM audit ORDER BY seq')
      .all();
    return rows
      .filter((r) => action === undefined || r.action === action)
      .map((r) => ({
        ...r,
        detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
      }));
  }

  /** Rows of a table, read-only. */
  rows<T>(sql: string): T[] {
    this.auditDb ??= new Database(path.join(this.dir, 'ferry.db'), { readonly: true });
    return this.auditDb.prepare<[], T>(sql).all();
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.destroy();
    for (const m of this.muxes) m.destroy();
    this.auditDb?.close();
    await this.relay.stop('SIGKILL');
    removeDir(this.dir);
  }
}

/** A mux connection to the relay at `url` (ws://…) with the user's token. */
export function muxTo(url: string, as: TestUser): MuxConnection {
  const m = new MuxConnection(`${url}/_mux?token=${as.accessToken}`, {
    WebSocket: WS,
    minBackoffMs: 50,
  });
  m.onStatus(changed);
  return m;
}

/** A stock provider for `room` on a mux connection. */
export function providerOn(m: MuxConnection, room: string, doc?: Y.Doc): Client {
  return client(m.url, room, { WebSocketPolyfill: m.WebSocketPolyfill, ...(doc ? { doc } : {}) });
}

/** A fresh 16-character id, as a client mints it. */
export function newTestId(): string {
  return newId((n) => new Uint8Array(randomBytes(n)));
}

/** Collects the permission-denied reasons the relay sends this provider. */
export function denials(c: Client): string[] {
  const out: string[] = [];
  c.provider.messageHandlers[2] = (_encoder, decoder) => {
    if (decoding.readVarUint(decoder) === 0) out.push(decoding.readVarString(decoder));
    changed();
  };
  return out;
}

/** A fresh client of `user` in `room`, synced. */
export async function joinRoom(f: Fixture, user: TestUser, room: string): Promise<Client> {
  const c = f.onMux(f.mux(user), room);
  await synced(c);
  return c;
}

/**
 * Runs a hostile write from a fresh client of `user` in `room` and checks the whole refusal:
 * permission denied to the sender, an `update.refused` audit row naming the rule, the sender's
 * clientID quarantined, nothing stored. An update that only deletes (`deletesOnly`) carries none
 * of the sender's clientIDs: nothing to quarantine (and nothing of the sender's depends on it).
 */
export async function forge(
  f: Fixture,
  user: TestUser,
  rule: string,
  write: (doc: Y.Doc) => void,
  room: string,
  deletesOnly = false,
): Promise<{ client: Client; denied: string[] }> {
  const c = await joinRoom(f, user, room);
  const denied = denials(c);
  const before = f.audit('update.refused').length;
  write(c.doc);
  await until(() => denied.length > 0, `permission denied for ${rule}`);
  await until(() => f.audit('update.refused').length > before, 'the audit row');
  const row = f.audit('update.refused').at(-1);
  expect(row).toMatchObject({ actor: user.id, target: room });
  expect(row?.detail).toMatchObject({ rule, room, user: user.id });
  const expected = deletesOnly ? [] : [c.doc.clientID];
  expect(row?.detail?.clientIds).toEqual(expected);
  const quarantined = f.rows<{ client_id: number; user: string }>(
    `SELECT client_id, user FROM quarantine WHERE client_id = ${c.doc.clientID}`,
  );
  expect(quarantined).toEqual(expected.map((id) => ({ client_id: id, user: user.id })));
  if (!deletesOnly) expect(stored(c)).toBe(false);
  return { client: c, denied };
}

/** Opens a raw socket and resolves with how the relay closes it. */
export function rawClose(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('error', reject);
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/** The close event the provider's next socket ends with (code, reason). */
export function nextClose(c: Client): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const on = (event: { code: number; reason: string } | null) => {
      if (!event) return;
      c.provider.off('connection-close', on as never);
      resolve({ code: event.code, reason: event.reason });
    };
    c.provider.on('connection-close', on as never);
  });
}
