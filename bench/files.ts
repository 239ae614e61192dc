// Files benchmark (issue 13): upload then download one file through the relay (tus with
// tus-js-client, then GET) against a plain HTTP PUT/GET of the same bytes to a minimal Node
// server, both child processes on loopback in the same run. Prints throughput of both, the
// ratio, and the relay's RSS during the upload (peak above idle). The plain upload runs twice:
// as is, and fsynced before it answers (the relay answers only once the file is durable and
// its SHA-256 verified). Stops by itself.
//
//   npx tsx bench/files.ts [--mb=1024]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tus from 'tus-js-client';
import { newId } from '../core/src/ids';
import { rssBytes, settledRss } from './lib/proc';
import { fmt, table } from './lib/stats';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repoRoot, 'sync-server/src/cli.ts');
const mbArg = process.argv.find((a) => a.startsWith('--mb='));
for (const arg of process.argv.slice(2)) {
  if (arg !== mbArg) {
    console.error(
      `bench/files: unknown argument "${arg}" (usage: npx tsx bench/files.ts [--mb=1024])`,
    );
    process.exit(2);
  }
}
const MB = 1024 * 1024;
const size = Number(mbArg?.slice(5) ?? 1024) * MB;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-files-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `size` random bytes to a file, returning its SHA-256 (what the app computes). */
async function makeFile(file: string): Promise<string> {
  const sha = createHash('sha256');
  const out = createWriteStream(file);
  for (let left = size; left > 0;) {
    const chunk = randomBytes(Math.min(16 * MB, left));
    sha.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((e?: Error | null) => (e ? reject(e) : resolve())),
  );
  return sha.digest('hex');
}

/** Starts a child and resolves with the first stdout JSON line that `match` accepts. */
function start(args: string[], match: (l: Record<string, unknown>) => boolean, env = {}) {
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  const lines: Array<Record<string, unknown>> = [];
  return new Promise<{
    proc: ChildProcess;
    line: Record<string, unknown>;
    lines: Array<Record<string, unknown>>;
  }>((resolve, reject) => {
    let buffer = '';
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl; (nl = buffer.indexOf('\n')) >= 0;) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          if (match(line)) resolve({ proc, line, lines });
        } catch {
          // not a JSON line
        }
      }
    });
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`)));
  });
}

// The peer: a minimal Node server that stores a PUT body in a file and serves it back.
const PLAIN_SERVER = `
const http = require('node:http'); const fs = require('node:fs');
const { pipeline } = require('node:stream/promises');
const file = process.argv[1];
http.createServer(async (req, res) => {
  if (req.method === 'PUT') {
    await pipeline(req, fs.createWriteStream(file));
    if (req.url.includes('fsync')) { const fd = fs.openSync(file, 'r+'); fs.fsyncSync(fd); fs.closeSync(fd); }
    res.writeHead(204).end();
  }
  else { res.writeHead(200, { 'Content-Length': fs.statSync(file).size }); fs.createReadStream(file).pipe(res); }
}).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ port: this.address().port })); });
`;

function put(
  url: string,
  file: string,
  o: { method: string; headers: Record<string, string> } = { method: 'PUT', headers: {} },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = { ...o.headers, 'Content-Length': size };
    const req = http.request(url, { method: o.method, headers }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 204 ? resolve() : reject(new Error(String(res.statusCode))),
      );
    });
    req.on('error', reject);
    createReadStream(file, { highWaterMark: MB }).pipe(req);
  });
}

async function download(url: string, headers: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET ${res.statusCode}`));
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => (n === size ? resolve() : reject(new Error(`got ${n} bytes`))));
      })
      .on('error', reject);
  });
  return performance.now() - started;
}

