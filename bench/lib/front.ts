// A TCP front for benchmarks of several relay nodes: what a load balancer does in layer 4.
// Each new connection goes to the next backend in turn; a backend that refuses (a dead node)
// is skipped and the next one tried. It counts the connections open per backend, so a bench
// can say how many clients a node held before it was killed. Loopback only.
import net from 'node:net';

export class TcpFront {
  private readonly server: net.Server;
  private turn = 0;
  private readonly open = new Map<net.Socket, number>();
  port = 0;

  /** `backends()` is read for every connection: the ports of the nodes to spread over. */
  constructor(private readonly backends: () => readonly number[]) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Connections open now through the front to the backend on `port`. */
  openTo(port: number): number {
    let n = 0;
    for (const p of this.open.values()) if (p === port) n++;
    return n;
  }

  private accept(client: net.Socket): void {
    client.pause();
    let upstream: net.Socket | null = null;
    client.on('error', () => upstream?.destroy());
    client.once('close', () => {
      this.open.delete(client);
      upstream?.destroy();
    });
    const pick = (attempts: number): void => {
      const ports = this.backends();
      const port = ports[this.turn++ % Math.max(1, ports.length)];
      if (port === undefined || attempts >= ports.length || client.destroyed) {
        client.destroy();
        return;
      }
      const socket = net.connect(port, '127.0.0.1');
      upstream = socket;
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        this.open.set(client, port);
        client.pipe(socket).pipe(client);
        client.resume();
      });
      socket.on('error', () => {
        // Refused before connecting: the next backend; after: the client sees the close below.
        if (!connected) pick(attempts + 1);
      });
      socket.once('close', () => {
        if (connected) client.destroy();
      });
    };
    pick(0);
  }

  async close(): Promise<void> {
    for (const socket of this.open.keys()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
