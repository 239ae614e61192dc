// A WebSocket client that does what a hostile one may: it speaks the framing by hand over TCP
// and never answers the relay's close, so a test can keep writing on a socket the relay is
// closing (issue 10, item 4). Just enough of RFC 6455 for binary frames from a client.
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

export class RawSocket {
  readonly frames: RawFrame[] = [];
  /** Resolves when the TCP connection ends (the relay dropped it). */
  readonly ended: Promise<void>;
  private buffer = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: net.Socket) {
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('error', () => undefined);
  }

  /** Upgrades `url` (ws://host:port/path?query); rejects unless the relay answers 101. */
  static connect(url: string): Promise<RawSocket> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(u.port), u.hostname);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString().split('\r\n')[0] ?? '';
        if (!/^HTTP\/1\.1 101/.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        const raw = new RawSocket(socket);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) socket.emit('data', rest);
        resolve(raw);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
    });
  }

  /** Sends one masked binary frame, whatever state the relay thinks the socket is in. */
  send(data: Uint8Array): void {
    const mask = randomBytes(4);
    const len = data.byteLength;
    const header =
      len < 126
        ? Buffer.from([0x82, 0x80 | len])
        : len < 65536
          ? Buffer.from([0x82, 0x80 | 126, len >> 8, len & 0xff])
          : Buffer.concat([Buffer.from([0x82, 0x80 | 127]), bigLength(len)]);
    const body = Buffer.from(data);
    for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (mask[i % 4] ?? 0);
    this.socket.write(Buffer.concat([header, mask, body]));
  }

  /** Resolves with the first frame (seen so far or to come) that `pred` accepts. */
  async next(pred: (f: RawFrame) => boolean): Promise<RawFrame> {
    for (;;) {
      const found = this.frames.find(pred);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      let len = (b[1] ?? 0) & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + len) return;
      this.frames.push({ opcode: (b[0] ?? 0) & 0x0f, payload: b.subarray(at, at + len) });
      this.buffer = b.subarray(at + len);
      for (const w of [...this.waiters]) w();
      this.waiters.clear();
    }
  }
}

function bigLength(n: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(n));
  return out;
}

/** The close code of a close frame's payload. */
export function closeCode(f: RawFrame): number {
  return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
}
