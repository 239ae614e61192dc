// Preloaded (node --expose-gc --import) into both benchmarked servers, so memory is read the
// same way from each: on SIGUSR2 it runs a full garbage collection and prints one JSON line
// {"benchProbe":{...process.memoryUsage()}} on stderr. Nothing else changes in the server.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  const probe = { rss, heapUsed, heapTotal, external, arrayBuffers, gc: gc !== undefined };
  process.stderr.write(`${JSON.stringify({ benchProbe: probe })}\n`);
});
