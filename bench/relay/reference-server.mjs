// The benchmark's peer: the reference y-websocket server (@y/websocket-server 0.1.1, in memory)
// wired exactly as its own bin/server.js does (an http server whose upgrades go to the package's
// setupWSConnection, with the `ws` version the package ships with), except that it listens on an
// ephemeral port and prints the port it got as one JSON line: {"port":N}.
// Plain JavaScript, run by plain node as the package's own bin is (and as Ferry's compiled
// relay is): no TypeScript loader in either process, so startup and memory compare like for like.
import http from 'node:http';
import { createRequire } from 'node:module';
import { setupWSConnection } from '@y/websocket-server/utils';

// The package pins its own ws (6.x) in its node_modules; resolve it from the package, not from us.
const require = createRequire(import.meta.url);
const requireFromPackage = createRequire(require.resolve('@y/websocket-server/package.json'));
const WebSocket = requireFromPackage('ws');

const host = process.env.HOST ?? '127.0.0.1';
const wss = new WebSocket.Server({ noServer: true });
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' });
  response.end('okay');
});
wss.on('connection', setupWSConnection);
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});
server.listen(0, host, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  console.log(JSON.stringify({ port: address.port }));
});
