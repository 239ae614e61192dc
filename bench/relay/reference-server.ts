// The benchmark's peer: the reference y-websocket server (@y/websocket-server 0.1.1, in memory)
// wired exactly as its own bin/server.js does (an http server whose upgrades go to the package's
// setupWSConnection, with the `ws` version the package ships with), except that it listens on an
// ephemeral port and prints the port it got as one JSON line: {"port":N}.
import http from 'node:http';
import { createRequire } from 'node:module';
import { setupWSConnection } from '@y/websocket-server/utils';

// The package pins its own ws (6.x) in its node_modules; resolve it from the package, not from us.
const requireFromPackage = createRequire(require_resolve('@y/websocket-server/package.json'));
// ws 6 has no types of its own here; only Server and handleUpgrade are used.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const WebSocket: any = requireFromPackage('ws');

function require_resolve(id: string): string {
  return createRequire(import.meta.url).resolve(id);
}

const host = process.env.HOST ?? '127.0.0.1';
const wss = new WebSocket.Server({ noServer: true });
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' });
  response.end('okay');
});
wss.on('connection', setupWSConnection);
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws: unknown) => wss.emit('connection', ws, request));
});
server.listen(0, host, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  console.log(JSON.stringify({ port: address.port }));
});
