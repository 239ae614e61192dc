// Prometheus metrics (prom-client), served at /metrics. Rates ("per second") are left to
// PromQL: rate(ferry_updates_total[1m]).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
    logins: new Counter({
      name: 'ferry_logins_total',
      help: 'Sign-in attempts by result (success, failure, totp-required, locked, rate-limited)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
