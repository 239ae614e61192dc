// Preloaded (node --expose-gc --import) into every benchmarked server, so memory is read the
// same way from each: on SIGUSR2 it runs a full garbage collection, waits until the RSS has
// settled, and prints one JSON line {"benchProbe":{...process.memoryUsage()}} on stderr.
// Nothing else changes in the server.
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
    // V8 gives the pages a collection freed back to the OS from a background thread, after the
    // collection returns: RSS read at once still counts them (234 MB read at once, 105 MB a
    // second later, after 10,000 idle sockets closed). Read until two reads 100 ms apart agree
    // within 1%, at most 3 s.
    const started = Date.now();
    let last = process.memoryUsage().rss;
    const settle = () => {
      const now = process.memoryUsage().rss;
      if (Math.abs(now - last) > last / 100 && Date.now() - started < 3_000) {
        last = now;
        setTimeout(settle, 100);
        return;
      }
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
      const probe = { rss, heapUsed, heapTotal, external, arrayBuffers, gc: gc !== undefined };
      if (snapshots) writeHeapSnapshot(`${snapshots}/${process.pid}-${++probes}.heapsnapshot`);
      process.stderr.write(`${JSON.stringify({ benchProbe: probe })}\n`);
    };
    setTimeout(settle, 100);
  });
}
