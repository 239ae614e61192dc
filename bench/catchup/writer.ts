// The catch-up benchmark's writers: real Ferry clients (the renderer's data layer under Node,
// fake-indexeddb and `ws`, as the data tests run it) signed in to the relay. One person owns
// the channels; a few others each have a DM with the reader. They write while the reader's
// devices are away.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import WebSocket from 'ws';
import { browserBackend } from '../../renderer/src/data/browser-backend';
import type { FerryClient } from '../../renderer/src/data/api';
import type { BenchUser } from './relay';

// Every stock WebsocketProvider adds a process 'exit' listener under Node.
process.setMaxListeners(0);

/** The client's own surface the benchmark waits on (client.ts has it; FerryClient does not). */
type BenchClient = FerryClient & {
  idle(): Promise<void>;
  whenSettled(timeoutMs?: number): Promise<void>;
};
type Client = BenchClient;

class MemorySecrets {
  private readonly values = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async set(key: string, value: string | null): Promise<void> {
    if (value === null) this.values.delete(key);
    else this.values.set(key, value);
  }
}

export async function signIn(serverUrl: string, user: BenchUser): Promise<Client> {
  const backend = browserBackend({
    indexedDB: new IDBFactory(),
    WebSocket,
    secrets: new MemorySecrets(),
    device: `bench writer ${user.username}`,
  });
  const r = await backend.signIn({ serverUrl, username: user.username, password: user.password });
  if (!r.ok) throw new Error(`sign-in ${user.username}: ${r.code} ${r.message}`);
  return r.client as Client;
}

const WORDS =
  'the ship left harbour at dawn with crates of spare parts for the field station and a crew of nine'.split(
    ' ',
  );

export function sentence(i: number): string {
  const n = 4 + (i % 13);
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(WORDS[(i * 7 + k * 3) % WORDS.length] as string);
  return out.join(' ');
}

/** Writes `texts` into conversation `id` as `client`. */
export async function write(client: Client, id: string, texts: string[]): Promise<void> {
  const c = client.open(id);
  await c.loadRecent();
  for (const t of texts) await c.send(t);
  c.close();
}

/**
 * Waits until the relay confirmed the client's writes. On a loaded machine a thousand new
 * conversations may take longer than 3 minutes: then it says so and goes on (the reader's
 * unread check shows anything that did not arrive).
 */
export async function settled(client: Client): Promise<void> {
  try {
    await client.whenSettled(180_000);
  } catch (e) {
    console.error(`writer ${client.session.username}: ${(e as Error).message.slice(0, 120)}`);
  }
  await client.idle();
}
