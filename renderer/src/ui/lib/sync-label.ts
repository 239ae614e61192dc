// What the sync status indicator says, as data: one state, a label and optional progress.

import type { SyncStatus } from '../../data/api';

export type SyncState =
  'ended' | 'offline' | 'connecting' | 'unreachable' | 'catching-up' | 'waiting' | 'synced';

export interface SyncLabel {
  state: SyncState;
  label: string;
  detail: string;
  /** 0..1 while catching up. */
  progress: number | null;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** `ended`: the relay ended the session; nothing syncs until the user signs in again. */
export function syncLabel(s: SyncStatus, ended = false): SyncLabel {
  const waiting = plural(s.pending, 'change waiting', 'changes waiting');
  if (ended) {
    return {
      state: 'ended',
      label: 'Not syncing',
      detail: s.pending > 0 ? `${waiting} · sign in to send` : 'Sign in again to sync',
      progress: null,
    };
  }
  if (s.connection === 'offline') {
    return {
      state: 'offline',
      label: 'Offline',
      detail: s.pending > 0 ? `${waiting} to sync` : 'Everything you write is kept on this device',
      progress: null,
    };
  }
  if (s.connection === 'unreachable') {
    return {
      state: 'unreachable',
      label: "Can't reach the server",
      detail: s.pending > 0 ? `${waiting} · retrying` : 'Retrying · your messages stay here',
      progress: null,
    };
  }
  if (s.connection === 'connecting') {
    return {
      state: 'connecting',
      label: 'Connecting…',
      detail: s.pending > 0 ? waiting : 'Reaching the server',
      progress: null,
    };
  }
  if (s.catchUp && s.catchUp.total > 0 && s.catchUp.done < s.catchUp.total) {
    return {
      state: 'catching-up',
      label: `Syncing ${s.catchUp.done}/${s.catchUp.total}`,
      detail: s.pending > 0 ? waiting : 'Catching up with the server',
      progress: s.catchUp.done / s.catchUp.total,
    };
  }
  if (s.pending > 0) {
    return { state: 'waiting', label: waiting, detail: 'Sending to the server', progress: null };
  }
  return {
    state: 'synced',
    label: 'Synced',
    detail: 'Everything is on the server',
    progress: null,
  };
}
