// Startup: how long a server takes from spawn to listening, and its memory once it has
// settled with no client (issue 16: the relay ran through tsx in production). Each start is a
// fresh process with a fresh data directory, as after a restart of the service.
import { performance } from 'node:perf_hooks';
import { cpuQuiet } from '../lib/wait';
import type { ServerKind } from './servers';

export interface StartupResult {
  /** From spawn to the line naming its port (the relay logs it once it listens). */
  secondsToListen: number;
  /** After a full GC, once its CPU is quiet. */
  baseRss: number;
  baseHeap: number;
}

export async function startup(kind: ServerKind): Promise<StartupResult> {
  const started = performance.now();
  const server = await kind.start();
  const secondsToListen = (performance.now() - started) / 1000;
  try {
    await cpuQuiet(server.pid);
    const probe = await server.probe();
    return { secondsToListen, baseRss: probe.rss, baseHeap: probe.heapUsed };
  } finally {
    await server.stop();
  }
}