async function json<T>(url: string, init: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  if (!r.ok) throw new Error(`${init.method} ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

async function main(): Promise<void> {
  const source = path.join(dir, 'source.bin');
  console.log(`bench/files: generating ${size / MB} MB in ${dir}`);
  const hash = await makeFile(source);

  // The plain peer.
  const plainFile = path.join(dir, 'plain.bin');
  const plain = await start(['-e', PLAIN_SERVER, plainFile], (l) => typeof l.port === 'number');
  const plainUrl = `http://127.0.0.1:${String(plain.line.port)}/f`;
  let t = performance.now();
  await put(plainUrl, source);
  const plainUp = performance.now() - t;
  const plainDown = await download(plainUrl);
  // The same PUT made durable (fsync before the answer), as the relay does.
  rmSync(plainFile, { force: true });
  t = performance.now();
  await put(`${plainUrl}?fsync`, source);
  const plainUpSync = performance.now() - t;
  plain.proc.kill('SIGTERM');
  rmSync(plainFile, { force: true });

  // The relay, as deployed (accounts on), its data on the same disk.
  const data = path.join(dir, 'relay');
  const relay = await start(
    [
      '--max-semi-space-size=2',
      // e.g. BENCH_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the relay.
      ...(process.env.BENCH_RELAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      cli,
      ...['--host', '127.0.0.1', '--port', '0', '--data', data, '--log-level', 'info'],
      ...['--max-file-bytes', String(size), '--file-quota-user', String(size * 2)],
    ],
    (l) => l.msg === 'listening',
    { FERRY_ARGON2_MEMORY: '1024', FERRY_ARGON2_TIME: '1' },
  );
  const base = `http://127.0.0.1:${String(relay.line.port)}`;
  const pid = relay.proc.pid as number;
  const setup = await json<{ accessToken: string }>(`${base}/api/v1/setup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'correct horse battery' }),
  });
  const auth = { Authorization: `Bearer ${setup.accessToken}` };
  const conv = newId((n) => new Uint8Array(randomBytes(n)));
  await json(`${base}/api/v1/conversations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...auth },
    body: JSON.stringify({ id: conv, kind: 'channel', title: 'Bench' }),
  });
  const idle = await settledRss(pid);
  let peak = idle;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // exited
    }
  }, 50);
  t = performance.now();
  await new Promise<void>((resolve, reject) => {
    const up = new tus.Upload(createReadStream(source), {
      endpoint: `${base}/api/v1/files/uploads`,
      metadata: { hash, conv, type: 'application/octet-stream' },
      headers: auth,
      uploadSize: size,
      retryDelays: [],
      onSuccess: () => resolve(),
      onError: reject,
    });
    up.start();
  });
  const relayUp = performance.now() - t;
  clearInterval(sampler);
  const relayDown = await download(`${base}/api/v1/files/${hash}`, auth);
  // The same bytes again as one raw tus PATCH from http.request (no tus-js-client): what the
  // relay costs apart from the client library. A stored hash: verified, then dropped.
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const created = await fetch(`${base}/api/v1/files/uploads`, {
    method: 'POST',
    headers: {
      ...auth,
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(size),
      'Upload-Metadata': `hash ${b64(hash)},conv ${b64(conv)},type ${b64('application/octet-stream')}`,
    },
  });
  const location = new URL(created.headers.get('location') ?? '', base).href;
  t = performance.now();
  await put(location, source, {
    method: 'PATCH',
    headers: {
      ...auth,
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream',
    },
  });
  const relayRawUp = performance.now() - t;
  const exited = new Promise((resolve) => relay.proc.once('exit', resolve));
  relay.proc.kill('SIGTERM');
  await exited;

  const rate = (ms: number) => size / MB / (ms / 1000);
  const rows = [
    [
      'upload',
      `${fmt(rate(plainUp), 0)} MB/s`,
      `${fmt(rate(relayUp), 0)} MB/s`,
      fmt(plainUp / relayUp, 2),
    ],
    [
      'upload, plain fsynced',
      `${fmt(rate(plainUpSync), 0)} MB/s`,
      `${fmt(rate(relayUp), 0)} MB/s`,
      fmt(plainUpSync / relayUp, 2),
    ],
    [
      'upload, relay by one raw PATCH',
      `${fmt(rate(plainUp), 0)} MB/s`,
      `${fmt(rate(relayRawUp), 0)} MB/s`,
      fmt(plainUp / relayRawUp, 2),
    ],
    [
      'download',
      `${fmt(rate(plainDown), 0)} MB/s`,
      `${fmt(rate(relayDown), 0)} MB/s`,
      fmt(plainDown / relayDown, 2),
    ],
  ];
  console.log(
    `\n${size / MB} MB, loopback, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(table(['', 'plain PUT/GET', 'Ferry relay (tus/GET)', 'Ferry / plain'], rows));
  const storedLine = relay.lines.find((l) => l.msg === 'file stored');
  console.log(
    `relay: verify + fsync + rename after the last byte ${String(storedLine?.completeMs)} ms (hashed as sent: ${String(storedLine?.hashedAsSent)})`,
  );
  console.log(
    `relay RSS idle ${fmt(idle / MB, 1)} MB, peak during upload ${fmt(peak / MB, 1)} MB: +${fmt((peak - idle) / MB, 1)} MB`,
  );
  const results = path.join(repoRoot, 'bench/.results');
  try {
    writeFileSync(
      path.join(results, `files-${Date.now()}.json`),
      JSON.stringify(
        { size, plainUp, plainUpSync, plainDown, relayUp, relayDown, idle, peak },
        null,
        2,
      ),
    );
  } catch {
    // no results folder: the figures are printed above
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
