// The Redis test engine itself: it starts on an ephemeral port, restarts on the same port after
// kill -9, and leaves nothing behind.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveEngines } from './common';
import { ping, startRedis, useRedis } from './redis';

const engine = useRedis();

describe('Redis test engine', () => {
  it('answers PING on 127.0.0.1 at its URL', async () => {
    const e = engine();
    expect(e.url).toBe(`redis://127.0.0.1:${e.port}`);
    expect(await ping(e.port)).toBe(true);
  });

  it('kill -9 cuts it, start() brings it back on the same port', async () => {
    const e = engine();
    const port = e.port;
    await e.kill();
    expect(e.running()).toBe(false);
    expect(await ping(port)).toBe(false);
    await e.start();
    expect(e.port).toBe(port);
    expect(await ping(port)).toBe(true);
    await e.restart();
    expect(await ping(port)).toBe(true);
  });

  it('dispose() ends the process and removes the directory', async () => {
    const before = liveEngines();
    const own = await startRedis();
    expect(liveEngines()).toBe(before + 1);
    await own.dispose();
    expect(liveEngines()).toBe(before);
    expect(await ping(own.port)).toBe(false);
    expect(existsSync(own.dir)).toBe(false);
  });
});
