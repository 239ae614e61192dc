// Preloaded (node --expose-gc --import) into every benchmarked server, so memory is read the
// same way from each: on SIGUSR2 it runs a full garbage collection and prints one JSON line
// {"benchProbe":{...process.memoryUsage()}} on stderr. Nothing else changes in the server.
// Plain JavaScript on purpose: Node passes --import to worker threads too, and a .ts preload
// (through tsx) in the relay's PostgreSQL worker never finishes loading while the main thread
// waits on that worker (Atomics.wait), so the relay hung at its first statement.
import { writeHeapSnapshot } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/** BENCH_HEAP_SNAPSHOTS=<dir>: each probe also writes a heap snapshot there (what holds memory). */
const snapshots = process.env.BENCH_HEAP_SNAPSHOTS;
let probes = 0;

if (isMainThread) {
  process.on('SIGUSR2', () => {
    const gc = globalThis.gc;
    gc?.();
    gc?.();
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    const probe = { rss, heapUsed, heapTotal, external, arrayBuffers, gc: gc !== undefined };
    if (snapshots) writeHeapSnapshot(`${snapshots}/${process.pid}-${++probes}.heapsnapshot`);
    process.stderr.write(`${JSON.stringify({ benchProbe: probe })}\n`);
  });
}
