// Company sign-in wired into a relay with accounts on: the sources from the config, the
// channel memberships the directory keeps in step (through the membership service, so every
// change is audited and closes rooms like an owner's), the routes, metrics, and the sync.
import { defaultNodeId } from '../cluster/bus';
import type { RelayConfig } from '../config';
import type { Conversations } from '../conversations/service';
import { installIdentityRoutes } from '../http/identity-routes';
import type { Logger } from '../log';
import type { RelayServices } from '../server';
import type { ChannelMembership } from './apply';
import { DIRECTORY_ACTOR } from './apply';
import { identitySetup } from './config';
import { Identity } from './service';

/** The directory acts as a workspace admin would, under its own name in the audit log. */
const DIRECTORY_CALLER = { id: DIRECTORY_ACTOR.actor, role: 'admin' as const };

export function channelMembership(conversations: Conversations): ChannelMembership {
  return {
    exists: (id) => conversations.db.conversation(id) !== null,
    isMember: (id, user) => conversations.db.roleOf(id, user) !== null,
    add: (id, user) => void conversations.addMembers(DIRECTORY_CALLER, id, [user]),
    remove: (id, user) => void conversations.remove(DIRECTORY_CALLER, id, user),
  };
}

/** Builds and starts company sign-in; null when the config has no `identity` section. */
export function startIdentity(deps: {
  config: RelayConfig;
  log: Logger;
  metrics: RelayServices['metrics'];
  store: RelayServices['store'];
  accounts: RelayServices['accounts'];
  audit: RelayServices['audit'];
  api: RelayServices['api'];
  conversations: Conversations;
}): Identity | null {
  const { config, log, metrics, store, accounts, audit, api } = deps;
  const identity = config.identity
    ? new Identity({
        setup: identitySetup(config.identity),
        db: store.db,
        accounts,
        audit,
        log: log.child({ part: 'identity' }),
        node: config.nodeId ?? defaultNodeId(),
        onSynced: (record, ms) => {
          metrics.directorySyncs.inc({ result: record.ok ? 'ok' : 'failed' });
          metrics.directorySyncSeconds.observe(ms / 1000);
          metrics.directoryDisabled.inc(record.disabled);
        },
        onSignIn: (source, result) => metrics.directorySignIns.inc({ source, result }),
      })
    : null;
  identity?.setChannels(channelMembership(deps.conversations));
  installIdentityRoutes({ router: api.router, identity, accounts, audit, log });
  identity?.start();
  return identity;
}
