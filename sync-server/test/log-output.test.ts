// The relay's log output never holds the relay (issue 16): when whatever reads its stdout stops
// reading (a parent that died holding the pipe, a stuck log shipper), lines wait in a bounded
// buffer or are dropped, the relay keeps answering, and SIGTERM still drains and exits. With a
// synchronous stdout writer the full pipe held the event loop and SIGTERM went unanswered.
import { afterEach, describe, expect, it } from 'vitest';
import { removeDir, startRelayProcess, tempDir, type RelayProcess } from './helpers';

let relay: RelayProcess | null = null;
let dir = '';

afterEach(async () => {
  await relay?.stop('SIGKILL');
  relay = null;
  if (dir) removeDir(dir);
});

describe('log output', () => {
  it('a reader of stdout that stops reading holds neither requests nor SIGTERM', async () => {
    dir = tempDir();
    relay = await startRelayProcess(dir, [], { env: { FERRY_LOG_LEVEL: 'debug' } });
    // Nobody reads the relay's stdout from now on: the pipe fills.
    relay.proc.stdout.removeAllListeners('data');
    relay.proc.stdout.pause();
    const base = relay.http;
    // Each request writes a debug line; together far more than a pipe holds (~2 MB).
    let answered = 0;
    const worker = async () => {
      for (let i = 0; i < 250; i++) {
        const res = await fetch(`${base}/api/v1/no-such-endpoint-${'x'.repeat(200)}`);
        await res.arrayBuffer();
        answered++;
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(answered).toBe(5000);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    // SIGTERM: the relay drains and exits (its last lines get a moment, then it goes).
    const exit = await relay.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    relay = null;
  }, 60_000);
});
