// Wiring of membership, enforced authorship and the directory into a relay with accounts on
// (docs/accounts.md): the membership service and its routes, the `RelayHooks` (authz.ts) and
// the directory writer (directory.ts). `startRelay(config, log, membershipHooks(config, log))`.
import type { AuditEntry } from '../audit';
import { CloseCode } from '../../../core/src/protocol/messages';
import { Authz, isConversationRoom } from '../authz';
import type { RelayConfig } from '../config';
import { Directory } from '../directory';
import type { RelayHooks } from '../hooks';
import { parseBucketSpec, type BucketSpec } from '../limits';
import type { Logger } from '../log';
import type { RelayServices } from '../server';
import { MembershipDb } from './db';
import { SystemEvents } from './events';
import { registerConversationRoutes } from './routes';
import { Conversations } from './service';
import { startIdentity } from '../identity/wiring';

function spec(text: string): BucketSpec {
  const s = parseBucketSpec(text);
  if (!s) throw new Error(`not a rate limit: ${text}`);
  return s;
}

/** The hooks factory for `startRelay`: membership, socket auth, authorship, directory. */
export function membershipHooks(
  config: RelayConfig,
  log: Logger,
): (services: RelayServices) => RelayHooks {
  return ({ store, metrics, accounts, audit, api, files, limiters }) => {
    const conversations = new Conversations(new MembershipDb(store.db), audit);
    registerConversationRoutes(api.router, conversations);
    // Guests see only people they share a conversation with (GET /users).
    api.setPeopleVisibleTo((id) => conversations.db.peopleOf(id).map((p) => p.id));
    // Company sign-in: the directory and the issuer, the sync, their routes (docs/identity.md).
    const identity = startIdentity({
      config,
      log,
      metrics,
      store,
      accounts,
      audit,
      api,
      conversations,
    });
    let directory: Directory | null = null;
    const authz = new Authz({
      db: store.db,
      conversations,
      audit,
      metrics,
      log,
      accounts,
      limits: {
        upgradesPerAddress: spec(config.limitUpgradesAddress),
        upgradesPerUser: spec(config.limitUpgradesUser),
        updatesPerUser: spec(config.limitUpdatesUser),
        updateBytesPerUser: spec(config.limitUpdateBytesUser),
        clientIdsPerUser: spec(config.limitClientIdsUser),
      },
      limiters,
      onInboxOpen: (userId) => directory?.syncUser(userId),
      files,
    });
    const hooks = authz.hooks();
    return {
      ...hooks,
      close() {
        void identity?.stop();
        hooks.close?.();
      },
      attach(control) {
        hooks.attach?.(control);
        const dir = new Directory(control.relay, conversations, authz.clientIds, log);
        directory = dir;
        new SystemEvents(control.relay, conversations, authz.clientIds, log);
        // Names and roles are the accounts service's: follow its audited changes, made by
        // this relay's API or by `ferry-relay admin` in another process.
        const follow = (e: AuditEntry) => {
          if (e.action === 'user.updated' && e.target) dir.onUserChanged(e.target);
        };
        audit.onAppend(follow);
        audit.onOtherAppend(follow);
        // A member removed (or gone) through another node: their rooms on this node close too.
        // (This node's own changes close them through conversations.onChange, in authz.ts.)
        audit.onOtherAppend((e) => {
          const user = e.detail?.['user'];
          if (e.action !== 'conv.member_removed' && e.action !== 'conv.member_left') return;
          if (!e.target || typeof user !== 'string') return;
          const convId = e.target;
          control.relay.closeRooms(
            user,
            (room) => isConversationRoom(room, convId),
            CloseCode.forbidden,
            e.action === 'conv.member_left' ? 'left conversation' : 'removed from conversation',
          );
        });
      },
    };
  };
}
