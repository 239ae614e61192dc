// The relay's plain HTTP requests (everything but WebSocket upgrades): `/api/v1` to the API
// router, `/healthz`, `/readyz`, `/metrics`, the desktop update feed and the web client.
import type http from 'node:http';
import type { RelayConfig } from './config';
import type { AccountsApi } from './http/api';
import { Files } from './files/service';
import { API_PREFIX } from './http/router';
import type { Logger } from './log';
import { serveMetrics, type Metrics } from './metrics';
import type { Relay } from './relay';
import { securityHeaders, serveStatic } from './static';

const REQUEST_TIMEOUT_MS = 30_000;

export interface RoutesDeps {
  config: RelayConfig;
  log: Logger;
  metrics: Metrics;
  api: AccountsApi;
  relay: Relay;
  files: Files;
  /** True once the relay drains (SIGTERM): the API answers 503 and readiness fails. */
  draining: () => boolean;
  /** Why the node should not take traffic (PostgreSQL or Redis unreachable); empty: fine. */
  notReady: () => string[];
}

export function requestHandler({
  config,
  log,
  metrics,
  api,
  relay,
  files,
  draining,
  notReady,
}: RoutesDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (Files.owns(pathname)) {
      if (draining()) json(res, 503, { error: 'unavailable', message: 'draining' });
      else {
        files.handle(req, res).catch((err: unknown) => {
          log.error({ err }, 'files request failed');
          if (!res.headersSent) json(res, 500, { error: 'internal', message: 'internal error' });
          else res.destroy();
        });
      }
      return;
    }
    // Every other request has 30 s to arrive whole (slowloris; the server's requestTimeout is
    // off so that a long file upload is not cut).
    const slow = setTimeout(() => {
      if (!req.complete) req.socket.destroy();
    }, REQUEST_TIMEOUT_MS);
    res.once('close', () => clearTimeout(slow));
    if (pathname === API_PREFIX || pathname.startsWith(API_PREFIX + '/')) {
      if (draining()) json(res, 503, { error: { code: 'unavailable', message: 'draining' } });
      else void api.router.handle(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (pathname === '/healthz') {
      json(res, 200, { status: 'ok' });
    } else if (pathname === '/readyz') {
      const reasons: string[] = [];
      if (draining()) reasons.push('draining');
      if (!relay.storeHealthy) reasons.push(`database writes failing: ${relay.storeError}`);
      reasons.push(...notReady());
      json(res, reasons.length ? 503 : 200, { ready: reasons.length === 0, reasons });
    } else if (pathname === '/metrics') {
      // Loopback, the metrics token, or --metrics-public (metrics.ts says why).
      void serveMetrics(req, res, { metrics, config, accounts: api.accounts, log });
    } else if (config.updates && pathname.startsWith('/updates/')) {
      // The desktop app's update feed (electron-updater verifies each download's sha512
      // from latest*.yml, and the installer's signature where the OS has one).
      serveStatic(config.updates, req, res, { prefix: '/updates/', spaFallback: false });
    } else if (config.web) {
      serveStatic(config.web, req, res);
    } else {
      securityHeaders(res);
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Ferry relay: no web client here (build it, or pass --web DIR)\n');
    }
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body) + '\n');
}
