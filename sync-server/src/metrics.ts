// Prometheus metrics (prom-client), served at /metrics to loopback, to holders of the metrics
// token, or to anyone with --metrics-public. Rates ("per second") are left to PromQL:
// rate(ferry_updates_total[1m]).
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Accounts } from './accounts/service';
import type { RelayConfig } from './config';
import { clientAddress, LOOPBACK } from './http/router';
import type { Logger } from './log';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ferry_' });
  const m = {
    registry,
    connections: new Gauge({
      name: 'ferry_connections',
      help: 'Open WebSocket connections',
      labelNames: ['endpoint'] as const,
      registers: [registry],
    }),
    roomConnections: new Gauge({
      name: 'ferry_room_connections',
      help: 'Open room subscriptions (plain sockets plus rooms open on mux sockets)',
      registers: [registry],
    }),
    roomsLoaded: new Gauge({
      name: 'ferry_rooms_loaded',
      help: 'Rooms held in memory',
      registers: [registry],
    }),
    // Several nodes (docs/scale-out.md). Each node serves its own /metrics; these are the
    // cross-node figures.
    nodeInfo: new Gauge({
      name: 'ferry_node_info',
      help: "This node's id and whether it runs with other nodes (value 1)",
      labelNames: ['node', 'mode'] as const,
      registers: [registry],
    }),
    clusterMessages: new Counter({
      name: 'ferry_cluster_messages_total',
      help: 'Messages between nodes: published, received, dropped (best effort: gaps are re-read)',
      labelNames: ['kind', 'event'] as const,
      registers: [registry],
    }),
    clusterLag: new Histogram({
      name: 'ferry_cluster_lag_seconds',
      help: "Pub/sub lag: from a commit on another node to this node's clients having it",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    clusterGapReads: new Counter({
      name: 'ferry_cluster_gap_reads_total',
      help: 'Commits of other nodes this node missed and re-read from the database (log: the missing commits; reload: the whole room)',
      labelNames: ['how'] as const,
      registers: [registry],
    }),
    clusterBusUp: new Gauge({
      name: 'ferry_cluster_bus_up',
      help: 'Whether this node reaches the other nodes (Redis), 1 or 0',
      registers: [registry],
    }),
    clusterReconnects: new Counter({
      name: 'ferry_cluster_bus_reconnects_total',
      help: 'Times the connection to Redis came back after a loss',
      registers: [registry],
    }),
    compactionLease: new Counter({
      name: 'ferry_compaction_lease_total',
      help: 'Compaction leases taken by this node, or found held by another (busy)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    updates: new Counter({
      name: 'ferry_updates_total',
      help: 'Document updates stored durably',
      registers: [registry],
    }),
    updateBytes: new Counter({
      name: 'ferry_update_bytes_total',
      help: 'Bytes of document updates stored durably',
      registers: [registry],
    }),
    messagesIn: new Counter({
      name: 'ferry_messages_received_total',
      help: 'y-websocket messages received',
      registers: [registry],
    }),
    bytesOut: new Counter({
      name: 'ferry_bytes_sent_total',
      help: 'Bytes sent to clients',
      registers: [registry],
    }),
    storeLatency: new Histogram({
      name: 'ferry_store_latency_seconds',
      help: 'Time to commit one batch of updates (one transaction, fsync included)',
      labelNames: ['op'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    filesStored: new Gauge({
      name: 'ferry_files_stored',
      help: 'Files (blobs) stored, complete and verified',
      registers: [registry],
    }),
    fileBytesStored: new Gauge({
      name: 'ferry_file_bytes_stored',
      help: 'Bytes of files stored',
      registers: [registry],
    }),
    uploadsInProgress: new Gauge({
      name: 'ferry_uploads_in_progress',
      help: 'File uploads started and not yet complete',
      registers: [registry],
    }),
    filesRefused: new Counter({
      name: 'ferry_files_refused_total',
      help: 'File uploads and downloads refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    filesDeleted: new Counter({
      name: 'ferry_files_deleted_total',
      help: 'Files deleted by garbage collection (no stored message referenced them)',
      registers: [registry],
    }),
    refusedFrames: new Counter({
      name: 'ferry_refused_frames_total',
      help: 'Frames refused (connection closed) by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    refusedUpdates: new Counter({
      name: 'ferry_refused_updates_total',
      help: 'Updates refused by the checkUpdate hook',
      registers: [registry],
    }),
    updatesRefused: new Counter({
      name: 'ferry_updates_refused_total',
      help: 'Updates refused by enforced authorship, by the rule they broke',
      labelNames: ['rule'] as const,
      registers: [registry],
    }),
    slowConsumers: new Counter({
      name: 'ferry_slow_consumers_dropped_total',
      help: 'Sockets dropped because their send buffer overflowed',
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'ferry_store_errors_total',
      help: 'Failed database writes',
      registers: [registry],
    }),
    compactions: new Counter({
      name: 'ferry_compactions_total',
      help: 'Room logs compacted into a snapshot',
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'ferry_rate_limited_total',
      help: 'Requests, sign-ins, upgrades and updates refused by a rate limit, by what was limited',
      labelNames: ['what'] as const,
      registers: [registry],
    }),
    rateLimitFallbacks: new Counter({
      name: 'ferry_rate_limit_fallbacks_total',
      help: 'Rate-limit checks answered by this node alone because Redis was unreachable, by limit',
      labelNames: ['name'] as const,
      registers: [registry],
    }),
    metricsRefused: new Counter({
      name: 'ferry_metrics_refused_total',
      help: 'Requests for /metrics refused, by reason (remote, no-token, wrong-token, user-token)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    logins: new Counter({
      name: 'ferry_logins_total',
      help: 'Sign-in attempts by result (success, failure, totp-required, locked, rate-limited)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    // Company sign-in (docs/identity.md).
    directorySignIns: new Counter({
      name: 'ferry_directory_signins_total',
      help: 'Passwords checked by the company directory, by result (success, failure, unavailable)',
      labelNames: ['source', 'result'] as const,
      registers: [registry],
    }),
    directorySyncs: new Counter({
      name: 'ferry_directory_syncs_total',
      help: 'Directory syncs this node ran, by result (ok, failed)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    directorySyncSeconds: new Histogram({
      name: 'ferry_directory_sync_seconds',
      help: 'How long a directory sync took',
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    }),
    directoryDisabled: new Counter({
      name: 'ferry_directory_disabled_total',
      help: 'Accounts the directory sync disabled (left, disabled or in no group)',
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

export type MetricsAccessConfig = Pick<
  RelayConfig,
  'metricsToken' | 'metricsPublic' | 'trustProxy'
>;

export type MetricsVerdict =
  | { ok: true }
  | {
      ok: false;
      status: 401 | 403;
      reason: 'remote' | 'no-token' | 'wrong-token';
      message: string;
      /** The bearer token the request carried (not the metrics token), if any. */
      bearer: string | null;
    };

/**
 * Whether this request may read /metrics: with --metrics-public anyone; else a caller on this
 * machine (loopback, and no proxy saying it forwards someone else), or one that presents the
 * metrics token. The figures (users online, rooms, refusals, sign-in failures) are for the
 * operator, not for whoever can reach the port.
 */
export function metricsAccess(req: http.IncomingMessage, c: MetricsAccessConfig): MetricsVerdict {
  if (c.metricsPublic) return { ok: true };
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
  if (c.metricsToken !== null && bearer !== null && sameSecret(bearer, c.metricsToken)) {
    return { ok: true };
  }
  if (isLocal(req, c.trustProxy)) return { ok: true };
  if (c.metricsToken === null) {
    return {
      ok: false,
      status: 403,
      reason: 'remote',
      message:
        '/metrics is served to loopback only; to scrape it from another machine start the relay ' +
        'with --metrics-token (FERRY_METRICS_TOKEN) and send it as a bearer token, or --metrics-public',
      bearer,
    };
  }
  return {
    ok: false,
    status: 401,
    reason: bearer === null ? 'no-token' : 'wrong-token',
    message:
      bearer === null
        ? '/metrics needs the metrics token from other machines: Authorization: Bearer <token>'
        : 'that is not the metrics token (--metrics-token)',
    bearer,
  };
}

/** A caller on this machine: the peer is loopback and no proxy forwards someone else's request. */
function isLocal(req: http.IncomingMessage, trustProxy: boolean): boolean {
  const peer = req.socket.remoteAddress ?? '';
  if (!LOOPBACK.has(peer)) return false;
  // Behind a trusted proxy the forwarded address decides; otherwise any proxy header means
  // the request came from elsewhere (a proxy on this machine that forwards /metrics).
  if (trustProxy) return LOOPBACK.has(clientAddress(req, true));
  return req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Answers GET /metrics: the page, or 401/403 in the API's error shape with the reason. A
 * refused caller who sent a valid access token of a user is named in the audit log
 * (`metrics.refused`, coalesced: one entry per user and window with a count).
 */
export async function serveMetrics(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: { metrics: Metrics; config: MetricsAccessConfig; accounts: Accounts; log: Logger },
): Promise<void> {
  const verdict = metricsAccess(req, deps.config);
  if (!verdict.ok) {
    const ip = clientAddress(req, deps.config.trustProxy);
    const user = verdict.bearer ? await deps.accounts.verifyAccess(verdict.bearer) : null;
    const userId = user !== null && typeof user !== 'string' ? user.userId : null;
    let { status, message } = verdict;
    if (userId !== null) {
      status = 403;
      message =
        'a sign-in token does not open /metrics; use the metrics token (--metrics-token) ' +
        'or scrape from the relay machine';
      deps.accounts.refusals.refused({
        actor: userId,
        action: 'metrics.refused',
        ip,
        reason: verdict.reason === 'remote' ? 'not loopback' : 'not the metrics token',
      });
    }
    const reason = userId !== null ? 'user-token' : verdict.reason;
    deps.metrics.metricsRefused.inc({ reason });
    deps.log.warn({ ip, status, reason, user: userId ?? undefined }, '/metrics refused');
    const headers: Record<string, string> = {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    };
    if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="ferry-metrics"';
    const code = status === 401 ? 'unauthenticated' : 'forbidden';
    res.writeHead(status, headers).end(JSON.stringify({ error: { code, message } }) + '\n');
    return;
  }
  try {
    const text = await deps.metrics.registry.metrics();
    res.writeHead(200, { 'Content-Type': deps.metrics.registry.contentType }).end(text);
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
}
