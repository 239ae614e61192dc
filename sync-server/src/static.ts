// Serves the built web client (renderer) at / with a strict CSP. Vite's hashed files under
// /assets/ are immutable for a year; index.html (and anything unhashed) is revalidated.
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

export const CSP = [
  "default-src 'self'",
  // 'wasm-unsafe-eval': the app compiles its own WebAssembly (hash-wasm's SHA-256 of attached
  // files, issue 13); JavaScript eval stays refused.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  // Voice messages play from object URLs of their bytes (issue 13).
  "media-src 'self' blob:",
  "font-src 'self'",
  // As the renderer's own meta CSP: the relay URL is the user's choice (DESIGN: Session.serverUrl).
  "connect-src 'self' ws: wss: http: https:",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A Vite build file name carries a content hash: `name-<hash>.ext`. */
const HASHED = /[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

export interface StaticOptions {
  /** URL prefix that maps to `root` (default '/'). */
  prefix?: string;
  /** Unknown paths without an extension get index.html (the web client's routes). Default true. */
  spaFallback?: boolean;
}

/** Serves GET/HEAD from `root`; see StaticOptions. */
export function serveStatic(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  options: StaticOptions = {},
): void {
  const { prefix = '/', spaFallback = true } = options;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400).end('bad path\n');
    return;
  }
  if (!pathname.startsWith(prefix)) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  pathname = '/' + pathname.slice(prefix.length);
  let file = path.join(root, path.normalize(pathname));
  if (!file.startsWith(root + path.sep) && file !== root) {
    res.writeHead(403).end('forbidden\n');
    return;
  }
  let stat = tryStat(file);
  if (stat?.isDirectory()) {
    file = path.join(file, 'index.html');
    stat = tryStat(file);
  }
  if (!stat && spaFallback && path.extname(pathname) === '') {
    file = path.join(root, 'index.html');
    stat = tryStat(file);
  }
  if (!stat || !stat.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  const hashed = pathname.startsWith('/assets/') && HASHED.test(pathname);
  securityHeaders(res);
  res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
  res.setHeader('Content-Length', stat.size);
  res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('Last-Modified', stat.mtime.toUTCString());
  if (!hashed && req.headers['if-modified-since'] === stat.mtime.toUTCString()) {
    res.writeHead(304).end();
    return;
  }
  res.writeHead(200);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

function tryStat(file: string) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}
