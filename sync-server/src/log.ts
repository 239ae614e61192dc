// Structured logs (pino, JSON lines on stdout). Every connection gets a child logger with its
// correlation id `cid`, so one grep follows one client.
//
// The output never blocks the relay (issue 16): lines are written asynchronously, at most
// LOG_BUFFER_BYTES wait in memory when whatever reads stdout stops reading (a parent that died
// holding the pipe, a stuck log shipper), and past that lines are dropped and counted, never
// the event loop held. pino's own stdout writer is synchronous: with a full pipe it held the
// relay's event loop, so a relay whose reader had stopped ignored SIGTERM for minutes.
import { pino, type Logger } from 'pino';
import SonicBoom from 'sonic-boom';

export type { Logger };

/** Log lines that may wait for a slow reader of stdout before new ones are dropped. */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

/** The relay's log output: stdout, asynchronous and bounded. */
export interface LogOutput {
  readonly stream: SonicBoom;
  /** Lines dropped because the reader of stdout was too far behind. */
  dropped(): number;
  /**
   * Writes what is waiting and closes the output, for at most `timeoutMs` (a stuck reader
   * cannot hold the exit). Lines logged after this are dropped: the process is exiting.
   */
  close(timeoutMs: number): Promise<void>;
}

export function logOutput(fd = 1, maxBytes = LOG_BUFFER_BYTES): LogOutput {
  const stream = new SonicBoom({ fd, sync: false, maxLength: maxBytes });
  let dropped = 0;
  stream.on('drop', () => dropped++);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // The reader is gone (EPIPE) or the descriptor broke: logging stops, the relay goes on.
    stream.write = () => true;
    if (error.code !== 'EPIPE') process.stderr.write(`ferry-relay: log output: ${error.message}\n`);
  });
  return {
    stream,
    dropped: () => dropped,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        stream.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        try {
          // end(): what waits is written, then the descriptor closes ('close').
          stream.end();
        } catch {
          clearTimeout(timer);
          resolve();
        }
        stream.write = () => true;
      }),
  };
}

export function createLogger(level: string, output?: LogOutput): Logger {
  const options = { level, base: { service: 'ferry-relay' } };
  return output ? pino(options, output.stream) : pino(options);
}

let nextId = 0;
/** Short correlation id, unique within the process; the pid keeps it unique across restarts. */
export function correlationId(prefix: string): string {
  nextId++;
  return `${prefix}-${process.pid.toString(36)}-${nextId.toString(36)}`;
}
