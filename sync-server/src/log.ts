// Structured logs (pino, JSON lines on stdout). Every connection gets a child logger with its
// correlation id `cid`, so one grep follows one client.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'ferry-relay' } });
}

let nextId = 0;
/** Short correlation id, unique within the process; the pid keeps it unique across restarts. */
export function correlationId(prefix: string): string {
  nextId++;
  return `${prefix}-${process.pid.toString(36)}-${nextId.toString(36)}`;
}
