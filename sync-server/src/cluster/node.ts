// This relay as one node of several (docs/scale-out.md): the bus to the others (Redis), the
// rooms they share, the changes every node must notice at once, and readiness.
import { redactUrl } from '../db/sql';
import type { AccountsApi } from '../http/api';
import type { RelayConfig } from '../config';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Relay } from '../relay';
import type { Store } from '../store';
import { defaultNodeId } from './bus';

/** Published after every audited change: the others re-check sessions and follow the audit. */
const CHANGED = 'changed';

export interface ClusterNode {
  readonly nodeId: string;
  /** Why this node should not take traffic now (empty: ready). */
  notReady(): string[];
  close(): Promise<void>;
}

export async function startClusterNode(deps: {
  config: RelayConfig;
  log: Logger;
  metrics: Metrics;
  store: Store;
  relay: Relay;
  api: AccountsApi;
}): Promise<ClusterNode> {
  const { config, log, metrics, store, relay, api } = deps;
  const nodeId = config.nodeId ?? defaultNodeId();
  const several = config.redis !== null;
  metrics.nodeInfo.set({ node: nodeId, mode: several ? 'several' : 'single' }, 1);
  const reasons = (): string[] => {
    const out: string[] = [];
    if (store.db.dialect === 'postgres' && !store.reachable()) {
      out.push('cannot reach PostgreSQL');
    }
    return out;
  };
  if (!config.redis) {
    return { nodeId, notReady: reasons, close: async () => {} };
  }

  // Loaded only with --redis: a single node never imports the Redis client (issue 16).
  const [{ RedisBus }, { ClusterRooms }] = await Promise.all([
    import('./redis-bus'),
    import('./rooms'),
  ]);
  const bus = new RedisBus({
    url: config.redis,
    nodeId,
    hooks: {
      dropped: (reason, channel) => {
        metrics.clusterMessages.inc({ kind: channel.split(':')[0] ?? 'other', event: reason });
      },
      state: (healthy, error) => {
        metrics.clusterBusUp.set(healthy ? 1 : 0);
        if (healthy) log.info('reaching the other nodes again (Redis)');
        else log.error({ err: error }, 'cannot reach the other nodes (Redis): readiness false');
      },
    },
  });
  const rooms = new ClusterRooms({ bus, store, log, metrics });
  relay.setPeers(rooms);

  // Sessions ended, memberships changed, roles set by another node or the admin CLI: each is
  // audited, so the others re-read the audit (and re-check sessions) when told, and every
  // quarter second in any case (accounts.watch) should a message be lost.
  const offAppend = api.audit.onAppend(() => bus.publish(CHANGED, new Uint8Array(0)));
  void bus
    .subscribe(CHANGED, () => {
      metrics.clusterMessages.inc({ kind: 'control', event: 'received' });
      api.accounts.recheck();
    })
    .catch((err: unknown) => log.warn({ err }, 'control channel subscription failed'));
  bus.onReconnect(() => api.accounts.recheck(true));
  log.info({ node: nodeId, redis: redactUrl(config.redis) }, 'running as one of several nodes');

  return {
    nodeId,
    notReady: () => {
      const out = reasons();
      if (!bus.healthy()) out.push('cannot reach the other nodes (Redis)');
      return out;
    },
    close: async () => {
      offAppend();
      rooms.close();
      await bus.close();
    },
  };
}
